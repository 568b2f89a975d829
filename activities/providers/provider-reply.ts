import type { z } from 'zod';
import { LOOKUP_ERROR_TYPES } from '../../schemas/lookup.js';
import { errorForStatus, LookupError } from './lookup-error.js';

/** One reply as the HTTP client read it. */
export interface JsonReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed body, its text made storable (storable-text.ts); undefined when the body was empty. */
  body: unknown;
  url: string;
}

/** What {@link readReply} answers when the provider says it has no such entry: the lookup's no_match. */
export const NOT_FOUND: unique symbol = Symbol('not found');
export type NotFound = typeof NOT_FOUND;

/** The replies that mean "no such entry": these statuses, or the ones the predicate picks (Bluesky's 400 "Profile not found"). */
export type NotFoundRule = readonly number[] | ((reply: JsonReply) => boolean);

/** How one provider says "over the limit, come back later". */
export interface RateLimitDialect {
  /**
   * The wait the refusal announces, read from the provider's own headers (with the parsers of rate-limit-headers.ts),
   * or the default the provider advises; undefined when it names none, and the lookup activity then backs off with
   * jitter (retry-backoff.ts).
   */
  delayMs(reply: JsonReply, now: number): number | undefined;
  /**
   * Statuses besides 429 that the provider also answers when over its limit (GitHub's 403). Such a reply counts as a
   * rate limit only when {@link delayMs} reads a wait from it; otherwise it is classified like any other status.
   */
  alsoStatuses?: readonly number[];
  /** Said in brackets after "rate limit reached": which limit, whether a wait was given. */
  detail?(reply: JsonReply, delayMs: number | undefined): string | undefined;
}

/** One provider's reading of its replies: what is not found, how it says "rate limited", what its refusals say. */
export interface ReplyRules {
  notFound?: NotFoundRule;
  rateLimit: RateLimitDialect;
  /**
   * A non-200 reply that is neither not found nor a rate limit, read the provider's way (a refusal whose body names
   * the reason); undefined leaves it to {@link errorForStatus}.
   */
  refusal?(reply: JsonReply): LookupError | undefined;
  /** What the body is called in a MalformedResponse message (`profile`, `account`); default `response`. */
  shape?: string;
}

/**
 * Classifies one reply: a 200 is parsed with `schema` and returned (a body that does not fit is a non-retryable
 * MalformedResponse naming the first field that is wrong); a not-found reply is {@link NOT_FOUND}; a rate limit is
 * RateLimited with the wait the provider's dialect reads; anything else is the provider's own refusal or
 * {@link errorForStatus}. One place for every provider, so a 5xx, a 429 or a changed shape means the same everywhere.
 */
export function readReply<T>(
  provider: string,
  reply: JsonReply,
  schema: z.ZodType<T>,
  rules: ReplyRules,
): T | NotFound {
  if (reply.status === 200) return parseBody(provider, reply.body, schema, rules.shape ?? 'response');
  if (isNotFound(reply, rules.notFound)) return NOT_FOUND;
  throw (
    rateLimitError(provider, reply, rules.rateLimit) ?? rules.refusal?.(reply) ?? errorForStatus(provider, reply.status)
  );
}

/** `body` as `schema` reads it, or a MalformedResponse naming the field: `gravatar: unexpected profile shape at hash: …`. */
function parseBody<T>(provider: string, body: unknown, schema: z.ZodType<T>, shape = 'response'): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new LookupError(
    LOOKUP_ERROR_TYPES.malformedResponse,
    `${provider}: unexpected ${shape} shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
    undefined,
    200,
  );
}

function isNotFound(reply: JsonReply, rule: NotFoundRule | undefined): boolean {
  if (rule === undefined) return false;
  return typeof rule === 'function' ? rule(reply) : rule.includes(reply.status);
}

function rateLimitError(provider: string, reply: JsonReply, dialect: RateLimitDialect): LookupError | undefined {
  if (reply.status !== 429 && !dialect.alsoStatuses?.includes(reply.status)) return undefined;
  const delayMs = dialect.delayMs(reply, Date.now());
  if (reply.status !== 429 && delayMs === undefined) return undefined;
  const detail = dialect.detail?.(reply, delayMs);
  return new LookupError(
    LOOKUP_ERROR_TYPES.rateLimited,
    `${provider} rate limit reached${detail ? ` (${detail})` : ''}`,
    delayMs,
    reply.status,
  );
}
