import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { backfill } from '../../cli/backfill/backfill.js';
import { temporalStarter } from '../../cli/backfill/temporal-starter.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { enrichContactWorkflowId } from '../../schemas/ids.js';
import {
  expectSettledAsReference,
  faultEvidence,
  faultWorkflowBundle,
  settledCount,
  waitForSettledCount,
} from '../support/fault-run.js';
import { faultSuite } from '../support/fault-suite.js';
import { faultSupporters } from '../support/fault-supporters.js';

/**
 * Fault: the worker process is killed with SIGKILL in the middle of a backfill, and a new one is started. Whatever
 * the dead worker held (workflow tasks, lookups, database writes) times out on the server and runs again on the
 * new worker; every contact must end settled with what a run without faults leaves.
 *
 * The issue asks for 300 contacts; FAULT_KILL_CONTACTS=300 runs that (it passes, in about 3 minutes on a busy
 * 2-core machine: the reference run and the killed run of 300 contacts each take over a minute). CI runs 50, which
 * keeps the fault suite within its budget and still has dozens of workflows in flight at the moment of the kill.
 */
const CONTACTS = Number(process.env.FAULT_KILL_CONTACTS ?? 50);
/**
 * Kill once this many contacts have settled: the run is under way, and far from its end (contacts started together
 * settle in bursts, so a higher mark could be overtaken by the whole run between two polls).
 */
const KILL_AFTER = Math.max(1, Math.floor(CONTACTS / 10));
/** Deadlines that grow with the number of contacts (a 2-core machine settles a few per second). */
const SCALED_MS = CONTACTS * 1000;

describe('fault: worker killed during a backfill', () => {
  const suite = faultSuite('enrich-fault-kill-');

  it(
    'settles every contact after kill -9 and a new worker, as a run without faults would',
    async () => {
      const data = faultSupporters(CONTACTS, { flagged: true });
      const providers = await suite.startProviders(data);
      const { database, client, config, spawnWorker, waitForPolling, waitForEnd } = await suite.openRun({
        urls: providers.urls,
      });

      // The first worker process bundles its workflows while this process bundles them for the reference run.
      const first = spawnWorker();
      await Promise.all([waitForPolling(first), faultWorkflowBundle()]);

      const runBegan = Date.now();
      const backfilling = backfill({
        input: Readable.from([data.csv]),
        format: 'csv',
        concurrency: 16,
        start: temporalStarter(client, config),
      });
      await waitForSettledCount(database.db, KILL_AFTER, 60_000, () => first.assertAlive());
      await first.kill9();
      const settledAtKill = await settledCount(database.db);
      expect(settledAtKill).toBeLessThan(CONTACTS);
      const second = spawnWorker();

      // While the server waits out what the dead worker held, the reference run goes (in this process, its own queue).
      const ids = data.signups.map((s) => enrichContactWorkflowId(contactKeyFor(s.email, config.pseudonymKey)));
      const [reference, { summary, closed, runMs }] = await Promise.all([
        suite.timedReferenceRun({ signups: data.signups, urls: providers.urls, timeoutMs: 60_000 + SCALED_MS }),
        (async () => {
          const summary = await backfilling;
          const closed = await waitForEnd(ids, second, 150_000 + SCALED_MS);
          return { summary, closed, runMs: Date.now() - runBegan };
        })(),
      ]);
      expect(summary).toMatchObject({
        rows: CONTACTS,
        started: CONTACTS,
        existing: 0,
        rejected: 0,
        notStarted: 0,
        interrupted: false,
      });
      expect([...reference.value.values()].filter((c) => c.status === 'flagged')).toHaveLength(data.flaggedCount);

      await expectSettledAsReference(database.db, closed, reference.value, data.flaggedCount);

      // The kill hit work in flight: some activity ran again, or a workflow task held by the dead worker timed out.
      const evidence = await faultEvidence(client, ids);
      const retried = Object.values(evidence.retriedActivities).reduce((a, b) => a + b, 0);
      expect(retried + evidence.workflowTaskProblems).toBeGreaterThan(0);
      console.info(
        `[faults] worker killed: ${CONTACTS} contacts, killed at ${settledAtKill} settled; reference ${reference.ms} ms, ` +
          `run with the kill ${runMs} ms; retried ${JSON.stringify(evidence.retriedActivities)}, workflow task timeouts ${evidence.workflowTaskProblems}`,
      );
    },
    240_000 + 2 * SCALED_MS,
  );
});
