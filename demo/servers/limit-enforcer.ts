/**
 * A provider's own rate limit, enforced the way providers do it: at most `max` requests in any sliding window of
 * `windowMs`. A request over it is refused and counted as a violation, so a benchmark can prove the pipeline
 * never exceeds a provider's limit.
 */
export interface ProviderLimit {
  max: number;
  windowMs: number;
}

export class LimitEnforcer {
  readonly #limit: ProviderLimit;
  readonly #admitted: number[] = [];
  #violations = 0;

  constructor(limit: ProviderLimit) {
    this.#limit = limit;
  }

  /** Admits a request at `now`, or answers how long until one would be admitted (and counts a violation). */
  admit(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    while (this.#admitted.length > 0 && this.#admitted[0]! <= now - this.#limit.windowMs) this.#admitted.shift();
    if (this.#admitted.length < this.#limit.max) {
      this.#admitted.push(now);
      return { ok: true };
    }
    this.#violations += 1;
    return { ok: false, retryAfterMs: this.#admitted[0]! + this.#limit.windowMs - now };
  }

  get violations(): number {
    return this.#violations;
  }
}
