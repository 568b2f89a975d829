import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLookupActivity,
  lookupActivitiesFor,
  type LookupActivity,
  type LookupFailureDetails,
} from '../../activities/lookup-activity.js';
import { createGravatarProvider } from '../../activities/providers/gravatar.js';
import type { Provider } from '../../activities/providers/provider.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import type { LookupInput, ProviderLookupResult } from '../../schemas/lookup.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function profileFor(email: string, displayName: string): Record<string, unknown> {
  const hash = sha256(email);
  return {
    hash,
    display_name: displayName,
    profile_url: `https://gravatar.com/${hash.slice(0, 10)}`,
    verified_accounts: [],
  };
}

const MATCHED = 'matched.person@example.org';
const LIMITED = 'limited.person@example.org';
const MANGLED = 'mangled.person@example.org';
const ABSENT = 'absent.person@example.org';

/** The SDK logs each failed attempt as a warning; the failures are what these tests expect. */
const quiet = { logger: new DefaultLogger('ERROR') };

let server: DemoServer;
let provider: Provider;

beforeAll(async () => {
  server = await startGravatarDemo({
    entries: [
      { email: MATCHED, profile: profileFor(MATCHED, 'Matched Person') },
      // Rate-limited on every request of this file, so each test sees the 429 whatever ran before.
      {
        email: LIMITED,
        profile: profileFor(LIMITED, 'Limited Person'),
        fault: { kind: 'rate_limit', times: 100, retryAfterSeconds: 20 },
      },
      { email: MANGLED, profile: profileFor(MANGLED, 'Mangled Person'), fault: { kind: 'malformed' } },
    ],
  });
  provider = createGravatarProvider(
    { name: 'gravatar', baseUrl: server.url, enabled: true, rps: 50, timeoutMs: 1000, maxAttempts: 3 },
    { maxResponseBytes: 65536 },
  );
});

afterAll(async () => {
  await provider.close();
  await server.close();
});

/** Runs the lookup activity for `email` in a mocked activity context of the given attempt. */
function runLookup(attempt: number, email: string): Promise<ProviderLookupResult> {
  const env = new MockActivityEnvironment({ attempt }, quiet);
  return env.run<[LookupInput], ProviderLookupResult, LookupActivity>(createLookupActivity(provider), {
    contactKey: 'k'.repeat(64),
    email,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('createLookupActivity', () => {
  it('returns the provider answer with the attempt number of the activity', async () => {
    const result = await runLookup(3, MATCHED);

    expect(result.outcome).toBe('matched');
    expect(result.attempts).toBe(3);
    expect(result.observations).toContainEqual(
      expect.objectContaining({ field: 'name.display', value: 'Matched Person', confidence: 0.9 }),
    );
  });

  it('returns no_match with the attempt number when the provider has nothing', async () => {
    const result = await runLookup(1, ABSENT);

    expect(result).toEqual({ outcome: 'no_match', observations: [], attempts: 1 });
  });

  it('throws a RateLimited failure the policy does not retry, carrying the announced reset for the workflow', async () => {
    const failure = await failureOf(runLookup(3, LIMITED));

    expect(failure.type).toBe('RateLimited');
    // Waiting for quota is the workflow's (workflows/lookup-attempt.ts): it spends no attempt of the policy.
    expect(failure.nonRetryable).toBe(true);
    expect(failure.nextRetryDelay).toBeUndefined();
    const details = failure.details?.[0] as LookupFailureDetails;
    expect(details).toMatchObject({ attempt: 3, httpStatus: 429 });
    // X-RateLimit-Reset is now + 20 s in whole epoch seconds, rounded up.
    expect(details.quotaWaitMs).toBeGreaterThan(18_500);
    expect(details.quotaWaitMs).toBeLessThanOrEqual(21_000);
  });

  it('throws a non-retryable MalformedResponse failure that records the attempt', async () => {
    const failure = await failureOf(runLookup(3, MANGLED));

    expect(failure.type).toBe('MalformedResponse');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/gravatar: unexpected profile shape at hash/);
    expect(failure.nextRetryDelay).toBeUndefined();
    expect((failure.details?.[0] as LookupFailureDetails | undefined)?.attempt).toBe(3);
  });
});

describe('lookupActivitiesFor', () => {
  it('registers the provider lookup under its well-known activity name', () => {
    expect(Object.keys(lookupActivitiesFor(provider))).toEqual(['lookupGravatar']);
  });
});
