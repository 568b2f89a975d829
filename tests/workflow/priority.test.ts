import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { gravatarHash, startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { startEnrichment } from '../../client/start-enrichment.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import { startWorkers } from '../../worker/start-workers.js';
import {
  consented,
  createEnrichmentHarness,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';

const BACKFILL = 30;
const backfillEmail = (i: number) => `backfill.${i}@example.org`;
const LIVE = 'live.signup@example.org';

/** Polls until `check` holds (a condition, not a timing: the deadline only bounds a broken run). */
async function until(check: () => boolean, what: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Issue #17 item 6, on the real dev server: a provider queue limited to 2 lookups a second holds a backlog of
 * backfill lookups (priority 4); a live signup (priority 1) submitted behind them is dispatched next, not after
 * them, and its enrichment finishes while most of the backfill is still waiting.
 */
describe('task-queue priority on a rate-limited provider queue', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let gravatar: DemoServer;

  beforeAll(async () => {
    [env, harness, gravatar] = await Promise.all([
      createDevServerEnv(),
      createEnrichmentHarness(),
      startGravatarDemo({ entries: [] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close(), gravatar?.close()]);
  });

  it('runs a live signup before the backfill lookups queued ahead of it', { timeout: 120_000 }, async () => {
    // Gravatar only, its queue at 2 lookups a second.
    const config = providerConfig({ gravatar: gravatar.url }, { PROVIDER_GRAVATAR_RPS: '2' });
    const hashes = new Map<string, string>([[gravatarHash(LIVE), 'live']]);
    for (let i = 0; i < BACKFILL; i++) hashes.set(gravatarHash(backfillEmail(i)), 'backfill');
    const asked = () =>
      gravatar.requestLog().flatMap((r) => {
        const who = [...hashes].find(([hash]) => r.url.includes(hash));
        return who ? [who[1]] : [];
      });

    const workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
    });
    await workers.runUntil(
      (async () => {
        const backfill = await Promise.all(
          Array.from({ length: BACKFILL }, (_, i) =>
            startEnrichment(env.client, config, { email: backfillEmail(i), consent: consented }, new Date(), {
              priority: 'backfill',
            }),
          ),
        );
        // The backlog is there: the queue has begun serving it at its rate, and most of it is still waiting.
        await until(() => asked().length >= 4, 'the first backfill lookups');
        const servedBefore = asked().length;
        expect(servedBefore).toBeLessThan(BACKFILL / 2);

        const live = await startEnrichment(env.client, config, { email: LIVE, consent: consented });
        const result = (await env.client.workflow.getHandle(live.workflowId).result()) as EnrichmentStatusView;
        expect(result.lookups.gravatar).toMatchObject({ outcome: 'no_match' });

        // When the live enrichment is done, most of the backfill has not been asked yet.
        const order = asked();
        const liveAt = order.indexOf('live');
        expect(liveAt).toBeGreaterThanOrEqual(servedBefore);
        // Overtaken: at most the few backfill lookups already handed to the worker's pollers went first.
        expect(liveAt - servedBefore).toBeLessThanOrEqual(3);
        expect(order.length).toBeLessThan(BACKFILL / 2 + 4);

        // The backfill still completes, every lookup asked once.
        await Promise.all(backfill.map((b) => env.client.workflow.getHandle(b.workflowId).result()));
        const all = asked();
        expect(all.filter((who) => who === 'backfill')).toHaveLength(BACKFILL);
        expect(all.indexOf('live')).toBe(liveAt);
      })(),
    );
  });
});
