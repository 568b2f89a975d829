/**
 * Records representative `enrichContact` histories for the replay tests in tests/replay/: a happy run, a flagged
 * run, a run retried by an operator (update), a run reset from the UI's point of view (ResetWorkflowExecution),
 * a run matched in the voter file, and a run that waited for quota (a Gravatar 429: patched('quota-wait'), a timer). Run it after a deliberate workflow change that is safe to record, naming
 * the new scenarios only: the old files must stay, they are what running workflows look like. Needs the local
 * Postgres (TEST_DATABASE_URL or 127.0.0.1:5432) and `npm run setup`.
 *
 *   npx tsx scripts/export-replay-histories.ts [happy flagged retried reset voter quota]   (default: all)
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { importDemoVoterFile } from '../dev/start-dev-stack.js';
import { headlessDevServerOptions, startTemporalDevServer } from '../dev/temporal-dev-server.js';
import { startEnrichment } from '../client/start-enrichment.js';
import { dataConverterFor } from '../client/codec/data-converter.js';
import { waitForSettled } from '../client/wait-for-settled.js';
import { startDemoProviders } from '../demo/servers/start-demo-providers.js';
import { HTTP_PROVIDER_NAMES } from '../schemas/providers.js';
import { migrateToLatest } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { startWorkers } from '../worker/start-workers.js';
import { retryLookupsUpdate } from '../workflows/enrich-contact.js';
import { createTestDatabase } from '../tests/support/postgres.js';
import { freePort } from '../tests/support/free-port.js';
import { testConfig } from '../tests/support/test-config.js';

const run = promisify(execFile);
const OUT = fileURLToPath(new URL('../tests/replay/', import.meta.url));
const consent = { socialProfiles: true, at: '2026-11-01T12:00:00.000Z', noticeVersion: 'v1' };
const SCENARIOS = ['happy', 'flagged', 'retried', 'reset', 'voter', 'quota'] as const;
type Scenario = (typeof SCENARIOS)[number];
const chosen = new Set<Scenario>(process.argv.length > 2 ? (process.argv.slice(2) as Scenario[]) : SCENARIOS);
const unknown = [...chosen].filter((name) => !SCENARIOS.includes(name));
if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'enrich-replay-'));
  const devServer = headlessDevServerOptions(dir, await freePort());
  const server = await startTemporalDevServer(devServer);
  const testDb = await createTestDatabase();
  const database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 5 });
  await migrateToLatest(database.db);
  const demo = await startDemoProviders();
  const urls = Object.fromEntries(
    HTTP_PROVIDER_NAMES.map((name) => [`PROVIDER_${name.toUpperCase()}_BASE_URL`, demo[name].url]),
  );
  const config = testConfig({ ...urls, TEMPORAL_TASK_QUEUE: `replay-${randomUUID()}`, LOOKUP_RETRY_SCHEDULE: '1h' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const workers = await startWorkers({ config, connection: nativeConnection, db: database.db });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, dataConverter: dataConverterFor(config) });

  const save = async (name: Scenario, workflowId: string, runId?: string) => {
    if (!chosen.has(name)) return;
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    await writeFile(join(OUT, `${name}.json`), `${historyToJSON(history)}\n`);
    process.stdout.write(`wrote tests/replay/${name}.json (${history.events?.length ?? 0} events)\n`);
  };

  try {
    await workers.runUntil(
      (async () => {
        const happy = await startEnrichment(client, config, {
          email: 'tomas.lindqvist@example.net',
          givenName: 'Tomas',
          familyName: 'Lindqvist',
          postalAddress: {
            lines: ['482 W Market St'],
            locality: 'Akron',
            region: 'OH',
            postalCode: '44303',
            country: 'US',
          },
          consent,
        });
        await client.workflow.getHandle(happy.workflowId).result();
        await save('happy', happy.workflowId);

        // Flagged, then the schedule's hour is not waited for: the run is terminated once it has settled.
        const flagged = await startEnrichment(client, config, { email: 'fiona.flaky@example.org', consent });
        await waitForSettled(client, flagged.workflowId);
        await client.workflow.getHandle(flagged.workflowId).terminate('recorded for replay');
        await save('flagged', flagged.workflowId);

        // Retried by an operator: Marco's Gravatar answers a malformed body, so the update re-runs it (and it fails again).
        const marco = await startEnrichment(client, config, { email: 'marco.mangled@example.net', consent });
        await waitForSettled(client, marco.workflowId);
        const afterRetry = await client.workflow
          .getHandle(marco.workflowId)
          .executeUpdate(retryLookupsUpdate, { args: [{}] });
        if (afterRetry.status !== 'flagged')
          throw new Error(`expected Marco to stay flagged, got ${afterRetry.status}`);
        await client.workflow.getHandle(marco.workflowId).terminate('recorded for replay');
        await save('retried', marco.workflowId);

        // Matched in the (demo) voter file: the local provider's stage-1 lookup with a birth year.
        if (chosen.has('voter')) {
          await importDemoVoterFile(database.db, testDb.url);
          const rosa = await startEnrichment(client, config, {
            email: 'rosa.retry@example.org',
            givenName: 'Rosa',
            familyName: 'Delgado',
            birthYear: 1989,
            postalAddress: {
              lines: ['612 Oberlin Rd'],
              locality: 'Raleigh',
              region: 'NC',
              postalCode: '27605',
              country: 'US',
            },
            consent,
          });
          const settled = await waitForSettled(client, rosa.workflowId);
          if (settled.lookups.voterfile?.outcome !== 'matched')
            throw new Error(`expected Rosa's voter record to match, got ${JSON.stringify(settled.lookups.voterfile)}`);
          const handle = client.workflow.getHandle(rosa.workflowId);
          if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('recorded for replay');
          await save('voter', rosa.workflowId);
        }

        // Waited for quota: Rosa's Gravatar answers 429 with a reset a few seconds away, so the workflow sleeps that
        // long (patched('quota-wait'), a timer) and runs the lookup again.
        if (chosen.has('quota')) {
          demo.gravatar.resetFaults();
          const quota = await startEnrichment(
            client,
            config,
            { email: 'rosa.retry@example.org', givenName: 'Rosa', familyName: 'Delgado', consent },
            new Date(),
            { reenrich: true },
          );
          await waitForSettled(client, quota.workflowId);
          const handle = client.workflow.getHandle(quota.workflowId);
          const events = (await handle.fetchHistory()).events ?? [];
          const waited = events.some(
            (e) => Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 3600) < 60,
          );
          if (!waited) throw new Error('expected a quota wait (a timer of seconds) in the quota history');
          if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('recorded for replay');
          await save('quota', quota.workflowId);
        }

        // Reset to the first workflow task with the CLI, as an operator would, and let the new run finish.
        await run(devServer.binary, [
          'workflow',
          'reset',
          '--address',
          server.address,
          '--workflow-id',
          happy.workflowId,
          '--type',
          'FirstWorkflowTask',
          '--reason',
          'recorded for replay',
          '--yes',
        ]);
        const description = await client.workflow.getHandle(happy.workflowId).describe();
        await client.workflow.getHandle(happy.workflowId).result();
        await save('reset', happy.workflowId, description.runId);
      })(),
    );
  } finally {
    await connection.close();
    await nativeConnection.close();
    await demo.close();
    await database.close();
    await testDb.drop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
