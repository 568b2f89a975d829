import { NativeConnection } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../demo/servers/faults.js';
import { startWorkers } from '../../worker/start-workers.js';
import {
  expectSettledAsReference,
  faultEvidence,
  faultWorkflowBundle,
  startAll,
  waitForAllClosed,
} from '../support/fault-run.js';
import { faultSuite } from '../support/fault-suite.js';
import { faultSupporters } from '../support/fault-supporters.js';

/**
 * Fault: every provider answers 429 or 500 for a while. Each supporter's first requests to Gravatar and to GitHub
 * are refused (Gravatar: 429 with X-RateLimit-Reset, or 500; GitHub: 429 with retry-after, 403 with an exhausted
 * primary quota, or 500) before the provider answers normally. Every contact must still end enriched, with what
 * a run without faults leaves.
 */
const CONTACTS = 30;
/**
 * Attempts per lookup: a supporter needs at most 4 (three 500s), but while one reply says a quota is spent the
 * client sends nothing to that provider until the reset, and each attempt refused so also counts. 20 leaves room.
 */
const MAX_ATTEMPTS = 20;

const gravatarFault = (i: number): Fault =>
  i % 2 === 0 ? { kind: 'rate_limit', times: 2, retryAfterSeconds: 1 } : { kind: 'server_error', times: 3 };
const githubFault = (i: number): Fault =>
  [
    { kind: 'rate_limit', times: 1, retryAfterSeconds: 1, status: 429 } as const,
    { kind: 'rate_limit', times: 1, status: 403 } as const,
    { kind: 'server_error', times: 2 } as const,
  ][i % 3]!;

describe('fault: every provider answering 429 or 500 for a while', () => {
  const suite = faultSuite('enrich-fault-providers-', { bundle: true });

  it('ends every contact enriched, with the records and observations of a run without faults', async () => {
    const clean = faultSupporters(CONTACTS);
    const faulty = faultSupporters(CONTACTS, { gravatarFault, githubFault });
    const [cleanProviders, faultyProviders] = await Promise.all([
      suite.startProviders(clean),
      suite.startProviders(faulty),
    ]);

    const { database, client, config } = await suite.openRun({ urls: faultyProviders.urls, maxAttempts: MAX_ATTEMPTS });
    const connection = await NativeConnection.connect({ address: suite.temporal.address });
    suite.defer(() => connection.close());
    const workers = await startWorkers({
      config,
      connection,
      db: database.db,
      workflowBundle: await faultWorkflowBundle(),
    });

    // The reference run (clean servers, its own queue, database and key) goes alongside the run under test.
    const [reference, { ids, closed, runMs }] = await Promise.all([
      suite.timedReferenceRun({ signups: clean.signups, urls: cleanProviders.urls, maxAttempts: MAX_ATTEMPTS }),
      workers.runUntil(
        (async () => {
          const runBegan = Date.now();
          const ids = await startAll(client, config, faulty.signups);
          const closed = await waitForAllClosed(client, ids, 90_000);
          return { ids, closed, runMs: Date.now() - runBegan };
        })(),
      ),
    ]);
    expect([...reference.value.values()].every((c) => c.status === 'enriched')).toBe(true);

    // Every workflow completed, every contact enriched (none flagged: the faults only lasted a while), as the reference left them.
    await expectSettledAsReference(database.db, closed, reference.value, faulty.flaggedCount);
    expect([...closed.values()].map((c) => c.result?.status)).toEqual(ids.map(() => 'enriched'));

    // The providers really did refuse every supporter's first requests: the demo servers count each fault exactly.
    const statuses = (server: typeof faultyProviders.gravatar) => server.requestLog().map((r) => r.status);
    const count = (list: number[], status: number) => list.filter((s) => s === status).length;
    const evens = Math.ceil(CONTACTS / 2);
    const gravatarStatuses = statuses(faultyProviders.gravatar);
    expect(count(gravatarStatuses, 429)).toBe(2 * evens);
    expect(count(gravatarStatuses, 500)).toBe(3 * (CONTACTS - evens));
    const githubStatuses = statuses(faultyProviders.github);
    const third = (r: number) => Array.from({ length: CONTACTS }, (_, i) => i).filter((i) => i % 3 === r).length;
    expect(count(githubStatuses, 429)).toBe(third(0));
    expect(count(githubStatuses, 403)).toBe(third(1));
    expect(count(githubStatuses, 500)).toBe(2 * third(2));

    const evidence = await faultEvidence(client, ids);
    const maxAttempts = Math.max(
      ...[...closed.values()].flatMap((c) => Object.values(c.result?.lookups ?? {}).map((l) => l?.attempts ?? 0)),
    );
    expect(maxAttempts).toBeLessThan(MAX_ATTEMPTS);
    console.info(
      `[faults] providers: reference ${reference.ms} ms, faulty run ${runMs} ms, most attempts ${maxAttempts}, retried ${JSON.stringify(evidence.retriedActivities)}`,
    );
  }, 150_000);
});
