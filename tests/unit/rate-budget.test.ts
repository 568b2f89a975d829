import { describe, expect, it } from 'vitest';
import { burstSafeRate, worstCaseInWindow } from '../../schemas/rate-budget.js';

describe('worstCaseInWindow', () => {
  it('adds the token bucket burst and one more to the steady rate', () => {
    // Measured on the dev server: limited to 10/s, 21 activities started in the first second.
    expect(worstCaseInWindow(10, 1)).toBe(21);
    expect(worstCaseInWindow(0.5, 60)).toBe(32);
  });
});

describe('burstSafeRate', () => {
  it('keeps about 90% of the documented rate when the window is long', () => {
    expect(burstSafeRate({ max: 1000, windowSeconds: 3600 })).toBeCloseTo(0.2494, 4);
  });

  it('halves a per-second limit, where the start-up burst would otherwise break it', () => {
    const rate = burstSafeRate({ max: 50, windowSeconds: 1 });
    expect(rate).toBe(22);
    expect(worstCaseInWindow(rate, 1)).toBeLessThanOrEqual(45);
    expect(worstCaseInWindow(rate + 1, 1)).toBeGreaterThan(45);
  });

  it('never lets the worst window exceed the headroom of the limit', () => {
    for (const [max, windowSeconds] of [[30, 60], [300, 300], [10, 1], [4, 1], [5000, 3600]] as const) {
      const rate = burstSafeRate({ max, windowSeconds });
      expect(rate).toBeGreaterThan(0);
      expect(worstCaseInWindow(rate, windowSeconds)).toBeLessThanOrEqual(Math.floor(max * 0.9));
    }
  });

  it('refuses a limit too small for any queue rate to guarantee', () => {
    expect(() => burstSafeRate({ max: 3, windowSeconds: 1 })).toThrow(/too small/);
  });
});
