/**
 * Fault injection shared by the demo provider servers.
 *
 * A fault is attached to one demo entry (one person) and changes how the
 * server answers requests that concern that entry. Counted faults
 * (`rate_limit`, `server_error` with `times`) fire for the first N requests
 * and then the entry answers normally, which is what a retrying client needs
 * to prove it recovers. Content faults (`hostile_text`, `bait_urls`,
 * `ambiguous`) fire on every request: they model what a provider's data
 * holds, not an outage.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';

/** Default size for the `oversized` fault: just over a typical 2 MiB response cap. */
export const DEFAULT_OVERSIZED_BYTES = 2 * 1024 * 1024;

/** Default wait advertised by a rate-limit fault when none is given. */
export const DEFAULT_RATE_LIMIT_RESET_SECONDS = 2;

const Count = z.number().int().positive();

/** zod schema for a fault as written in the demo JSON data files. */
export const FaultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('rate_limit'),
    /** How many requests get the over-limit reply before normal service resumes (default 1). */
    times: Count.optional(),
    /**
     * Gravatar: seconds until `X-RateLimit-Reset` (default 2).
     * GitHub: when present, the reply is a *secondary* limit with `retry-after`;
     * when absent, a *primary* limit with `x-ratelimit-remaining: 0`.
     */
    retryAfterSeconds: z.number().int().nonnegative().optional(),
    /** GitHub only: 403 (default) or 429; GitHub documents both. Gravatar always uses 429. */
    status: z.union([z.literal(403), z.literal(429)]).optional(),
  }),
  z.strictObject({
    kind: z.literal('server_error'),
    /** Omitted = every request fails, which is how the demo shows a supporter being flagged. */
    times: Count.optional(),
  }),
  z.strictObject({ kind: z.literal('slow'), delayMs: z.number().int().nonnegative() }),
  z.strictObject({ kind: z.literal('malformed') }),
  z.strictObject({ kind: z.literal('truncated') }),
  z.strictObject({ kind: z.literal('oversized'), bytes: Count.optional() }),
  /**
   * A 200 whose text fields carry a NUL (`"Ada\u0000"`) and a lone surrogate (`"\ud800x"`): valid JSON, which
   * Postgres cannot store as text. Served by every social and public-records server.
   */
  z.strictObject({ kind: z.literal('hostile_text') }),
  /**
   * A 200 whose profile, avatar and site links point at internal addresses ({@link BAIT_URLS}): the metadata
   * address, a private address, loopback, `localhost`, an `.internal` name. Served by the social servers.
   */
  z.strictObject({ kind: z.literal('bait_urls') }),
  /** Census only: a second address match in other congressional and legislative districts. */
  z.strictObject({ kind: z.literal('ambiguous') }),
]);

export type Fault = z.infer<typeof FaultSchema>;
export type FaultKind = Fault['kind'];

/**
 * Per-key request counter. Keys are whatever identifies an entry on a server
 * (the email hash for Gravatar, the email for GitHub), so a search and a user
 * fetch for the same person share one count.
 */
export class FaultCounter {
  readonly #counts = new Map<string, number>();

  /** Records one more request for `key` and returns its 1-based ordinal. */
  next(key: string): number {
    const n = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, n);
    return n;
  }

  /** Requests seen so far for `key`. */
  count(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  /** Forgets all counts, so counted faults fire again (used between tests). */
  reset(): void {
    this.#counts.clear();
  }
}

/**
 * Returns the fault that applies to the `attempt`-th request (1-based) for an
 * entry, or undefined when the request should be answered normally.
 */
export function activeFault(fault: Fault | undefined, attempt: number): Fault | undefined {
  if (fault === undefined) return undefined;
  switch (fault.kind) {
    case 'rate_limit':
      return attempt <= (fault.times ?? 1) ? fault : undefined;
    case 'server_error':
      return fault.times === undefined || attempt <= fault.times ? fault : undefined;
    default:
      // Slow, body and content faults are permanent: they model a provider quirk, not a transient outage.
      return fault;
  }
}

/**
 * How one demo server words each fault that changes its reply. {@link answerWithFault} fills in what every server
 * shares: the waits and sizes a fault leaves out, and the `slow` fault, which only delays the normal reply.
 */
export interface FaultDialect<A> {
  /**
   * The over-limit reply, announcing a wait of `resetSeconds`. `announced` is false when the fault gave no
   * `retryAfterSeconds`: a server whose real API may leave the wait out (api.data.gov) then sends none.
   */
  rateLimited: (resetSeconds: number, announced: boolean) => A;
  serverError: () => A;
  /** Valid JSON of the wrong shape. */
  malformed: () => A;
  /** A complete reply whose JSON body is cut off. */
  truncated: () => A;
  /** A well-formed reply padded with `filler`, prose of the fault's size. */
  oversized: (filler: string) => A;
  /** The normal reply with text fields passed through {@link withNul} and {@link withLoneSurrogate}. */
  hostileText?: () => A;
  /** The normal reply with its URL fields replaced by {@link BAIT_URLS}. */
  baitUrls?: () => A;
  /** Census: the normal reply plus a match in other districts. */
  ambiguous?: () => A;
}

/** Raised when a demo entry carries a fault its server has no reply for (a data-file mistake). */
export class UnservedFaultError extends Error {
  override readonly name = 'UnservedFaultError';
}

function served<A>(kind: FaultKind, reply: (() => A) | undefined): A {
  if (reply === undefined) throw new UnservedFaultError(`this demo server has no reply for the fault kind "${kind}"`);
  return reply();
}

/**
 * Answers one request under `fault` (the one {@link activeFault} says applies): the normal answer when there is
 * none, the same after the delay of a `slow` fault, else the fault's reply in the server's `dialect`.
 */
export async function answerWithFault<A>(
  fault: Fault | undefined,
  normal: () => A,
  dialect: FaultDialect<A>,
): Promise<A> {
  switch (fault?.kind) {
    case undefined:
      return normal();
    case 'slow':
      await delay(fault.delayMs);
      return normal();
    case 'rate_limit':
      return dialect.rateLimited(
        fault.retryAfterSeconds ?? DEFAULT_RATE_LIMIT_RESET_SECONDS,
        fault.retryAfterSeconds !== undefined,
      );
    case 'server_error':
      return dialect.serverError();
    case 'malformed':
      return dialect.malformed();
    case 'truncated':
      return dialect.truncated();
    case 'oversized':
      return dialect.oversized(fillerText(fault.bytes ?? DEFAULT_OVERSIZED_BYTES));
    case 'hostile_text':
      return served(fault.kind, dialect.hostileText);
    case 'bait_urls':
      return served(fault.kind, dialect.baitUrls);
    case 'ambiguous':
      return served(fault.kind, dialect.ambiguous);
  }
}

/**
 * `text` ending in a NUL. JSON.stringify writes it as the escape `\u0000`, which is valid JSON that parses back to
 * a NUL: the text Postgres refuses (22P05).
 */
export const withNul = (text: string): string => `${text}\u0000`;

/**
 * `text` after a lone high surrogate. JSON.stringify writes it as the escape `\ud800` (well-formed JSON.stringify,
 * ES2019), which parses back to a string that is not valid UTF-16 and has no UTF-8 form.
 */
export const withLoneSurrogate = (text: string): string => `\ud800${text}`;

/** Internal addresses a provider's links may point at, which no record may serve to whoever renders it. */
export const BAIT_URLS = {
  /** The cloud metadata endpoint (link-local). */
  metadata: 'http://169.254.169.254/latest/meta-data/',
  /** A private (RFC 1918) address. */
  private: 'http://10.0.0.1/admin',
  /** Loopback, over https so only the host gives it away. */
  loopback: 'https://127.0.0.1/',
  localhost: 'https://localhost/profile',
  internal: 'https://intranet.corp.internal/people/ada',
} as const;

/** Epoch seconds `seconds` from now, rounded up so a client waiting until then is never early. */
export function epochSecondsFromNow(seconds: number, now: number = Date.now()): number {
  return Math.ceil((now + seconds * 1000) / 1000);
}

/**
 * Cuts a JSON text in half. The cut always lands inside the top-level value
 * (its closing bracket is gone), so the result never parses, while the HTTP
 * framing stays correct: the client sees a complete 200 with a broken body.
 */
export function truncateJson(json: string): string {
  return json.slice(0, Math.max(1, Math.floor(json.length / 2)));
}

/** A string of at least `bytes` ASCII characters that looks like prose, to pad a JSON field. */
export function fillerText(bytes: number): string {
  const unit = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
  return unit.repeat(Math.ceil(bytes / unit.length)).slice(0, bytes);
}
