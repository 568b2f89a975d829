import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../client/backfill/backfill.js';
import { temporalStarter } from '../../client/backfill/temporal-starter.js';
import { contactKeyFor } from '../../client/contact-key.js';
import { enrichContactWorkflowId } from '../../workflows/ids.js';
import {
  connectClient,
  createFaultDatabase,
  expectSameAsReference,
  FAULT_PROVIDERS,
  faultConfig,
  faultEnv,
  faultEvidence,
  faultTempDir,
  faultWorkflowBundle,
  referenceRun,
  settledCount,
  snapshotContacts,
  spawnWorkerProcess,
  startFaultProviders,
  startFaultTemporal,
  waitForAllClosed,
  waitForSettledCount,
  waitForWorkerPolling,
  type FaultTemporal,
  type WorkerProcess,
} from '../support/fault-run.js';
import { faultSupporters } from '../support/fault-supporters.js';

/**
 * Fault: the worker process is killed with SIGKILL in the middle of a backfill, and a new one is started. Whatever
 * the dead worker held (workflow tasks, lookups, database writes) times out on the server and runs again on the
 * new worker; every contact must end settled with what a run without faults leaves.
 *
 * The issue asks for 300 contacts; FAULT_KILL_CONTACTS=300 runs that. CI runs 60: on a 2-core machine the
 * reference run plus the killed run of 300 take several minutes, far over the fault suite's budget, and 60 already
 * puts dozens of workflows in every stage at the moment of the kill.
 */
const CONTACTS = Number(process.env.FAULT_KILL_CONTACTS ?? 60);
/** Kill once this many contacts have settled: well into the run, far from its end. */
const KILL_AFTER = Math.max(1, Math.floor(CONTACTS / 4));

describe('fault: worker killed during a backfill', () => {
  let dir: string;
  let temporal: FaultTemporal;
  const workers: WorkerProcess[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    dir = await faultTempDir('enrich-fault-kill-');
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    temporal = await startFaultTemporal(dir);
    cleanups.push(() => temporal.stop());
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('settles every contact after kill -9 and a new worker, as a run without faults would', async () => {
    const data = faultSupporters(CONTACTS, { flagged: true });
    const providers = await startFaultProviders(data);
    cleanups.push(() => providers.close());
    const database = await createFaultDatabase();
    cleanups.push(() => database.close());
    const env = faultEnv({ temporalAddress: temporal.address, databaseUrl: database.url, urls: providers.urls });
    const config = faultConfig(env);
    const client = await connectClient(config);
    cleanups.push(() => client.connection.close());

    // The first worker process bundles its workflows while the reference run goes (in this process, on its own queue).
    const first = spawnWorkerProcess(env);
    workers.push(first);
    const began = Date.now();
    const reference = await referenceRun({ temporalAddress: temporal.address, signups: data.signups, urls: providers.urls });
    const referenceMs = Date.now() - began;
    expect([...reference.values()].filter((c) => c.status === 'flagged')).toHaveLength(data.flaggedCount);
    await waitForWorkerPolling(client, config.temporal.taskQueue, FAULT_PROVIDERS, first.pid);

    const runBegan = Date.now();
    const backfilling = backfill({ input: Readable.from([data.csv]), format: 'csv', concurrency: 16, start: temporalStarter(client, config) });
    await waitForSettledCount(database.db, KILL_AFTER, 60_000);
    await first.kill9();
    const settledAtKill = await settledCount(database.db);
    expect(settledAtKill).toBeLessThan(CONTACTS);
    const second = spawnWorkerProcess(env);
    workers.push(second);

    const summary = await backfilling;
    expect(summary).toMatchObject({ rows: CONTACTS, started: CONTACTS, existing: 0, rejected: 0, notStarted: 0, interrupted: false });
    const ids = data.signups.map((s) => enrichContactWorkflowId(contactKeyFor(s.email, config.pseudonymKey)));
    await waitForSettledCount(database.db, CONTACTS, 120_000);
    const closed = await waitForAllClosed(client, ids, 60_000);
    const runMs = Date.now() - runBegan;

    expect([...closed.values()].map((c) => c.status)).toEqual(ids.map(() => 'COMPLETED'));
    const snapshot = await snapshotContacts(database.db);
    expect([...snapshot.values()].filter((c) => c.status === 'flagged')).toHaveLength(data.flaggedCount);
    // What each workflow answered is what the store says.
    for (const [email, contact] of snapshot) {
      expect(closed.get(enrichContactWorkflowId(contact.contactId))?.result?.status, email).toBe(contact.status);
    }
    expectSameAsReference(snapshot, reference);

    // The kill hit work in flight: some activity ran again, or a workflow task held by the dead worker timed out.
    const evidence = await faultEvidence(client, ids);
    const retried = Object.values(evidence.retriedActivities).reduce((a, b) => a + b, 0);
    expect(retried + evidence.workflowTaskProblems).toBeGreaterThan(0);
    console.info(
      `[faults] worker killed: ${CONTACTS} contacts, killed at ${settledAtKill} settled; reference ${referenceMs} ms, ` +
        `run with the kill ${runMs} ms; retried ${JSON.stringify(evidence.retriedActivities)}, workflow task timeouts ${evidence.workflowTaskProblems}`,
    );
  }, 240_000);
});
