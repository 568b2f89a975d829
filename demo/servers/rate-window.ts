/**
 * A fixed-window request budget used only to fill the rate-limit headers the
 * real providers send. The demo servers never refuse a request because the
 * budget ran out: over-limit replies come only from faults, so tests stay
 * deterministic however many requests they make.
 */
export interface RateSnapshot {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds when the current window ends. */
  reset: number;
}

export class RateWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #now: () => number;
  #windowStart: number;
  #used = 0;

  constructor(limit: number, windowSeconds: number, now: () => number = Date.now) {
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#now = now;
    this.#windowStart = now();
  }

  /** Counts one request and returns the headers' view of the budget after it. */
  take(): RateSnapshot {
    this.#roll();
    this.#used += 1;
    return this.#snapshot();
  }

  #roll(): void {
    const now = this.#now();
    if (now < this.#windowStart + this.#windowMs) return;
    const elapsedWindows = Math.floor((now - this.#windowStart) / this.#windowMs);
    this.#windowStart += elapsedWindows * this.#windowMs;
    this.#used = 0;
  }

  #snapshot(): RateSnapshot {
    return {
      limit: this.#limit,
      remaining: Math.max(0, this.#limit - this.#used),
      used: this.#used,
      reset: Math.ceil((this.#windowStart + this.#windowMs) / 1000),
    };
  }
}
