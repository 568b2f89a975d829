/**
 * The longest a lookup's retry policy can take by itself, queue time aside: every attempt run to its start-to-close
 * timeout, and every backoff between attempts at its longest (initial × coefficient^(n − 1), at most the maximum).
 * A lookup's schedule-to-close is this plus the time it may wait on its provider's rate-limited queue, so neither a
 * long queue nor a run of errors can take the other's time (docs/rate-limits.md, "Waiting for quota").
 */
export interface RetryPolicyBudget {
  maxAttempts: number;
  /** One attempt's start-to-close timeout. */
  attemptTimeoutMs: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

export function retryPolicyBudgetMs(policy: RetryPolicyBudget): number {
  let total = policy.maxAttempts * policy.attemptTimeoutMs;
  for (let retry = 1; retry < policy.maxAttempts; retry++) {
    total += Math.min(policy.maximumIntervalMs, policy.initialIntervalMs * policy.backoffCoefficient ** (retry - 1));
  }
  return Math.ceil(total);
}
