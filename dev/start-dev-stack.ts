import { credentialsNotice } from '../worker/credentials-notice.js';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config.js';
import { demoProviderEnv, startDemoProviders, type DemoProviders } from '../demo/servers/start-demo-providers.js';
import { DEFAULT_DATA_DIR } from '../demo/servers/demo-data.js';
import { HTTP_PROVIDER_NAMES } from '../schemas/providers.js';
import type { Database } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import type { DatabaseHandle } from '../store/open-database.js';
import { importVoterFile, type ImportVoterFileResult } from '../store/voters/import-voter-file.js';
import { NCVOTER_MAPPING } from '../store/voters/voter-file-format.js';
import { withVoterTables } from '../store/voters/voter-tables.js';
import { decodeText } from '../domain/decode-text.js';
import { openStore } from '../store/open-store.js';
import { dataConverterFor } from '../client/codec/data-converter.js';
import { startWorkers, type WorkerGroup } from '../worker/start-workers.js';
import { prebuiltWorkflowBundle } from '../worker/prebuilt-workflow-bundle.js';
import { buildApi } from '../api/build-api.js';
import { ensureRetentionSchedule } from '../client/retention-schedule.js';
import { resolveTemporalBinary } from './temporal-binary.js';
import { startTemporalDevServer, type TemporalDevServer } from './temporal-dev-server.js';
import { removeDevStackInfo, writeDevStackInfo } from './dev-stack-file.js';

export interface DevStackOptions {
  env: Record<string, string | undefined>;
  demo: boolean;
  logger: Logger;
  /** Tests run without the Web UI. */
  headless?: boolean;
}

export interface DevStack {
  config: Config;
  apiUrl: string;
  apiToken: string;
  signupToken: string;
  temporalAddress: string;
  uiUrl: string | undefined;
  demo: DemoProviders | undefined;
  stop(): Promise<void>;
}

/** Demo providers answer at once, so the demo runs at a brisk pace unless a rate is set explicitly. */
const DEMO_RPS = '20';

/**
 * Loads the demo voter file (`demo/data/ncvoter-demo.txt`, Latin-1, with its `ncvhis` vote history) as the current
 * one, unless a voter file is loaded already: then the demo supporters' signups and backfills get voter attributes,
 * and `jamal.wright` an ambiguous match. The three rows the file rejects by design are not reported. Answers the
 * import, or undefined when one was live already.
 */
export async function importDemoVoterFile(
  db: Kysely<Database>,
  postgresUrl: string | undefined,
  dataDir = DEFAULT_DATA_DIR,
): Promise<ImportVoterFileResult | undefined> {
  const live = await withVoterTables(db)
    .selectFrom('voter_imports')
    .select('id')
    .where('state', '=', 'active')
    .executeTakeFirst();
  if (live) return undefined;
  const text = (file: string) => decodeText(createReadStream(join(dataDir, file)), { encoding: 'utf-8' });
  return importVoterFile({
    db,
    postgresUrl,
    source: 'ncvoter-demo.txt',
    format: 'ncvoter',
    mapping: NCVOTER_MAPPING,
    text: text('ncvoter-demo.txt'),
    history: { source: 'ncvhis-demo.txt', text: text('ncvhis-demo.txt') },
  });
}

/** The configured Temporal, or a dev server started for this stack (its stop joins `stoppers`). */
async function temporalFor(
  config: Config,
  headless: boolean,
  stoppers: Array<() => Promise<void>>,
): Promise<{ temporalAddress: string; uiUrl?: string }> {
  if (config.temporal.address) return { temporalAddress: config.temporal.address };
  const server: TemporalDevServer = await startTemporalDevServer({
    binary: resolveTemporalBinary('temporal', config.temporal.cli),
    dbFile: config.temporal.dbFile,
    port: config.temporal.port,
    uiPort: config.temporal.uiPort,
    namespace: config.temporal.namespace,
    headless,
    // The UI decodes encrypted payloads through the API's codec endpoints (known once the API port is fixed).
    ...(config.payloads.encryption && config.api.port !== 0
      ? { codecEndpoint: `http://${config.api.host}:${config.api.port}/codec` }
      : {}),
  });
  stoppers.push(() => server.stop());
  return { temporalAddress: server.address, uiUrl: server.uiUrl };
}

/**
 * Everything `enrich dev` runs in one process tree: demo providers (with --demo), the Temporal dev server unless
 * TEMPORAL_ADDRESS is set, the database (embedded PGlite unless DATABASE_URL is set) with migrations (and, with
 * --demo, the demo voter file when none is loaded), the workers and the API. Stops in reverse order.
 */
export async function startDevStack(options: DevStackOptions): Promise<DevStack> {
  const { logger } = options;
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse())
      await stop().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
  };
  try {
    let env = { ...options.env };
    let demo: DemoProviders | undefined;
    if (options.demo) {
      demo = await startDemoProviders();
      stoppers.push(() => demo!.close());
      const rates = Object.fromEntries(
        HTTP_PROVIDER_NAMES.map((name) => [`PROVIDER_${name.toUpperCase()}_RPS`, DEMO_RPS]),
      );
      env = { ...rates, ...env, ...demoProviderEnv(demo) };
    }
    // Tokens nobody set are made up for this run and handed to other commands through the dev-stack file.
    env.API_TOKEN ??= randomBytes(24).toString('base64url');
    env.SIGNUP_TOKEN ??= randomBytes(24).toString('base64url');
    const config = loadConfig(env);
    if (config.usingDevPseudonymKey)
      logger.warn('PSEUDONYM_KEY is not set: using the development key (never in production)');
    const keyless = credentialsNotice(config);
    if (keyless) logger.warn(keyless);
    const workflowBundle = prebuiltWorkflowBundle(config.payloads.encryption);

    const { temporalAddress, uiUrl } = await temporalFor(config, options.headless ?? false, stoppers);

    const database: DatabaseHandle = await openStore(config, logger);
    stoppers.push(() => database.close());
    await migrateToLatest(database.db);
    if (options.demo) {
      const imported = await importDemoVoterFile(database.db, config.database.url);
      if (imported)
        logger.info(
          { importId: imported.importId, voters: imported.voters, votes: imported.historyRows },
          'demo voter file loaded',
        );
    }

    const workerConnection = await NativeConnection.connect({ address: temporalAddress });
    stoppers.push(() => workerConnection.close());
    const workers: WorkerGroup = await startWorkers({
      config,
      connection: workerConnection,
      db: database.db,
      workflowBundle,
    });
    const running = workers.run().catch((err: unknown) => logger.error({ err }, 'worker stopped with an error'));
    stoppers.push(async () => {
      workers.shutdown();
      await running;
    });

    const clientConnection = await Connection.connect({ address: temporalAddress });
    stoppers.push(() => clientConnection.close());
    const temporal = new Client({
      connection: clientConnection,
      namespace: config.temporal.namespace,
      dataConverter: dataConverterFor(config),
    });
    // The retention purge runs on these workers; its schedule follows the configuration (a failure is logged, not fatal).
    await ensureRetentionSchedule(temporal, config).then(
      (schedule) => logger.info(schedule, 'retention schedule'),
      (err: unknown) =>
        logger.error({ err }, 'could not create or update the retention schedule; run `enrich retention`'),
    );
    const api = buildApi({ config, temporal, db: database.db, logger });
    await api.listen({ host: config.api.host, port: config.api.port });
    stoppers.push(() => api.close());
    const address = api.server.address();
    const apiUrl = `http://${config.api.host}:${typeof address === 'object' && address ? address.port : config.api.port}`;

    const apiToken = config.api.apiToken!;
    const signupToken = config.api.signupToken!;
    if (database.embedded) {
      await writeDevStackInfo(config.database.pgliteDir, { pid: process.pid, apiUrl, apiToken, signupToken });
      stoppers.push(() => removeDevStackInfo(config.database.pgliteDir));
    }
    return { config, apiUrl, apiToken, signupToken, temporalAddress, uiUrl, demo, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
