/**
 * A provider's documented limit: at most `max` requests in any window of `windowSeconds`. A window may count only
 * some of a lookup's requests (GitHub counts its search and its user requests against separate limits): `leading`
 * is how many of the requests it counts leave when the queue dispatches the lookup (0 or 1, the lookup's first
 * request), `trailing` how many follow later in the same lookup. Unset, the window counts every request of the
 * lookup (see {@link windowOverAllPaths}).
 */
export interface DocumentedLimit {
  max: number;
  windowSeconds: number;
  leading?: number;
  trailing?: number;
  /** What the window counts when it is not every request (`search`), for messages. */
  counts?: string;
}

/**
 * How one lookup at a provider spends requests: at most `requests` of them (every path together), the later ones
 * at most `trailSeconds` after the first (each waits for the previous reply, which the request timeout bounds).
 */
export interface LookupRequests {
  requests: number;
  trailSeconds: number;
}

/** A lookup that makes one request, sent when the queue dispatches it. */
export const SINGLE_REQUEST: LookupRequests = { requests: 1, trailSeconds: 0 };

/**
 * The most a rate-limited Temporal task queue (one partition) can dispatch in any window of `windowSeconds`
 * when limited to `rate` per second: the steady rate over the window, plus the token bucket's burst
 * (max(ceil(rate), 1), server `matching.minTaskThrottlingBurstSize`), plus one for where the window falls.
 * Measured here: a queue limited to 10/s started 21 activities in its first second, then exactly 10 per second.
 */
export function worstCaseInWindow(rate: number, windowSeconds: number): number {
  return rate * windowSeconds + Math.max(Math.ceil(rate), 1) + 1;
}

/** A window counting every request of a lookup at every path, as a limit the operator declares is taken to. */
export function windowOverAllPaths(
  limit: Pick<DocumentedLimit, 'max' | 'windowSeconds'>,
  lookup: LookupRequests,
): DocumentedLimit {
  return { max: limit.max, windowSeconds: limit.windowSeconds, leading: 1, trailing: lookup.requests - 1 };
}

/**
 * The most requests a queue limited to `rate` lookups per second can send into one window of `limit`, burst
 * included. A lookup's first request leaves when the queue dispatches it, so it lands in the window as its
 * dispatch does; a later request can trail by up to `trailSeconds`, so it may belong to a lookup dispatched that
 * much before the window opened. Hence leading × dispatches(window) + trailing × dispatches(window + trail).
 */
export function worstCaseRequests(
  rate: number,
  limit: DocumentedLimit,
  lookup: LookupRequests = SINGLE_REQUEST,
): number {
  const leading = limit.leading ?? 1;
  const trailing = limit.trailing ?? lookup.requests - 1;
  const lagged = trailing > 0 ? trailing * worstCaseInWindow(rate, limit.windowSeconds + lookup.trailSeconds) : 0;
  return leading * worstCaseInWindow(rate, limit.windowSeconds) + lagged;
}

/** The smallest rate the functions below answer (they round down to 4 decimals). */
const MIN_RATE = 0.0001;

/**
 * The largest queue rate (4 decimals, rounded down) whose worst case keeps within `headroom` of every one of
 * `limits`: `headroom` 1 is the most a configured rate may be, 0.9 is the default rate's margin. For a single
 * long window this is about `headroom` × the documented rate; for a per-second window (BAN's 50/s) the burst
 * matters and the rate is about half.
 */
export function largestSafeRate(
  limits: readonly DocumentedLimit[],
  lookup: LookupRequests = SINGLE_REQUEST,
  headroom = 1,
): number {
  if (limits.length === 0) throw new Error('no limit to keep');
  const fits = (rate: number) =>
    limits.every((limit) => worstCaseRequests(rate, limit, lookup) <= Math.floor(limit.max * headroom));
  // The server can always start two in one window (a burst token and the window's edge): a window that cannot
  // take those and a little more cannot be kept by any rate this function can answer (4 decimals).
  if (!fits(MIN_RATE)) {
    const tightest = limits.find(
      (limit) => worstCaseRequests(MIN_RATE, limit, lookup) > Math.floor(limit.max * headroom),
    )!;
    throw new Error(
      `a limit of ${tightest.max} per ${tightest.windowSeconds}s is too small for any queue rate to keep, its start-up burst included`,
    );
  }
  let low = 0;
  let high = Math.min(...limits.map((limit) => (limit.max * headroom) / limit.windowSeconds));
  if (fits(high)) return Math.floor(high * 10_000) / 10_000;
  for (let i = 0; i < 60; i++) {
    const mid = (low + high) / 2;
    if (fits(mid)) low = mid;
    else high = mid;
  }
  return Math.floor(low * 10_000) / 10_000;
}

/**
 * The default queue rate: the largest whose worst case, burst included, stays within `headroom` (90%) of every
 * documented window.
 */
export function burstSafeRate(
  limits: DocumentedLimit | readonly DocumentedLimit[],
  lookup: LookupRequests = SINGLE_REQUEST,
  headroom = 0.9,
): number {
  return largestSafeRate(Array.isArray(limits) ? limits : [limits as DocumentedLimit], lookup, headroom);
}

/** The window of `limits` that `rate` overruns the most, with its worst case; undefined when the rate keeps them all. */
export function overrunWindow(
  rate: number,
  limits: readonly DocumentedLimit[],
  lookup: LookupRequests = SINGLE_REQUEST,
): { limit: DocumentedLimit; worstCase: number } | undefined {
  let worst: { limit: DocumentedLimit; worstCase: number } | undefined;
  for (const limit of limits) {
    const worstCase = worstCaseRequests(rate, limit, lookup);
    if (worstCase > limit.max && (!worst || worstCase / limit.max > worst.worstCase / worst.limit.max))
      worst = { limit, worstCase };
  }
  return worst;
}
