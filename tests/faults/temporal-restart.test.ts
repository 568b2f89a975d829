import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { expectSettledAsReference, faultEvidence, settledCount, startAll, waitUntil } from '../support/fault-run.js';
import { faultSuite } from '../support/fault-suite.js';
import { faultSupporters } from '../support/fault-supporters.js';

/**
 * Fault: the Temporal dev server is stopped in the middle of a run and started again on the same SQLite file and
 * port. The worker process loses the server for a few seconds; workflows in flight must carry on from
 * their persisted histories and settle as a run without faults would.
 */
const CONTACTS = 30;
/**
 * Stop once a quarter of the Gravatar lookups have been answered: every workflow is then still in stage 1 or
 * before it (none can have settled), whereas counting settled contacts would stop too late, since the merges of
 * contacts started together all come within a second.
 */
const STOP_AFTER_LOOKUPS = Math.floor(CONTACTS / 4);
const DOWN_MS = 3000;

describe('fault: Temporal dev server restarted during a run', () => {
  const suite = faultSuite('enrich-fault-temporal-', { bundle: true });

  it('completes the workflows in flight after the restart, as a run without faults would', async () => {
    const { temporal } = suite;
    const data = faultSupporters(CONTACTS, { flagged: true });
    const providers = await suite.startProviders(data);
    const { database, client, config, spawnWorker, waitForPolling, waitForEnd } = await suite.openRun({
      urls: providers.urls,
    });

    // The worker process (`enrich worker`, as deployed) starts while the reference run goes: the reference must be
    // over before the restart, or it would not be a run without faults.
    const worker = spawnWorker();
    const reference = await suite.timedReferenceRun({ signups: data.signups, urls: providers.urls });
    await waitForPolling(worker);

    const runBegan = Date.now();
    const lookupsBefore = providers.gravatar.requests(); // the reference run's
    const ids = await startAll(client, config, data.signups);
    await waitUntil(
      'the first Gravatar lookups',
      () => providers.gravatar.requests() - lookupsBefore >= STOP_AFTER_LOOKUPS,
      60_000,
      () => worker.assertAlive(),
    );
    const settledBeforeStop = await settledCount(database.db);
    const stopBegan = Date.now();
    await temporal.stop();
    const stopMs = Date.now() - stopBegan;
    const settledAtStop = await settledCount(database.db);
    await sleep(DOWN_MS);
    await temporal.start();
    const closed = await waitForEnd(ids, worker);
    const runMs = Date.now() - runBegan;
    // Workflows were in flight while the server was away, and the worker rode out the outage (same process).
    expect(settledAtStop).toBeLessThan(CONTACTS);
    worker.assertAlive();

    await expectSettledAsReference(database.db, closed, reference.value, data.flaggedCount);

    const evidence = await faultEvidence(client, ids);
    console.info(
      `[faults] temporal restarted: ${CONTACTS} contacts, stop asked at ${settledBeforeStop} settled, took ${stopMs} ms, ${settledAtStop} settled when down for ${DOWN_MS} ms; reference ${reference.ms} ms, ` +
        `run with the restart ${runMs} ms; retried ${JSON.stringify(evidence.retriedActivities)}, workflow task problems ${evidence.workflowTaskProblems}`,
    );
  }, 180_000);
});
