import { describe, expect, it } from 'vitest';
import { backoffPolicyOf, delayWithinBudget, fullJitterDelayMs } from '../../activities/retry-backoff.js';

const policy = { initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 60_000 };

describe('fullJitterDelayMs', () => {
  it('draws uniformly below the policy’s exponential interval for the attempt, capped at its maximum', () => {
    const almostOne = () => 0.999_999;
    expect([1, 2, 3, 4, 7, 8, 20].map((attempt) => fullJitterDelayMs(attempt, policy, almostOne))).toEqual([
      999, 1999, 3999, 7999, 59_999, 59_999, 59_999,
    ]);
    expect(fullJitterDelayMs(3, policy, () => 0.5)).toBe(2000);
  });

  it('never answers zero, which Temporal would read as no delay at all', () => {
    expect(fullJitterDelayMs(1, policy, () => 0)).toBe(1);
  });

  it('spreads the waits of contacts refused at the same moment', () => {
    const waits = Array.from({ length: 200 }, () => fullJitterDelayMs(4, policy));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...waits)).toBeLessThan(8000);
    expect(new Set(waits).size).toBeGreaterThan(100);
  });
});

describe('backoffPolicyOf', () => {
  it('reads the retry policy the server reports, and Temporal’s defaults for what it leaves out', () => {
    expect(backoffPolicyOf({ initialInterval: 100, backoffCoefficient: 3, maximumInterval: 500 })).toEqual({
      initialIntervalMs: 100,
      backoffCoefficient: 3,
      maximumIntervalMs: 500,
    });
    expect(backoffPolicyOf(undefined)).toEqual({
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maximumIntervalMs: 100_000,
    });
    expect(backoffPolicyOf({ initialInterval: 200 })).toEqual({
      initialIntervalMs: 200,
      backoffCoefficient: 2,
      maximumIntervalMs: 20_000,
    });
  });
});

describe('delayWithinBudget', () => {
  const budget = { scheduledAtMs: 0, scheduleToCloseMs: 30_000, attemptTimeoutMs: 7000, now: 20_000 };

  it('leaves a wait that still lets the next attempt run to its timeout alone', () => {
    expect(delayWithinBudget(2000, budget)).toBe(2000);
  });

  it('shortens a wait that would leave the next attempt no time inside the schedule-to-close', () => {
    expect(delayWithinBudget(5000, budget)).toBe(3000);
    expect(delayWithinBudget(5000, { ...budget, now: 29_000 })).toBe(1);
  });

  it('does not bound the wait when the lookup has no schedule-to-close', () => {
    expect(delayWithinBudget(50_000, { ...budget, scheduleToCloseMs: 0 })).toBe(50_000);
  });
});
