/**
 * Parsers for the ways providers say "come back later" (providers.md §0): a Retry-After of seconds or an HTTP
 * date, a reset given as epoch seconds, or a reset given as an ISO 8601 time. Each returns a delay in
 * milliseconds from `now`, or undefined when the header is absent or unreadable. Never negative.
 */

type Headers = Record<string, string | string[] | undefined>;

export function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function parseEpochSecondsReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value.trim()) * 1000 - now);
}

export function parseIsoReset(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value.trim());
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
