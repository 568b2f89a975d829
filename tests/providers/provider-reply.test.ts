import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { createBanProvider } from '../../activities/providers/ban.js';
import { createBlueskyProvider } from '../../activities/providers/bluesky.js';
import { createCensusProvider } from '../../activities/providers/census.js';
import { createFecProvider } from '../../activities/providers/fec.js';
import { LookupError } from '../../activities/providers/lookup-error.js';
import { createMastodonProvider } from '../../activities/providers/mastodon.js';
import type { Provider } from '../../activities/providers/provider.js';
import { ProviderHttpClient } from '../../activities/providers/provider-http-client.js';
import { NOT_FOUND, type ReplyRules } from '../../activities/providers/provider-reply.js';
import { header, parseRetryAfter } from '../../activities/providers/rate-limit-headers.js';
import type { HttpProviderName } from '../../schemas/providers.js';
import type { LookupInput } from '../../schemas/lookup.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { lookupError } from '../support/provider-reply-classes.js';
import { startProviderStub, type StubReply } from '../support/provider-stub-server.js';

/**
 * `ProviderHttpClient.getParsed`, the one place that reads a provider's reply (provider-reply.ts), against a local
 * server: each rule of `ReplyRules` on its own. What each provider makes of it is in that provider's tests.
 */
const closers = closeAfterEach();

const ItemSchema = z.object({ id: z.string(), tags: z.array(z.string()) });

const RULES = {
  notFound: [404, 410],
  rateLimit: {
    delayMs: ({ headers }, now) => parseRetryAfter(header(headers, 'retry-after'), now),
    alsoStatuses: [403],
    detail: (reply, delayMs) => `HTTP ${reply.status}${delayMs === undefined ? ', no retry time given' : ''}`,
  },
  refusal: ({ status }) =>
    status === 400 ? new LookupError('ProviderRejected', 'demo: the query is refused', undefined, 400) : undefined,
  shape: 'item',
} satisfies ReplyRules;

async function clientAnswering(reply: StubReply): Promise<ProviderHttpClient> {
  const stub = await startProviderStub(() => reply);
  const http = new ProviderHttpClient({
    provider: 'demo',
    baseUrl: stub.url,
    timeoutMs: 1000,
    maxResponseBytes: 65536,
  });
  closers.push(
    () => stub.close(),
    () => http.close(),
  );
  return http;
}

async function errorOf(
  reply: StubReply,
  rules: ReplyRules & { notFound?: never } = { rateLimit: RULES.rateLimit },
): Promise<LookupError> {
  const http = await clientAnswering(reply);
  const err: unknown = await http.getParsed(http.url('items/1'), ItemSchema, rules).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(LookupError);
  return err as LookupError;
}

describe('ProviderHttpClient.getParsed', () => {
  it('returns the body of a 200 as the schema reads it', async () => {
    const http = await clientAnswering({ status: 200, body: { id: 'a1', tags: ['x'], unread: true } });

    expect(await http.getParsed(http.url('items/1'), ItemSchema, RULES)).toEqual({ id: 'a1', tags: ['x'] });
  });

  it.each([404, 410])('answers NOT_FOUND for a %i the rules name', async (status) => {
    const http = await clientAnswering({ status, body: { error: 'Record not found' } });

    expect(await http.getParsed(http.url('items/1'), ItemSchema, RULES)).toBe(NOT_FOUND);
  });

  it('answers NOT_FOUND for the replies a not-found predicate picks, and classifies the others', async () => {
    const rules = {
      ...RULES,
      notFound: (reply: { status: number; body: unknown }) =>
        reply.status === 400 && (reply.body as { error?: string }).error === 'Gone',
    };
    const gone = await clientAnswering({ status: 400, body: { error: 'Gone' } });
    const bad = await clientAnswering({ status: 400, body: { error: 'InvalidRequest' } });

    expect(await gone.getParsed(gone.url('items/1'), ItemSchema, rules)).toBe(NOT_FOUND);
    await expect(bad.getParsed(bad.url('items/1'), ItemSchema, rules)).rejects.toMatchObject({
      type: 'ProviderRejected',
      message: 'demo: the query is refused',
    });
  });

  it('names the first wrong field of a 200 that does not fit, as a non-retryable MalformedResponse', async () => {
    const err = await errorOf(
      { status: 200, body: { id: 'a1', tags: ['x', 7] } },
      { rateLimit: RULES.rateLimit, shape: 'item' },
    );

    expect(err.type).toBe('MalformedResponse');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(200);
    expect(err.message).toMatch(/^demo: unexpected item shape at tags\.1: /);
  });

  it('names the root when a 200 has no body', async () => {
    const err = await errorOf({ status: 200 });

    expect(err.type).toBe('MalformedResponse');
    expect(err.message).toMatch(/^demo: unexpected response shape at \(root\): /);
  });

  it('reads a 429 with the provider’s dialect, with or without a wait', async () => {
    const timed = await errorOf({ status: 429, headers: { 'retry-after': '7' } }, { rateLimit: RULES.rateLimit });
    const untimed = await errorOf({ status: 429 }, { rateLimit: RULES.rateLimit });

    expect(timed).toMatchObject({
      type: 'RateLimited',
      retryAfterMs: 7000,
      httpStatus: 429,
      message: 'demo rate limit reached (HTTP 429)',
    });
    expect(timed.retryable).toBe(true);
    expect(untimed).toMatchObject({
      type: 'RateLimited',
      retryAfterMs: undefined,
      message: 'demo rate limit reached (HTTP 429, no retry time given)',
    });
  });

  it('counts another status as a rate limit only when the dialect reads a wait from it', async () => {
    const limited = await errorOf({ status: 403, headers: { 'retry-after': '30' } }, { rateLimit: RULES.rateLimit });
    const refused = await errorOf({ status: 403 }, { rateLimit: RULES.rateLimit });

    expect(limited).toMatchObject({ type: 'RateLimited', retryAfterMs: 30_000, httpStatus: 403 });
    expect(refused).toMatchObject({ type: 'ProviderRejected', httpStatus: 403 });
  });

  it('leaves statuses no rule reads to errorForStatus', async () => {
    expect(await errorOf({ status: 503 })).toMatchObject({ type: 'ProviderUnavailable', httpStatus: 503 });
    expect(await errorOf({ status: 401 })).toMatchObject({ type: 'ProviderRejected', httpStatus: 401 });
    expect(await errorOf({ status: 404 })).toMatchObject({ type: 'ProviderRejected', httpStatus: 404 });
  });
});

/** Lookups each provider cannot make from its input: it must say so, typed, without sending anything. */
const UNUSABLE: Array<
  [HttpProviderName, (config: ProviderConfig) => Provider, Omit<LookupInput, 'contactKey' | 'email'>]
> = [
  ['mastodon', (config) => createMastodonProvider(config, { maxResponseBytes: 65536 }), {}],
  ['bluesky', (config) => createBlueskyProvider(config, { maxResponseBytes: 65536 }), {}],
  [
    'census',
    (config) => createCensusProvider(config, { maxResponseBytes: 65536 }),
    { postalAddress: { locality: 'Columbus', region: 'OH', country: 'US' } },
  ],
  [
    'fec',
    (config) => createFecProvider(config, { maxResponseBytes: 65536 }),
    { givenName: 'Dana', familyName: 'Ruiz', postalAddress: { country: 'US' } },
  ],
  ['ban', (config) => createBanProvider(config, { maxResponseBytes: 65536 }), {}],
];

describe('a lookup the input cannot serve', () => {
  it.each(UNUSABLE)(
    '%s refuses it as a non-retryable InvalidInput, without a request',
    async (name, create, fields) => {
      const stub = await startProviderStub(() => ({ status: 500 }));
      const provider = create({ name, baseUrl: stub.url, enabled: true, rps: 50, timeoutMs: 1000, maxAttempts: 3 });
      closers.push(
        () => stub.close(),
        () => provider.close(),
      );

      const err = await lookupError(provider, {
        contactKey: 'k'.repeat(64),
        email: 'dana.ruiz@example.org',
        ...fields,
      });

      expect(err.type).toBe('InvalidInput');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(new RegExp(`^${name}: .*(missing|needed)`));
      expect(stub.requests).toEqual([]);
    },
  );
});
