import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  expectSettledAsReference,
  faultEvidence,
  faultWorkflowBundle,
  settledCount,
  startAll,
  waitUntil,
} from '../support/fault-run.js';
import { startPrivatePostgres, type PrivatePostgres } from '../support/fault-postgres.js';
import { faultSuite } from '../support/fault-suite.js';
import { faultSupporters } from '../support/fault-supporters.js';

/**
 * Fault: Postgres is restarted (fast shutdown: sessions cut, then a new start) in the middle of a run. It is a
 * private cluster of this test's own, so the shared server the other tests use is never touched. The store
 * activities of the worker process fail while it is away and retry until it is back; every contact must end as a run without faults
 * leaves it.
 */
const CONTACTS = 30;
/** Stop once a quarter of the Gravatar lookups have been answered: every workflow is then still in stage 1 or before. */
const STOP_AFTER_LOOKUPS = Math.floor(CONTACTS / 4);
const DOWN_MS = 3000;

const STORE_ACTIVITIES = ['saveSignup', 'recordLookup', 'mergeContact'];

describe('fault: Postgres restarted during a run', () => {
  let postgres: PrivatePostgres;
  const suite = faultSuite('enrich-fault-postgres-', {
    alongside: async (defer) => {
      postgres = await startPrivatePostgres();
      defer(() => postgres.destroy());
    },
  });

  it('retries the store writes until Postgres is back and settles every contact as a run without faults would', async () => {
    const data = faultSupporters(CONTACTS, { flagged: true });
    // The reference run gets servers of its own, so the run under test can be timed by what its servers answered.
    const [providers, referenceProviders] = await Promise.all([suite.startProviders(data), suite.startProviders(data)]);
    // The test reads through its own pool; the worker is a process of its own (`enrich worker`), as deployed.
    const { database, client, config, spawnWorker, waitForPolling, waitForEnd } = await suite.openRun({
      databaseUrl: postgres.url,
      urls: providers.urls,
    });
    const worker = spawnWorker();
    // The worker process bundles its workflows while this process bundles them for the reference run.
    await Promise.all([waitForPolling(worker), faultWorkflowBundle()]);

    // The reference run (the shared Postgres, its own queue and key) goes alongside the run under test.
    const [reference, { ids, closed, settledAtStop, runMs }] = await Promise.all([
      suite.timedReferenceRun({ signups: data.signups, urls: referenceProviders.urls }),
      (async () => {
        const runBegan = Date.now();
        const ids = await startAll(client, config, data.signups);
        await waitUntil(
          'the first Gravatar lookups',
          () => providers.gravatar.requests() >= STOP_AFTER_LOOKUPS,
          60_000,
          () => worker.assertAlive(),
        );
        const settledAtStop = await settledCount(database.db);
        await postgres.stop();
        await sleep(DOWN_MS);
        await postgres.start();
        const closed = await waitForEnd(ids, worker);
        return { ids, closed, settledAtStop, runMs: Date.now() - runBegan };
      })(),
    ]);
    // The worker carried on through the outage: it is the same process, still running.
    worker.assertAlive();
    expect(settledAtStop).toBeLessThan(CONTACTS);

    await expectSettledAsReference(database.db, closed, reference.value, data.flaggedCount);

    // Postgres really was away while writes were due: some store activity failed and ran again.
    const evidence = await faultEvidence(client, ids);
    const storeRetries = STORE_ACTIVITIES.reduce((sum, type) => sum + (evidence.retriedActivities[type] ?? 0), 0);
    expect(storeRetries).toBeGreaterThan(0);
    console.info(
      `[faults] postgres restarted: ${CONTACTS} contacts, stopped at ${settledAtStop} settled for ${DOWN_MS} ms; reference ${reference.ms} ms, ` +
        `run with the restart ${runMs} ms; retried ${JSON.stringify(evidence.retriedActivities)}`,
    );
  }, 180_000);
});
