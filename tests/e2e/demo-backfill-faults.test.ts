import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../cli/backfill/backfill.js';
import { BAIT_URLS } from '../../demo/servers/faults.js';
import { temporalStarter } from '../../cli/backfill/temporal-starter.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { findContactRecord } from '../../store/contacts.js';
import { listObservations } from '../../store/observations.js';
import { enrichContactWorkflowId } from '../../schemas/ids.js';
import { startDemoPipeline, type DemoPipeline } from '../support/enrichment-harness.js';

const DEMO_SUPPORTERS = 'demo/supporters.csv';
// eslint-disable-next-line no-control-regex -- what Postgres cannot store, searched for in what was stored
const UNSTORABLE = /[\u0000]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The demo supporters through the whole pipeline while the demo providers answer with the hostile faults of the
 * demo data (NUL bytes and lone surrogates in names and bios, bait URLs at internal addresses, an ambiguous
 * geocode, three 429s without a retry time): every contact ends, each as it should, and nothing unstorable or
 * internal reaches the store. Before, the hostile-text contacts never finished.
 */
describe('the demo backfill with hostile provider data', () => {
  let pipeline: DemoPipeline;
  const keyOf = (email: string) => contactKeyFor(email, pipeline.config.pseudonymKey);

  beforeAll(async () => {
    // FEC with its default attempts (tests use 3): the demo's three 429s without a retry time, then a 200.
    pipeline = await startDemoPipeline({ SOCIAL_LOOKUP_BASIS: 'consent', PROVIDER_FEC_MAX_ATTEMPTS: '6' });
  }, 120_000);
  afterAll(async () => pipeline?.close());

  it('ends every contact, flags the ambiguous one, and stores no NUL, lone surrogate or internal URL', async () => {
    const { env, config, harness } = pipeline;
    const result = await backfill({
      input: createReadStream(DEMO_SUPPORTERS),
      concurrency: 8,
      start: temporalStarter(env.client, config),
    });
    expect(result).toMatchObject({ rows: 50, started: 50, rejected: 0 });
    const emails = (await readFile(DEMO_SUPPORTERS, 'utf8'))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]!.toLowerCase());

    // No automatic retry schedule in tests: every run completes once its lookups have settled.
    const outcomes = await Promise.all(
      emails.map(async (email) => {
        const handle = env.client.workflow.getHandle(enrichContactWorkflowId(keyOf(email)));
        const settled = await Promise.race([
          handle.result(),
          new Promise((resolve) => setTimeout(() => resolve('still running'), 90_000)),
        ]);
        return [email, settled] as const;
      }),
    );
    const unfinished = outcomes.filter(([, view]) => view === 'still running').map(([email]) => email);
    expect(unfinished).toEqual([]);

    for (const email of emails) {
      const key = keyOf(email);
      const stored = JSON.stringify(await listObservations(harness.database.db, key));
      expect(stored, email).not.toMatch(UNSTORABLE);
      const record = await findContactRecord(harness.database.db, key);
      expect(record, email).toBeDefined();
      const lookups = Object.values(record!.lookups ?? {});
      expect(
        lookups.every((l) => ['matched', 'no_match', 'skipped', 'failed'].includes(l.outcome)),
        email,
      ).toBe(true);
      expect(JSON.stringify(record), email).not.toMatch(UNSTORABLE);
      // (The demo providers themselves listen on 127.0.0.1: their own URLs are the evidence, and are kept.)
      for (const bait of Object.values(BAIT_URLS)) expect(JSON.stringify(record), email).not.toContain(bait);
    }

    const record = async (email: string) => (await findContactRecord(harness.database.db, keyOf(email)))!;
    expect((await record('ben.carter@example.com')).name?.display).toMatch(/^Ben Carter$/);
    const carlos = await record('carlos.mendez@example.com');
    expect(carlos.lookups?.census).toMatchObject({ outcome: 'failed', attempts: 1 });
    expect(carlos.lookups?.census?.lastError).toMatch(/address matches in different districts/);
    expect(carlos.status).toBe('flagged');
    expect((await record('george.pappas@example.org')).lookups?.fec).toMatchObject({ outcome: 'matched' });
    expect((await record('henry.adams@example.org')).provenance?.dropped?.length).toBeGreaterThan(0);
    // Its demo retries and waits take about a minute on two cores: the default 60 s left no margin.
  }, 180_000);
});
