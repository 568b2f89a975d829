import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createStoreActivities } from '../../activities/store-activities.js';
import { startDemoProviders, type DemoProviders } from '../../demo/servers/start-demo-providers.js';
import { HTTP_PROVIDER_NAMES } from '../../schemas/providers.js';
import { ContactRecordSchema } from '../../schemas/contact-record.js';
import { findContactById } from '../../store/contacts.js';
import { listLookups } from '../../store/lookups.js';
import { listObservations } from '../../store/observations.js';
import { startWorkers } from '../../worker/start-workers.js';
import { startEnrichment } from '../../client/start-enrichment.js';
import { statusQuery } from '../../workflows/enrich-contact.js';
import { EnrichmentStatusKey, FlaggedProvidersKey } from '../../workflows/search-attributes.js';
import {
  consented,
  createEnrichmentHarness,
  enrichWithWorkers,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';

/** Workflow tests on the real Temporal dev server, real Postgres, and the demo providers speaking the real APIs. */
describe('enrichContact', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let demo: DemoProviders;
  const urls = () => Object.fromEntries(HTTP_PROVIDER_NAMES.map((name) => [name, demo[name].url]));

  beforeAll(async () => {
    [env, harness, demo] = await Promise.all([createDevServerEnv(), createEnrichmentHarness(), startDemoProviders()]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close(), demo?.close()]);
  });

  async function recordOf(contactKey: string) {
    const row = await findContactById(harness.database.db, contactKey);
    return ContactRecordSchema.parse(row?.record);
  }

  it('merges Gravatar and GitHub into one record with provenance', async () => {
    const config = providerConfig(urls());
    const { started, result } = await enrichWithWorkers(env, harness, config, {
      email: 'Dana.Ruiz@example.org',
      givenName: 'Dana',
      familyName: 'Ruiz',
      postalAddress: { postalCode: '27601', country: 'US' },
      consent: consented,
    });
    expect(started.status).toBe('started');
    expect(started.workflowId).toBe(`enrich-contact:${started.contactKey}`);
    expect(started.workflowId).not.toContain('dana');
    expect(result.status).toBe('enriched');
    expect(result.lookups).toMatchObject({
      gravatar: { outcome: 'matched', attempts: 1 },
      github: { outcome: 'matched', attempts: 1 },
      // Stage 2 follows her Gravatar-verified Mastodon account. No street was given, so no geocoding; her name
      // and ZIP reach the FEC, where no donor of that name gave from this ZIP.
      mastodon: { outcome: 'matched', attempts: 1 },
      bluesky: { outcome: 'skipped', reason: 'missing_input' },
      census: { outcome: 'skipped', reason: 'missing_input' },
      fec: { outcome: 'no_match' },
      ban: { outcome: 'skipped', reason: 'missing_input' },
    });

    const record = await recordOf(started.contactKey);
    expect(record.email).toBe('dana.ruiz@example.org');
    expect(record.status).toBe('enriched');
    expect(record.name).toEqual({ given: 'Dana', family: 'Ruiz', display: 'Dana Ruiz' });
    expect(record.location.postalCode).toBe('27601');
    expect(record.profiles).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ network: 'github', handle: 'druiz-demo', verified: true }),
        expect.objectContaining({ network: 'gravatar', verified: true }),
        expect.objectContaining({ network: 'mastodon', verified: true }),
      ]),
    );
    // Every field shows its sources, best first: what she typed outranks every profile; among profiles linked
    // equally strongly (0.9) the more recent wins (Mastodon, found in stage 2); GitHub's email link is weaker (0.85).
    expect(record.provenance['name.display']?.map((p) => p.provider)).toEqual([
      'signup',
      'mastodon',
      'gravatar',
      'github',
    ]);
    expect(record.provenance['work.title']?.[0]).toMatchObject({
      provider: 'gravatar',
      confidence: 0.9,
      sourceUrl: expect.stringContaining('gravatar'),
    });
    expect(record.provenance['profiles']?.some((p) => p.provider === 'github')).toBe(true);

    const description = await env.client.workflow.getHandle(started.workflowId).describe();
    expect(description.typedSearchAttributes.get(EnrichmentStatusKey)).toBe('enriched');
    // An empty keyword list is stored as no value at all.
    expect(description.typedSearchAttributes.get(FlaggedProvidersKey) ?? []).toEqual([]);
  });

  it('geocodes the address to districts and finds the donor record, marked restricted', async () => {
    const { started, result } = await enrichWithWorkers(env, harness, providerConfig(urls()), {
      email: 'tomas.lindqvist@example.net',
      givenName: 'Tomas',
      familyName: 'Lindqvist',
      postalAddress: {
        lines: ['482 W Market St'],
        locality: 'Akron',
        region: 'OH',
        postalCode: '44303',
        country: 'US',
      },
      consent: consented,
    });
    expect(result.lookups).toMatchObject({
      census: { outcome: 'matched' },
      fec: { outcome: 'matched' },
      ban: { outcome: 'skipped' },
    });
    const record = await recordOf(started.contactKey);
    expect(record.location.districts).toMatchObject({ congressional: 'OH-13', county: 'Summit County' });
    expect(record.location.lat).toBeCloseTo(41.087, 2);
    expect(record.work.occupation).toBe('Physician');
    expect(record.provenance['work.occupation']?.[0]?.provider).toBe('fec');
    expect(record.donations).toMatchObject({ count: 2, restricted: true });
  });

  it('follows a verified GitHub account by login when the email search finds nothing', async () => {
    const { result, started } = await enrichWithWorkers(env, harness, providerConfig(urls()), {
      email: 'grace.kim@example.com',
      consent: consented,
    });
    expect(result.lookups.github).toMatchObject({ outcome: 'matched' });
    expect(result.lookups.bluesky).toMatchObject({ outcome: 'matched' });
    const record = await recordOf(started.contactKey);
    expect(record.profiles).toEqual(
      expect.arrayContaining([expect.objectContaining({ network: 'github', handle: 'gkim-designs', verified: true })]),
    );
    expect(record.provenance['profiles']?.some((p) => p.provider === 'github')).toBe(true);
  });

  it('flags the contact when a provider keeps failing, and stores why', async () => {
    const config = providerConfig(urls());
    const { started, result } = await enrichWithWorkers(env, harness, config, {
      email: 'fiona.flaky@example.org',
      consent: consented,
    });
    expect(result.status).toBe('flagged');
    expect(result.lookups.gravatar).toMatchObject({
      outcome: 'failed',
      attempts: 3,
      errorType: 'ProviderUnavailable',
      lastError: 'gravatar answered HTTP 500',
    });
    expect(result.lookups.github).toMatchObject({ outcome: 'no_match' });

    const lookups = await listLookups(harness.database.db, started.contactKey);
    expect(lookups.find((l) => l.provider === 'gravatar')).toMatchObject({
      outcome: 'failed',
      attempts: 3,
      error_type: 'ProviderUnavailable',
    });
    expect((await recordOf(started.contactKey)).status).toBe('flagged');

    const handle = env.client.workflow.getHandle(started.workflowId);
    expect((await handle.describe()).typedSearchAttributes.get(FlaggedProvidersKey)).toEqual(['gravatar']);
    // The `status` query answers from the closed run's history (the SDK replays it on a worker).
    const workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
    });
    const status = await workers.runUntil(handle.query(statusQuery));
    expect(status).toEqual(result);
    // Operators find it in the UI with EnrichmentStatus = "flagged" (visibility catches up within moments).
    let found: string[] = [];
    for (let i = 0; i < 50 && !found.includes(started.workflowId); i++) {
      found = [];
      for await (const wf of env.client.workflow.list({ query: 'EnrichmentStatus = "flagged"' }))
        found.push(wf.workflowId);
      if (!found.includes(started.workflowId)) await new Promise((r) => setTimeout(r, 200));
    }
    expect(found).toContain(started.workflowId);
  });

  it('fails a malformed reply at once, without retrying', async () => {
    const before = demo.gravatar.requests();
    const { result } = await enrichWithWorkers(env, harness, providerConfig(urls()), {
      email: 'marco.mangled@example.net',
      consent: consented,
    });
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'failed', attempts: 1, errorType: 'MalformedResponse' });
    expect(demo.gravatar.requests() - before).toBe(1);
    expect(result.status).toBe('flagged');
  });

  it('waits for the announced reset after a 429, then succeeds', async () => {
    const log = () => demo.gravatar.requestLog().filter((r) => r.url.includes('/profiles/'));
    const before = log().length;
    const { result } = await enrichWithWorkers(env, harness, providerConfig(urls()), {
      email: 'rosa.retry@example.org',
      consent: consented,
    });
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'matched', attempts: 2 });
    const [limited, retried] = log().slice(before);
    expect(limited?.status).toBe(429);
    expect(retried?.status).toBe(200);
    // The reset was announced about 2 s ahead (epoch seconds, so up to 1 s less); the retry policy alone would wait 100 ms.
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(900);
  });

  it('skips social lookups without consent and calls no provider', async () => {
    const before = demo.gravatar.requests() + demo.github.requests();
    const { started, result } = await enrichWithWorkers(env, harness, providerConfig(urls()), {
      email: 'omar.haddad@example.net',
    });
    expect(result.lookups).toMatchObject({
      gravatar: { outcome: 'skipped', reason: 'no_lawful_basis' },
      github: { outcome: 'skipped', reason: 'no_lawful_basis' },
      mastodon: { outcome: 'skipped', reason: 'no_lawful_basis' },
      bluesky: { outcome: 'skipped', reason: 'no_lawful_basis' },
    });
    expect(demo.gravatar.requests() + demo.github.requests()).toBe(before);
    expect((await recordOf(started.contactKey)).profiles).toEqual([]);
  });

  it('finds the same workflow for a duplicate signup and starts nothing new', async () => {
    const config = providerConfig(urls());
    const signup = { email: 'lena.okafor@example.org', consent: consented };
    const workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
    });
    const [first, second, third] = await workers.runUntil(
      (async () => {
        const a = await startEnrichment(env.client, config, signup);
        const b = await startEnrichment(env.client, config, { ...signup, email: ' LENA.OKAFOR@example.org ' });
        await env.client.workflow.getHandle(a.workflowId).result();
        const c = await startEnrichment(env.client, config, signup);
        return [a, b, c];
      })(),
    );
    expect(first.status).toBe('started');
    expect(second).toEqual({ ...first, status: 'existing' });
    expect(third).toEqual({ ...first, status: 'existing' });
    const runs: string[] = [];
    for await (const wf of env.client.workflow.list({ query: `WorkflowId = "${first.workflowId}"` }))
      runs.push(wf.runId);
    expect(runs).toHaveLength(1);
  });

  it('gives the same record when the merge runs again, and no duplicate observations', async () => {
    const config = providerConfig(urls());
    const { started } = await enrichWithWorkers(env, harness, config, {
      email: 'grace.kim@example.com',
      givenName: 'Grace',
      consent: consented,
    });
    const before = await recordOf(started.contactKey);
    const observations = await listObservations(harness.database.db, started.contactKey);
    await createStoreActivities(harness.database.db).mergeContact({ contactKey: started.contactKey });
    await createStoreActivities(harness.database.db).mergeContact({ contactKey: started.contactKey });
    expect(await recordOf(started.contactKey)).toEqual(before);
    expect(await listObservations(harness.database.db, started.contactKey)).toEqual(observations);
  });
});
