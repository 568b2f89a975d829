import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkers } from '../../worker/start-workers.js';
import {
  connectClient,
  createFaultDatabase,
  expectSameAsReference,
  faultConfig,
  faultEnv,
  faultEvidence,
  faultTempDir,
  faultWorkflowBundle,
  referenceRun,
  settledCount,
  snapshotContacts,
  startAll,
  startFaultProviders,
  startFaultTemporal,
  waitForAllClosed,
  waitForSettledCount,
  type FaultTemporal,
} from '../support/fault-run.js';
import { faultSupporters } from '../support/fault-supporters.js';

/**
 * Fault: the Temporal dev server is stopped in the middle of a run and started again on the same SQLite file and
 * port. The workers (in this process) lose the server for a few seconds; workflows in flight must carry on from
 * their persisted histories and settle as a run without faults would.
 */
const CONTACTS = 40;
const STOP_AFTER = Math.floor(CONTACTS / 4);
const DOWN_MS = 3000;

describe('fault: Temporal dev server restarted during a run', () => {
  let dir: string;
  let temporal: FaultTemporal;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    dir = await faultTempDir('enrich-fault-temporal-');
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    temporal = await startFaultTemporal(dir);
    cleanups.push(() => temporal.stop());
    await faultWorkflowBundle();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('completes the workflows in flight after the restart, as a run without faults would', async () => {
    const data = faultSupporters(CONTACTS, { flagged: true });
    const providers = await startFaultProviders(data);
    cleanups.push(() => providers.close());
    const began = Date.now();
    const reference = await referenceRun({ temporalAddress: temporal.address, signups: data.signups, urls: providers.urls });
    const referenceMs = Date.now() - began;

    const database = await createFaultDatabase();
    cleanups.push(() => database.close());
    const env = faultEnv({ temporalAddress: temporal.address, databaseUrl: database.url, urls: providers.urls });
    const config = faultConfig(env);
    const connection = await NativeConnection.connect({ address: temporal.address });
    cleanups.push(() => connection.close());
    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());
    const workers = await startWorkers({ config, connection, db: database.db, workflowBundle: await faultWorkflowBundle() });

    const runBegan = Date.now();
    const { ids, closed, settledAtStop } = await workers.runUntil(
      (async () => {
        const ids = await startAll(client, config, data.signups);
        await waitForSettledCount(database.db, STOP_AFTER, 60_000);
        await temporal.stop();
        const settledAtStop = await settledCount(database.db);
        await sleep(DOWN_MS);
        await temporal.start();
        await waitForSettledCount(database.db, CONTACTS, 120_000);
        return { ids, settledAtStop, closed: await waitForAllClosed(client, ids, 60_000) };
      })(),
    );
    const runMs = Date.now() - runBegan;
    expect(settledAtStop).toBeLessThan(CONTACTS);

    expect([...closed.values()].map((c) => c.status)).toEqual(ids.map(() => 'COMPLETED'));
    const snapshot = await snapshotContacts(database.db);
    expect([...snapshot.values()].filter((c) => c.status === 'flagged')).toHaveLength(data.flaggedCount);
    expectSameAsReference(snapshot, reference);

    const evidence = await faultEvidence(client, ids);
    console.info(
      `[faults] temporal restarted: ${CONTACTS} contacts, stopped at ${settledAtStop} settled for ${DOWN_MS} ms; reference ${referenceMs} ms, ` +
        `run with the restart ${runMs} ms; retried ${JSON.stringify(evidence.retriedActivities)}, workflow task problems ${evidence.workflowTaskProblems}`,
    );
  }, 180_000);
});
