/**
 * Parsers for the ways providers say "come back later": a Retry-After of seconds or an HTTP date (RFC 9110 §10.2.3;
 * GitHub's secondary limits), a reset given as epoch seconds (Gravatar's and GitHub's `X-RateLimit-Reset`, atproto's
 * `RateLimit-Reset`), or a reset given as an ISO 8601 time (Mastodon's `X-RateLimit-Reset`). Each returns a delay in
 * milliseconds from `now`, or undefined when the header is absent or unreadable. Never negative. Which provider
 * speaks which is in each provider's reply rules (`ReplyRules.rateLimit`, provider-reply.ts).
 */

type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** An HTTP date (IMF-fixdate, RFC 9110 §5.6.7), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`. */
const HTTP_DATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
/** An ISO 8601 date-time, as Mastodon sends its reset. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

// Date.parse is lenient (it reads "version 2" as a date in 2001), so it only sees values of a known shape.
function parseDateShaped(value: string, shape: RegExp, now: number): number | undefined {
  if (!shape.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  return parseDateShaped(trimmed, HTTP_DATE, now);
}

export function parseEpochSecondsReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value.trim()) * 1000 - now);
}

export function parseIsoReset(value: string | undefined, now: number): number | undefined {
  return value === undefined ? undefined : parseDateShaped(value.trim(), ISO_DATE_TIME, now);
}

/**
 * The common `X-RateLimit-Remaining` + `X-RateLimit-Reset` (epoch seconds) pair, as Gravatar and GitHub send it;
 * undefined when either is missing.
 */
export function epochResetQuota(headers: Headers, now: number): { remaining: number; resetMs: number } | undefined {
  const remaining = header(headers, 'x-ratelimit-remaining');
  const resetMs = parseEpochSecondsReset(header(headers, 'x-ratelimit-reset'), now);
  if (remaining === undefined || !/^\d+$/.test(remaining.trim()) || resetMs === undefined) return undefined;
  return { remaining: Number(remaining), resetMs };
}
