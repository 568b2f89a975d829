import type { RetryPolicy } from '@temporalio/common';

/**
 * How long to wait after a rate-limit reply that names no retry time (api.data.gov's 429: `X-RateLimit-Remaining: 0`,
 * no reset, no Retry-After). Temporal's own backoff has no jitter, so every contact refused in one burst would come
 * back in the same instant and be refused again; "full jitter" (a uniformly random wait between zero and the
 * exponential ceiling, as in AWS's "Exponential Backoff and Jitter") spreads them out. The wait is also kept inside
 * the lookup's schedule-to-close, so a retry is never planned past the time the lookup is allowed to take.
 */

/** The parts of a retry policy the backoff follows, in milliseconds. */
export interface BackoffPolicy {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** Temporal's documented defaults, for a policy the server did not send: 1 s, doubling, at most 100 × the first. */
const TEMPORAL_DEFAULT_INITIAL_MS = 1000;
const TEMPORAL_DEFAULT_COEFFICIENT = 2;
const TEMPORAL_DEFAULT_MAXIMUM_FACTOR = 100;

const durationMs = (value: RetryPolicy['initialInterval']): number | undefined =>
  typeof value === 'number' && value > 0 ? value : undefined;

/** The backoff of the activity's retry policy as the server reported it (durations arrive in milliseconds). */
export function backoffPolicyOf(policy: RetryPolicy | undefined): BackoffPolicy {
  const initialIntervalMs = durationMs(policy?.initialInterval) ?? TEMPORAL_DEFAULT_INITIAL_MS;
  return {
    initialIntervalMs,
    backoffCoefficient:
      policy?.backoffCoefficient && policy.backoffCoefficient >= 1
        ? policy.backoffCoefficient
        : TEMPORAL_DEFAULT_COEFFICIENT,
    maximumIntervalMs: durationMs(policy?.maximumInterval) ?? initialIntervalMs * TEMPORAL_DEFAULT_MAXIMUM_FACTOR,
  };
}

/**
 * The full-jitter wait after failed attempt `attempt` (1-based): uniform in [0, ceiling), where the ceiling is
 * the policy's own exponential interval for that attempt (initial × coefficient^(attempt − 1), at most the maximum).
 * At least 1 ms, since Temporal reads a zero `nextRetryDelay` as "none".
 */
export function fullJitterDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** exponent);
  return Math.max(1, Math.floor(random() * ceiling));
}

/** Where one lookup stands against its time budget. */
export interface LookupBudget {
  /** When its first attempt was scheduled (epoch ms). */
  scheduledAtMs: number;
  /** Its schedule-to-close timeout; 0 or less = none. */
  scheduleToCloseMs: number;
  /** How long one attempt may take (start-to-close): the next attempt needs that much room after the wait. */
  attemptTimeoutMs: number;
  now: number;
}

/**
 * `delayMs`, shortened so the next attempt can still run to its start-to-close before the schedule-to-close ends.
 * When not even that is left, the wait is as short as possible: the server then ends the lookup on its budget.
 */
export function delayWithinBudget(delayMs: number, budget: LookupBudget): number {
  if (!(budget.scheduleToCloseMs > 0)) return delayMs;
  const room = budget.scheduledAtMs + budget.scheduleToCloseMs - budget.now - budget.attemptTimeoutMs;
  return Math.max(1, Math.min(delayMs, Math.floor(room)));
}
