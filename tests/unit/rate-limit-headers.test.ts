import { describe, expect, it } from 'vitest';
import { githubRateLimitDelay } from '../../activities/providers/github.js';
import { errorForStatus, LookupError } from '../../activities/providers/lookup-error.js';
import {
  header,
  parseEpochSecondsReset,
  parseIsoReset,
  parseRetryAfter,
} from '../../activities/providers/rate-limit-headers.js';
import { LOOKUP_ERROR_TYPES, type LookupErrorType } from '../../schemas/lookup.js';

/** A whole second, so HTTP dates (second precision) give exact delays. */
const NOW = Date.UTC(2026, 4, 1, 12, 0, 0);
const epochSeconds = (ms: number) => String(Math.floor(ms / 1000));

describe('header', () => {
  it('reads a header by lower-cased name and takes the first of repeated values', () => {
    const headers = { 'retry-after': '5', 'x-multi': ['a', 'b'] };

    expect(header(headers, 'Retry-After')).toBe('5');
    expect(header(headers, 'x-multi')).toBe('a');
    expect(header(headers, 'x-missing')).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('reads whole seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', NOW)).toBe(3_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads fractional seconds', () => {
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
    expect(parseRetryAfter('0.25', NOW)).toBe(250);
  });

  it('reads an HTTP date as the time left until it', () => {
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter('Fri, 01 May 2026 12:01:00 GMT', NOW)).toBe(60_000);
  });

  it('clamps an HTTP date in the past to zero', () => {
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', '   ', 'soon', 'later please', '5s', 'NaN', '-5', '+5', '1,5', 'version 2', 'abc 1'])(
    'answers undefined for %j',
    (value) => {
      expect(parseRetryAfter(value, NOW)).toBeUndefined();
    },
  );
});

describe('parseEpochSecondsReset', () => {
  it('reads a reset time in epoch seconds as the time left until it', () => {
    expect(parseEpochSecondsReset(epochSeconds(NOW + 42_000), NOW)).toBe(42_000);
    expect(parseEpochSecondsReset(` ${epochSeconds(NOW + 1_000)} `, NOW)).toBe(1_000);
  });

  it('clamps a reset in the past to zero', () => {
    expect(parseEpochSecondsReset(epochSeconds(NOW - 60_000), NOW)).toBe(0);
  });

  it.each([undefined, '', 'abc', '1.5', '-5', new Date(NOW + 5_000).toISOString()])(
    'answers undefined for %j',
    (value) => {
      expect(parseEpochSecondsReset(value, NOW)).toBeUndefined();
    },
  );
});

describe('parseIsoReset', () => {
  it('reads an ISO 8601 reset time as the time left until it', () => {
    expect(parseIsoReset(new Date(NOW + 5_000).toISOString(), NOW)).toBe(5_000);
    expect(parseIsoReset('2026-05-01T14:00:30+02:00', NOW)).toBe(30_000);
  });

  it('clamps a reset in the past to zero', () => {
    expect(parseIsoReset(new Date(NOW - 5_000).toISOString(), NOW)).toBe(0);
  });

  it.each([undefined, '', 'garbage', 'version 2', '2026'])('answers undefined for %j', (value) => {
    expect(parseIsoReset(value, NOW)).toBeUndefined();
  });
});

describe('errorForStatus', () => {
  const cases: Array<[number, LookupErrorType, boolean]> = [
    [301, LOOKUP_ERROR_TYPES.forbiddenHost, false],
    [302, LOOKUP_ERROR_TYPES.forbiddenHost, false],
    [307, LOOKUP_ERROR_TYPES.forbiddenHost, false],
    [408, LOOKUP_ERROR_TYPES.providerUnavailable, true],
    [500, LOOKUP_ERROR_TYPES.providerUnavailable, true],
    [502, LOOKUP_ERROR_TYPES.providerUnavailable, true],
    [503, LOOKUP_ERROR_TYPES.providerUnavailable, true],
    [400, LOOKUP_ERROR_TYPES.providerRejected, false],
    [401, LOOKUP_ERROR_TYPES.providerRejected, false],
    [403, LOOKUP_ERROR_TYPES.providerRejected, false],
    [422, LOOKUP_ERROR_TYPES.providerRejected, false],
    [429, LOOKUP_ERROR_TYPES.rateLimited, true],
  ];

  it.each(cases)('classifies HTTP %i as %s (retryable: %s)', (status, type, retryable) => {
    const err = errorForStatus('gravatar', status);

    expect(err).toBeInstanceOf(LookupError);
    expect(err.type).toBe(type);
    expect(err.retryable).toBe(retryable);
    expect(err.httpStatus).toBe(status);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toContain('gravatar');
    expect(err.message).toContain(String(status));
  });
});

describe('LookupError', () => {
  it('is retryable only for rate limits, provider outages and network failures', () => {
    const retryable = Object.values(LOOKUP_ERROR_TYPES).filter((type) => new LookupError(type, 'x').retryable);

    expect(retryable.sort()).toEqual(['NetworkError', 'ProviderUnavailable', 'RateLimited']);
  });
});

describe('githubRateLimitDelay', () => {
  const reply = (status: number, headers: Record<string, string> = {}, body: unknown = { message: 'x' }) => ({
    status,
    headers,
    body,
  });

  it('waits until x-ratelimit-reset on a 403 with no quota left (primary limit)', () => {
    const delay = githubRateLimitDelay(
      reply(
        403,
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': epochSeconds(NOW + 90_000) },
        { message: 'API rate limit exceeded for 127.0.0.1.' },
      ),
      NOW,
    );

    expect(delay).toBe(90_000);
  });

  it('waits a minute on a primary limit whose reset is missing', () => {
    expect(githubRateLimitDelay(reply(403, { 'x-ratelimit-remaining': '0' }), NOW)).toBe(60_000);
  });

  it('waits for retry-after on a 403 (secondary limit)', () => {
    const delay = githubRateLimitDelay(
      reply(
        403,
        { 'retry-after': '30', 'x-ratelimit-remaining': '12' },
        { message: 'You have exceeded a secondary rate limit.' },
      ),
      NOW,
    );

    expect(delay).toBe(30_000);
  });

  it('prefers retry-after over x-ratelimit-reset when both are present', () => {
    const delay = githubRateLimitDelay(
      reply(429, { 'retry-after': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': epochSeconds(NOW + 90_000) }),
      NOW,
    );

    expect(delay).toBe(5_000);
  });

  it('waits a minute on a 429 that says nothing more', () => {
    expect(githubRateLimitDelay(reply(429, {}, undefined), NOW)).toBe(60_000);
  });

  it('waits a minute on a 403 whose message names a secondary rate limit', () => {
    const delay = githubRateLimitDelay(
      reply(
        403,
        { 'x-ratelimit-remaining': '4999' },
        { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
      ),
      NOW,
    );

    expect(delay).toBe(60_000);
  });

  it('answers undefined for a 403 that is a plain refusal', () => {
    expect(
      githubRateLimitDelay(
        reply(403, { 'x-ratelimit-remaining': '4999' }, { message: 'Resource not accessible by integration' }),
        NOW,
      ),
    ).toBeUndefined();
    expect(githubRateLimitDelay(reply(403, {}, undefined), NOW)).toBeUndefined();
  });

  it('answers undefined for a success, even one carrying rate-limit headers', () => {
    expect(
      githubRateLimitDelay(
        reply(200, { 'x-ratelimit-remaining': '0', 'retry-after': '5' }, { total_count: 0, items: [] }),
        NOW,
      ),
    ).toBeUndefined();
  });

  it('answers undefined for statuses other than 403 and 429', () => {
    expect(githubRateLimitDelay(reply(500, { 'retry-after': '5' }, { message: 'rate limit' }), NOW)).toBeUndefined();
    expect(githubRateLimitDelay(reply(404), NOW)).toBeUndefined();
  });
});
