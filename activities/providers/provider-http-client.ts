import type { LookupFunction } from 'node:net';
import { Agent, errors as undiciErrors, request, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { LOOKUP_ERROR_TYPES } from '../../schemas/lookup.js';
import { storableJson } from '../../schemas/storable-text.js';
import { LookupError } from './lookup-error.js';
import { readReply, type JsonReply, type NotFound, type NotFoundRule, type ReplyRules } from './provider-reply.js';

export interface ProviderHttpClientOptions {
  provider: string;
  baseUrl: string;
  /** Budget for one request, connect to last byte; keep it below the activity's startToClose. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Sent with every request (auth, API version, user agent). */
  headers?: Record<string, string>;
  /**
   * Reads the provider's remaining quota from a reply, in its own dialect. When it says none is left, this
   * process sends nothing more to the provider until the reset: the attempt fails as RateLimited instead, and
   * Temporal retries it after the reset, so the provider never sees a request over its limit from here.
   */
  quota?: (headers: JsonReply['headers'], now: number) => QuotaState | undefined;
  /**
   * Which of the provider's quotas a request spends, for a provider that meters several apart (GitHub's `search`
   * and `core`): a spent quota holds back only the requests of its own bucket. Unset: one quota for everything.
   */
  bucketOf?: (url: URL) => string;
  /**
   * Resolves host names for new connections (`net.connect`'s `lookup`); for hosts learned from data, one that
   * refuses private addresses (see `address-guard.ts`). A LookupError it raises is thrown as it is.
   */
  lookup?: LookupFunction;
}

export interface QuotaState {
  remaining: number;
  /** Milliseconds until the quota resets. */
  resetMs: number;
  /** The quota the reply names (GitHub's `x-ratelimit-resource`); unset: the request's own bucket. */
  bucket?: string | undefined;
}

/** The bucket of a provider that meters everything together. */
const ONE_BUCKET = '';

const USER_AGENT = 'contact-enrichment/0.1 (+https://github.com/contact-enrichment)';

/**
 * HTTP for one provider: its own undici dispatcher (connection pool and timeouts), requests only to the
 * configured origin, no redirects, a response size cap, and every transport failure classified as a
 * {@link LookupError}.
 */
export class ProviderHttpClient {
  readonly #options: ProviderHttpClientOptions;
  readonly #base: URL;
  readonly #dispatcher: Dispatcher;
  /** Per quota bucket, the epoch ms before which the provider said it is spent. */
  readonly #exhaustedUntil = new Map<string, number>();

  constructor(options: ProviderHttpClientOptions) {
    this.#options = options;
    this.#base = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#dispatcher = new Agent({
      connect: { timeout: options.timeoutMs, ...(options.lookup ? { lookup: options.lookup } : {}) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connections: 16,
    });
  }

  /** Builds a URL under the base URL; path segments must already be encoded by the caller. */
  url(path: string, query: Record<string, string> = {}): URL {
    const url = new URL(path.replace(/^\/+/, ''), this.#base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  }

  async getJson(url: URL, signal?: AbortSignal): Promise<JsonReply> {
    const { provider, timeoutMs, maxResponseBytes } = this.#options;
    // Every outbound request goes to the provider's configured host, whatever the path was built from.
    if (url.origin !== this.#base.origin) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.forbiddenHost,
        `${provider}: refused request to ${url.origin}, not the configured host`,
      );
    }
    const bucket = this.#options.bucketOf?.(url) ?? ONE_BUCKET;
    const waitMs = (this.#exhaustedUntil.get(bucket) ?? 0) - Date.now();
    if (waitMs > 0) {
      const which = bucket === ONE_BUCKET ? 'quota' : `${bucket} quota`;
      throw new LookupError(
        LOOKUP_ERROR_TYPES.rateLimited,
        `${provider}: ${which} exhausted, not sending until the provider's reset`,
        waitMs,
      );
    }
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'GET',
        dispatcher: this.#dispatcher,
        signal: combined,
        headers: { 'user-agent': USER_AGENT, accept: 'application/json', ...this.#options.headers },
      });
    } catch (err) {
      throw err instanceof LookupError ? err : transportError(provider, err);
    }
    const text = await readCapped(response, maxResponseBytes, provider).catch((err: unknown) => {
      throw err instanceof LookupError ? err : transportError(provider, err);
    });
    // A refusal carries its own retry time for that attempt; a success that spent the last of the quota is what
    // must hold back this process's other lookups until the reset.
    if (response.statusCode < 300) this.#noteQuota(response.headers, bucket);
    let body: unknown;
    if (text.length > 0 && isJson(response.headers['content-type'])) {
      try {
        // Made storable here, once for every provider: a NUL or a lone surrogate in a name or a bio would
        // otherwise fail every write of the contact, on every retry (see storable-text.ts).
        body = storableJson(JSON.parse(text));
      } catch {
        throw new LookupError(
          LOOKUP_ERROR_TYPES.malformedResponse,
          `${provider}: response body is not valid JSON`,
          undefined,
          response.statusCode,
        );
      }
    }
    return { status: response.statusCode, headers: response.headers, body, url: url.toString() };
  }

  /**
   * GETs `url` and reads the reply by the provider's `rules` (see {@link readReply}): the body parsed by `schema`, or
   * {@link NotFound} when `rules.notFound` says the provider has no such entry; every other reply, and every
   * transport failure, is thrown as a classified LookupError.
   */
  getParsed<T>(
    url: URL,
    schema: z.ZodType<T>,
    rules: ReplyRules & { notFound: NotFoundRule },
    signal?: AbortSignal,
  ): Promise<T | NotFound>;
  getParsed<T>(
    url: URL,
    schema: z.ZodType<T>,
    rules: ReplyRules & { notFound?: never },
    signal?: AbortSignal,
  ): Promise<T>;
  async getParsed<T>(url: URL, schema: z.ZodType<T>, rules: ReplyRules, signal?: AbortSignal): Promise<T | NotFound> {
    return readReply(this.#options.provider, await this.getJson(url, signal), schema, rules);
  }

  #noteQuota(headers: JsonReply['headers'], requestBucket: string): void {
    const now = Date.now();
    const quota = this.#options.quota?.(headers, now);
    if (!quota || quota.remaining > 0) return;
    const bucket = this.#options.bucketOf ? (quota.bucket ?? requestBucket) : ONE_BUCKET;
    this.#exhaustedUntil.set(bucket, Math.max(this.#exhaustedUntil.get(bucket) ?? 0, now + quota.resetMs));
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }
}

function isJson(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value === undefined || /json/i.test(value);
}

async function readCapped(response: Dispatcher.ResponseData, maxBytes: number, provider: string): Promise<string> {
  const declared = Number(response.headers['content-length']);
  const tooLarge = () =>
    new LookupError(
      LOOKUP_ERROR_TYPES.responseTooLarge,
      `${provider}: response larger than ${maxBytes} bytes`,
      undefined,
      response.statusCode,
    );
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.destroy();
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      response.body.destroy();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function transportError(provider: string, err: unknown): LookupError {
  const e = err as { name?: string; code?: string; message?: string };
  const timedOut =
    e.name === 'TimeoutError' ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    err instanceof undiciErrors.ConnectTimeoutError;
  const what = timedOut ? 'timed out' : `failed (${e.code ?? e.name ?? 'error'}: ${e.message ?? String(err)})`;
  return new LookupError(LOOKUP_ERROR_TYPES.network, `${provider}: request ${what}`);
}
