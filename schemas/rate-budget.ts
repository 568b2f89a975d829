/** A provider's documented limit: at most `max` requests in any window of `windowSeconds`. */
export interface DocumentedLimit {
  max: number;
  windowSeconds: number;
}

/**
 * The most a rate-limited Temporal task queue (one partition) can dispatch in any window of `windowSeconds`
 * when limited to `rate` per second: the steady rate over the window, plus the token bucket's burst
 * (max(ceil(rate), 1), server `matching.minTaskThrottlingBurstSize`), plus one for where the window falls.
 * Measured here: a queue limited to 10/s started 21 activities in its first second, then exactly 10 per second.
 */
export function worstCaseInWindow(rate: number, windowSeconds: number): number {
  return rate * windowSeconds + Math.max(Math.ceil(rate), 1) + 1;
}

/**
 * The queue rate to configure so that even the server's start-up burst stays within `headroom` of the provider's
 * limit. For long windows (per minute, per hour) this is about `headroom` × the documented rate; for a per-second
 * window (BAN's 50/s) the burst matters and the rate is about half.
 */
export function burstSafeRate(limit: DocumentedLimit, headroom = 0.9): number {
  const budget = Math.floor(limit.max * headroom);
  // The server can always start two in one window (a burst token and the window's edge).
  if (budget < 3) throw new Error(`a limit of ${limit.max} per ${limit.windowSeconds}s is too small to guarantee with a queue rate; set the rate explicitly`);
  let low = 0;
  let high = (limit.max * headroom) / limit.windowSeconds;
  if (worstCaseInWindow(high, limit.windowSeconds) <= budget) return Number(high.toFixed(4));
  for (let i = 0; i < 50; i++) {
    const mid = (low + high) / 2;
    if (worstCaseInWindow(mid, limit.windowSeconds) <= budget) low = mid;
    else high = mid;
  }
  return Math.floor(low * 10_000) / 10_000;
}
