import { describe, expect, it } from 'vitest';
import {
  burstSafeRate,
  largestSafeRate,
  overrunWindow,
  windowOverAllPaths,
  worstCaseInWindow,
  worstCaseRequests,
} from '../../domain/rate-budget.js';

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
    for (const [max, windowSeconds] of [
      [30, 60],
      [300, 300],
      [10, 1],
      [4, 1],
      [5000, 3600],
    ] as const) {
      const rate = burstSafeRate({ max, windowSeconds });
      expect(rate).toBeGreaterThan(0);
      expect(worstCaseInWindow(rate, windowSeconds)).toBeLessThanOrEqual(Math.floor(max * 0.9));
    }
  });

  it('refuses a limit too small for any queue rate to guarantee', () => {
    expect(() => burstSafeRate({ max: 3, windowSeconds: 1 })).toThrow(/too small/);
  });
});

/** GitHub's lookup: a search, then the user it found, which waits for the search's reply (10 s timeout at most). */
const GITHUB_LOOKUP = { requests: 2, trailSeconds: 10 };

describe('worstCaseRequests', () => {
  it('counts every request of a lookup in a window over all paths, the later ones from lookups dispatched before it', () => {
    // The finding: 4 lookups/s, two requests each, against 10/s: the first second holds 9 searches
    // and every user request of the lookups dispatched in the 11 s before its end.
    const overAllPaths = windowOverAllPaths({ max: 10, windowSeconds: 1 }, GITHUB_LOOKUP);
    expect(worstCaseRequests(4, overAllPaths, GITHUB_LOOKUP)).toBe(worstCaseInWindow(4, 1) + worstCaseInWindow(4, 11));
    expect(worstCaseRequests(4, overAllPaths, { requests: 2, trailSeconds: 0 })).toBe(18);
  });

  it('counts only the requests a window names (GitHub search: the first; core: the trailing user request)', () => {
    expect(worstCaseRequests(0.4, { max: 30, windowSeconds: 60, leading: 1, trailing: 0 }, GITHUB_LOOKUP)).toBe(
      worstCaseInWindow(0.4, 60),
    );
    expect(worstCaseRequests(0.4, { max: 5000, windowSeconds: 3600, leading: 0, trailing: 1 }, GITHUB_LOOKUP)).toBe(
      worstCaseInWindow(0.4, 3610),
    );
  });
});

describe('largestSafeRate', () => {
  it('keeps a per-second and a per-minute window together, two requests per lookup', () => {
    const windows = [
      windowOverAllPaths({ max: 10, windowSeconds: 1 }, GITHUB_LOOKUP),
      windowOverAllPaths({ max: 30, windowSeconds: 60 }, GITHUB_LOOKUP),
    ];
    const rate = largestSafeRate(windows, GITHUB_LOOKUP);
    for (const window of windows)
      expect(worstCaseRequests(rate, window, GITHUB_LOOKUP)).toBeLessThanOrEqual(window.max);
    expect(overrunWindow(rate, windows, GITHUB_LOOKUP)).toBeUndefined();
    expect(overrunWindow(rate + 0.001, windows, GITHUB_LOOKUP)?.limit.windowSeconds).toBe(60);
    // Twice the requests per lookup, about half the rate of a single-request provider under the same minute.
    expect(rate).toBeLessThan(largestSafeRate([{ max: 30, windowSeconds: 60 }]) / 2 + 0.01);
  });

  it('is burstSafeRate without headroom for a single-request provider', () => {
    expect(largestSafeRate([{ max: 50, windowSeconds: 1 }])).toBe(24);
    expect(burstSafeRate([{ max: 50, windowSeconds: 1 }])).toBe(22);
  });
});
