import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLookupActivity, type LookupActivity } from '../../activities/lookup-activity.js';
import { createFecProvider } from '../../activities/providers/fec.js';
import { createGravatarProvider } from '../../activities/providers/gravatar.js';
import { startFecDemo, type FecDemoEntry } from '../../demo/servers/fec-server.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import { ContactRecordSchema } from '../../schemas/contact-record.js';
import type { LookupInput, ProviderLookupResult } from '../../schemas/lookup.js';
import { findContactById } from '../../store/contacts.js';
import {
  consented,
  createEnrichmentHarness,
  enrichWithWorkers,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { startProviderStub } from '../support/provider-stub-server.js';
import { createDevServerEnv } from '../support/temporal.js';

/**
 * What the lookup activity adds to every provider: URLs that may not be stored are taken out of the answer (and
 * the drop noted), and a 429 that names no retry time is retried with full-jitter backoff inside the lookup's
 * budget. Unit cases in a mocked activity context, then the same through real workflows (dev server, Postgres).
 */
const quiet = { logger: new DefaultLogger('ERROR') };
const closers = closeAfterEach();
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const ADA = 'ada.bait@example.org';
function adaProfile(): Record<string, unknown> {
  const hash = sha256(ADA);
  return {
    hash,
    display_name: 'Ada Bait',
    profile_url: `https://gravatar.com/${hash.slice(0, 10)}`,
    avatar_url: `https://0.gravatar.com/avatar/${hash}`,
    verified_accounts: [
      { service_type: 'github', service_label: 'GitHub', url: 'https://github.com/ada-bait', is_hidden: false },
    ],
  };
}

const DANA: LookupInput = {
  contactKey: 'k'.repeat(64),
  email: 'dana.ruiz@example.org',
  givenName: 'Dana',
  familyName: 'Ruiz',
  postalAddress: { postalCode: '43215', country: 'US' },
};
function danaDonor(fault?: FecDemoEntry['fault']): FecDemoEntry {
  return {
    name: 'RUIZ, DANA',
    zip: '43215',
    results: [
      {
        sub_id: '4100000000002',
        contributor_name: 'RUIZ, DANA',
        contributor_first_name: 'DANA',
        contributor_last_name: 'RUIZ',
        contributor_street_1: '12 ELM ST',
        contributor_zip: '432151234',
        contributor_employer: 'RIVERSIDE FOOD BANK',
        contributor_occupation: 'PROGRAM MANAGER',
        contribution_receipt_amount: 250,
        contribution_receipt_date: '2025-10-14',
        is_individual: true,
        pdf_url: 'https://docquery.fec.gov/cgi-bin/fecimg/?202510149876543210',
      },
    ],
    ...(fault ? { fault } : {}),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('the lookup activity, in a mocked activity context', () => {
  it('stores no bait URL a Gravatar profile carries, and notes each drop', async () => {
    const server = await startGravatarDemo({
      entries: [{ email: ADA, profile: adaProfile(), fault: { kind: 'bait_urls' } }],
    });
    closers.push(() => server.close());
    const provider = createGravatarProvider(
      { name: 'gravatar', baseUrl: server.url, enabled: true, rps: 50, timeoutMs: 1000, maxAttempts: 3 },
      { maxResponseBytes: 65536 },
    );
    closers.push(() => provider.close());

    const env = new MockActivityEnvironment({ attempt: 1 }, quiet);
    const result = await env.run<[LookupInput], ProviderLookupResult, LookupActivity>(
      createLookupActivity(provider, { trustedOrigins: [server.url] }),
      {
        contactKey: 'k'.repeat(64),
        email: ADA,
      },
    );

    expect(result.outcome).toBe('matched');
    expect(JSON.stringify(result.observations)).not.toMatch(/169\.254|10\.0\.0\.1|127\.0\.0\.1/);
    // The name stays (without its bait source); the avatar and both profile links go, each noted.
    expect(result.observations.find((o) => o.field === 'name.display')).toEqual({
      field: 'name.display',
      value: 'Ada Bait',
      confidence: 0.9,
      fetchedAt: expect.any(String),
    });
    expect(result.observations.filter((o) => o.field === 'avatarUrl' || o.field === 'profiles')).toEqual([]);
    expect(result.observations.filter((o) => o.field === 'dropped').map((o) => o.value)).toEqual(
      expect.arrayContaining([
        { field: 'name.display', part: 'sourceUrl', reason: 'not an https URL' },
        { field: 'avatarUrl', part: 'value', reason: 'not an https URL' },
        { field: 'profiles', part: 'value', reason: 'not an https URL' },
        { field: 'profiles', part: 'value', reason: 'host is not a public address' },
      ]),
    );
  });

  it('answers an FEC 429 without a retry time as a RateLimited refusal with no wait, left to the workflow to back off with jitter', async () => {
    const server = await startFecDemo({ entries: [danaDonor({ kind: 'rate_limit', times: 100 })] });
    closers.push(() => server.close());
    const raw = await fetch(
      `${server.url}/v1/schedules/schedule_a/?contributor_name=RUIZ%2C+DANA&contributor_zip=43215`,
      { headers: { 'x-api-key': 'DEMO_KEY' } },
    );
    expect([raw.status, raw.headers.get('x-ratelimit-remaining'), raw.headers.get('retry-after')]).toEqual([
      429,
      '0',
      null,
    ]);
    const provider = createFecProvider(
      { name: 'fec', baseUrl: server.url, enabled: true, rps: 50, timeoutMs: 1000, maxAttempts: 6 },
      { maxResponseBytes: 65536, apiKey: 'DEMO_KEY' },
    );
    closers.push(() => provider.close());
    const now = Date.now();
    const info = {
      attempt: 3,
      retryPolicy: { initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000, maximumAttempts: 6 },
      scheduledTimestampMs: now,
      scheduleToCloseTimeoutMs: 86_400_000,
      startToCloseTimeoutMs: 6000,
    };

    const env = new MockActivityEnvironment(info, quiet);
    const failure = await failureOf(
      env.run<[LookupInput], ProviderLookupResult, LookupActivity>(createLookupActivity(provider), DANA),
    );
    // Not retried by the policy, and no wait of its own: the workflow backs off with full jitter on its count of
    // quota waits (workflows/lookup-attempt.ts, fullJitterDelayMs), never an hour blind.
    expect(failure.type).toBe('RateLimited');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.nextRetryDelay).toBeUndefined();
    expect((failure.details?.[0] as { quotaWaitMs?: number }).quotaWaitMs).toBeUndefined();
  });
});

describe('the lookup activity, through real workflows', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  it('ends matched after three FEC 429s without a reset, with the default attempts and backoff, inside a 30 s budget', async () => {
    // api.data.gov's own 429 (a stub, so the reply is exactly that whatever the demo server does): three, then the answer.
    const seen: number[] = [];
    const fec = await startProviderStub(() => {
      seen.push(Date.now());
      return seen.length <= 3
        ? {
            status: 429,
            headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0' },
            body: {
              error: { code: 'OVER_RATE_LIMIT', message: 'You have exceeded your rate limit. Try again later.' },
            },
          }
        : {
            status: 200,
            headers: { 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '996' },
            body: { api_version: '1.0', results: danaDonor().results },
          };
    });
    closers.push(() => fec.close());
    const config = providerConfig(
      { fec: fec.url },
      {
        // The shipped retry plan (6 attempts, 1 s doubling to 60 s), not the test config's quick one, and a budget
        // far shorter than api.data.gov's hourly window: before, each 429 asked for an hour and the lookup failed.
        PROVIDER_FEC_MAX_ATTEMPTS: '6',
        RETRY_INITIAL_INTERVAL_MS: '1000',
        RETRY_MAXIMUM_INTERVAL_MS: '60000',
        PROVIDER_FEC_SCHEDULE_TO_CLOSE_MS: '30000',
      },
    );

    const { result } = await enrichWithWorkers(env, harness, config, {
      email: DANA.email!,
      givenName: 'Dana',
      familyName: 'Ruiz',
      postalAddress: { postalCode: '43215', country: 'US' },
    });

    expect(result.lookups['fec']).toMatchObject({ outcome: 'matched', attempts: 4 });
    expect(result.status).toBe('enriched');
    expect(seen).toHaveLength(4);
    // Full jitter: each wait below the policy's interval for that attempt (1 s, 2 s, 4 s), plus scheduling slack.
    const gaps = seen.slice(1).map((at, i) => at - seen[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeLessThan(1000 * 2 ** i + 1500));
  }, 60_000);

  it('stores a record that serves none of a profile’s bait URLs, and shows the drops under provenance.dropped', async () => {
    // A Gravatar profile whose links point inside (a stub, so it is served whatever the demo server does).
    const baited = {
      ...adaProfile(),
      profile_url: 'http://169.254.169.254/latest/meta-data/',
      avatar_url: 'http://10.0.0.1/admin',
      verified_accounts: [
        { service_type: 'mastodon', service_label: 'Mastodon', url: 'https://127.0.0.1/@ada', is_hidden: false },
      ],
    };
    const gravatar = await startProviderStub(() => ({ status: 200, body: baited }), '/v3');
    closers.push(() => gravatar.close());
    const config = providerConfig({ gravatar: gravatar.url });

    const { started, result } = await enrichWithWorkers(env, harness, config, { email: ADA, consent: consented });

    expect(result.lookups['gravatar']).toMatchObject({ outcome: 'matched' });
    const record = ContactRecordSchema.parse((await findContactById(harness.database.db, started.contactKey))?.record);
    expect(JSON.stringify(record)).not.toMatch(/169\.254|10\.0\.0\.1|127\.0\.0\.1/);
    expect(record.name.display).toBe('Ada Bait');
    expect(record.avatarUrl).toBeNull();
    expect(record.profiles).toEqual([]);
    expect(record.provenance['name.display']).toEqual([
      expect.objectContaining({ provider: 'gravatar', value: 'Ada Bait', sourceUrl: null }),
    ]);
    expect(record.provenance['dropped']?.map((e) => e.value)).toEqual(
      expect.arrayContaining([
        { field: 'avatarUrl', part: 'value', reason: 'not an https URL' },
        { field: 'profiles', part: 'value', reason: 'host is not a public address' },
      ]),
    );
  }, 60_000);
});
