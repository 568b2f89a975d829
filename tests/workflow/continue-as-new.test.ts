import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEnrichment } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import type { Fault } from '../../demo/servers/faults.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import { listLookups } from '../../store/lookups.js';
import { startWorkers, type WorkerGroup } from '../../worker/start-workers.js';
import { retryLookupsUpdate, statusQuery } from '../../workflows/enrich-contact.js';
import {
  consented,
  createEnrichmentHarness,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';

/**
 * A server that suggests continuing as new after this many history events, instead of Temporal's 4,096, so a
 * flagged contact crosses runs after its first automatic retry rather than after hundreds.
 */
const SUGGEST_CONTINUE_AS_NEW_AFTER_EVENTS = 20;

/** The run ids of a workflow, first to latest, followed back from the latest run's start event. */
async function runChain(client: Client, workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    runs.unshift(runId);
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

/**
 * Long-lived flagged runs continue as new before their history grows large, and carry what they know across:
 * each lookup's state and input, and the retries still to come. Real dev server with a lowered threshold.
 */
describe('enrichContact continues as new', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let gravatar: DemoServer | undefined;
  let workers: WorkerGroup | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    [env, harness] = await Promise.all([
      createDevServerEnv([
        '--dynamic-config-value',
        `limit.historyCount.suggestContinueAsNew=${SUGGEST_CONTINUE_AS_NEW_AFTER_EVENTS}`,
      ]),
      createEnrichmentHarness(),
    ]);
  });
  afterEach(async () => {
    workers?.shutdown();
    await running;
    await gravatar?.close();
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  async function start(email: string, fault: Fault, schedule: string) {
    gravatar = await startGravatarDemo({
      entries: [
        {
          email,
          fault,
          profile: {
            hash: '0'.repeat(64),
            display_name: 'Long Runner',
            profile_url: 'https://gravatar.com/long',
            avatar_url: 'https://0.gravatar.com/avatar/x',
            verified_accounts: [],
          },
        },
      ],
    });
    const config = providerConfig({ gravatar: gravatar.url }, { LOOKUP_RETRY_SCHEDULE: schedule });
    workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
    });
    running = workers.run();
    return startEnrichment(env.client, config, { email, consent: consented });
  }

  it('spends the whole retry schedule across runs and ends flagged, with every attempt made once', async () => {
    // Gravatar always fails: three attempts at first, then three on each of the three scheduled retries.
    const started = await start('long.flagged@example.org', { kind: 'server_error' }, '1s,1s,1s');
    const result = (await env.client.workflow.getHandle(started.workflowId).result()) as EnrichmentStatusView;

    expect(result.status).toBe('flagged');
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'failed', errorType: 'ProviderUnavailable', attempts: 3 });
    const runs = await runChain(env.client, started.workflowId);
    expect(runs.length).toBeGreaterThan(1);
    // The schedule carried over: exactly three retries happened, however many runs they took.
    expect(gravatar!.requests()).toBe(3 + 3 * 3);
    const first = await env.client.workflow.getHandle(started.workflowId, runs[0]).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
    const lookup = (await listLookups(harness.database.db, started.contactKey)).find((l) => l.provider === 'gravatar');
    expect(lookup).toMatchObject({ outcome: 'failed' });
  });

  it('answers the status and takes an operator retry in the run it continued into', async () => {
    // The first scheduled retry fails too and the run continues as new, waiting an hour for the second.
    const started = await start('long.operator@example.org', { kind: 'server_error', times: 6 }, '1s,1h');
    const handle = env.client.workflow.getHandle(started.workflowId);
    await expect.poll(() => gravatar!.requests(), { timeout: 30_000 }).toBe(6);
    await expect
      .poll(async () => (await runChain(env.client, started.workflowId)).length, { timeout: 30_000 })
      .toBeGreaterThan(1);
    const settled = await waitForSettled(env.client, started.workflowId);
    expect(settled.status).toBe('flagged');

    // The new run knows the failed lookup and its input without the signup being sent again.
    const status = await handle.query(statusQuery);
    expect(status.lookups.gravatar).toMatchObject({ outcome: 'failed' });
    const answer = await handle.executeUpdate(retryLookupsUpdate, { args: [{}] });
    expect(answer.status).toBe('enriched');
    expect(answer.lookups.gravatar).toMatchObject({ outcome: 'matched', attempts: 1 });
    expect(((await handle.result()) as EnrichmentStatusView).status).toBe('enriched');
    expect(gravatar!.requests()).toBe(7);
  });
});
