/**
 * A provider's own rate limit, enforced the way providers do it: at most `max` requests in any sliding window of
 * `windowMs`. A request over it is refused and counted as a violation, so a benchmark can prove the pipeline
 * never exceeds a provider's limit.
 */
export interface ProviderLimit {
  max: number;
  windowMs: number;
}

/**
 * Every window of a provider at once (say 10 a second and 30 a minute), each counting every request the server
 * receives, whatever its path: a lookup that asks two paths spends two requests of each window, as at the real
 * provider. A refused request is not admitted into any window (it spent nothing), and counts one violation.
 */
export class LimitEnforcer {
  readonly #windows: { limit: ProviderLimit; admitted: number[] }[];
  #violations = 0;

  constructor(limits: ProviderLimit | readonly ProviderLimit[]) {
    const list: readonly ProviderLimit[] = Array.isArray(limits) ? limits : [limits as ProviderLimit];
    this.#windows = list.map((limit) => ({ limit, admitted: [] }));
  }

  /** Admits a request at `now`, or answers how long until one would be admitted (and counts a violation). */
  admit(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    let retryAfterMs = 0;
    for (const { limit, admitted } of this.#windows) {
      while (admitted.length > 0 && admitted[0]! <= now - limit.windowMs) admitted.shift();
      if (admitted.length >= limit.max)
        retryAfterMs = Math.max(retryAfterMs, admitted[admitted.length - limit.max]! + limit.windowMs - now);
    }
    if (retryAfterMs > 0) {
      this.#violations += 1;
      return { ok: false, retryAfterMs };
    }
    for (const { admitted } of this.#windows) admitted.push(now);
    return { ok: true };
  }

  get violations(): number {
    return this.#violations;
  }
}
