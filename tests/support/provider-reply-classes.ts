import { expect, it, onTestFinished } from 'vitest';
import { LookupError } from '../../activities/providers/lookup-error.js';
import type { Provider } from '../../activities/providers/provider.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import type { Fault } from '../../demo/servers/faults.js';
import type { LookupInput } from '../../schemas/lookup.js';
import { startRedirectPair } from './provider-redirect-server.js';

/** What {@link itClassifiesProviderReplies} needs to know about one provider. */
export interface ProviderReplyClassesAdapter {
  /**
   * Starts the provider's demo server with `fault` on the entry that `input` finds, and a provider pointed at it with
   * `timeoutMs` and a 65536-byte response cap. The adapter closes both after the test.
   */
  demoWithFault(fault: Fault, timeoutMs: number): Promise<{ server: DemoServer; provider: Provider }>;
  /** A provider pointed at `baseUrl` with the usual settings; the adapter closes it after the test. */
  providerAt(baseUrl: string): Provider;
  /** The lookup every case makes. */
  input: LookupInput;
  /** The status the demo server answers for a `server_error` fault. */
  serverErrorStatus: number;
  /** The path of the field a `malformed` reply gets wrong, as the error names it (`hash`, `results.0.contributor_name`). */
  malformedField: string;
  /** What the malformed reply is called in the test name; default `JSON`. */
  malformedReply?: string;
  /** The base path of the provider's URL (Gravatar: `/v3`); default none. */
  basePath?: string;
  /** The first request `input` makes, path and query, as a server receives it. */
  firstRequest: string;
  /**
   * A rate-limit fault that fires once, and the statuses the demo server logs for a lookup it refuses followed by one
   * that succeeds. Omit where the provider's own tests cover recovery.
   */
  recovery?: { fault: Fault; statuses: number[] };
}

/** A reply that comes this long after the request … */
const SLOW_REPLY_MS = 1500;
/** … beyond a budget shorter than the other tests use, which keeps the timeout case quick. */
const SHORT_TIMEOUT_MS = 300;
/** The timeout of every other case. */
const TIMEOUT_MS = 1000;
/** Larger than the 65536-byte cap the adapter's provider is given. */
const OVERSIZED_BYTES = 100_000;

/** Looks `input` up, expecting a LookupError, and returns it. */
export async function lookupError(provider: Provider, input: LookupInput): Promise<LookupError> {
  const err: unknown = await provider.lookup(input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LookupError);
  return err as LookupError;
}

/**
 * Registers, inside the caller's `describe`, the cases every HTTP provider shares: how it classifies a 5xx, a reply
 * slower than its timeout, JSON of the wrong shape, a body cut off mid-JSON, an oversized body, a redirect to
 * another host and text Postgres cannot store, and (when `recovery` is given) that it answers normally once a rate limit has passed. Behaviour
 * that differs between providers stays in each provider's own tests.
 */
export function itClassifiesProviderReplies(adapter: ProviderReplyClassesAdapter): void {
  const faultError = async (fault: Fault, timeoutMs = TIMEOUT_MS): Promise<LookupError> => {
    const { provider } = await adapter.demoWithFault(fault, timeoutMs);
    return lookupError(provider, adapter.input);
  };

  it(`classifies a ${adapter.serverErrorStatus} as ProviderUnavailable, which is retryable`, async () => {
    const err = await faultError({ kind: 'server_error' });

    expect(err.type).toBe('ProviderUnavailable');
    expect(err.retryable).toBe(true);
    expect(err.httpStatus).toBe(adapter.serverErrorStatus);
  });

  it('classifies a reply slower than the timeout as a retryable NetworkError', async () => {
    const err = await faultError({ kind: 'slow', delayMs: SLOW_REPLY_MS }, SHORT_TIMEOUT_MS);

    expect(err.type).toBe('NetworkError');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/timed out/);
  });

  it(`classifies ${adapter.malformedReply ?? 'JSON'} of the wrong shape as a non-retryable MalformedResponse naming the field`, async () => {
    const err = await faultError({ kind: 'malformed' });

    expect(err.type).toBe('MalformedResponse');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(`at ${adapter.malformedField}:`);
  });

  it('classifies a body cut off mid-JSON as MalformedResponse', async () => {
    const err = await faultError({ kind: 'truncated' });

    expect(err.type).toBe('MalformedResponse');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('refuses a body larger than maxResponseBytes as ResponseTooLarge', async () => {
    const err = await faultError({ kind: 'oversized', bytes: OVERSIZED_BYTES });

    expect(err.type).toBe('ResponseTooLarge');
    expect(err.retryable).toBe(false);
  });

  it('refuses a redirect to another host as ForbiddenHost without following it', async () => {
    const pair = await startRedirectPair(adapter.basePath);
    onTestFinished(() => pair.close());

    const err = await lookupError(adapter.providerAt(pair.redirector.url), adapter.input);

    expect(err.type).toBe('ForbiddenHost');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(302);
    expect(pair.redirector.requests.map((r) => r.url)).toEqual([adapter.firstRequest]);
    expect(pair.target.requests).toEqual([]);
  });

  it('answers a reply whose text carries NUL bytes and lone surrogates with observations Postgres can store', async () => {
    const { provider } = await adapter.demoWithFault({ kind: 'hostile_text' }, TIMEOUT_MS);

    const answer = await provider.lookup(adapter.input);

    expect(answer.outcome).toBe('matched');
    expect(answer.observations.length).toBeGreaterThan(0);
    const stored = JSON.stringify(answer.observations);
    // JSON.stringify writes a NUL as \u0000 and a lone surrogate as its \udXXX escape: neither may be left.
    expect(stored).not.toMatch(
      /\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i,
    );
  });

  const { recovery } = adapter;
  if (recovery) {
    it('answers normally once the rate-limited request has passed', async () => {
      const { provider, server } = await adapter.demoWithFault(recovery.fault, TIMEOUT_MS);

      const first = await lookupError(provider, adapter.input);
      const second = await provider.lookup(adapter.input);

      expect(first.type).toBe('RateLimited');
      expect(second.outcome).toBe('matched');
      expect(server.requestLog().map((r) => r.status)).toEqual(recovery.statuses);
    });
  }
}
