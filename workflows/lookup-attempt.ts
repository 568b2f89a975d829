import {
  ActivityFailure,
  ApplicationFailure,
  log,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { LookupActivities, LookupFailureDetails } from '../activities/lookup-activity.js';
import type { ProviderPlan, QuotaWaitPlan } from '../schemas/enrichment.js';
import type { LookupInput, LookupState, ProviderLookupResult } from '../schemas/lookup.js';
// From the zod-free module: anything imported here is bundled into every workflow (see lookup-outcomes.ts).
import { LOOKUP_ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES } from '../schemas/lookup-outcomes.js';
import { lookupActivityName, lookupAttemptTimeoutMs, providerTaskQueue } from '../schemas/ids.js';

/**
 * Marks the first quota wait of a run: histories recorded before waiting for quota existed ended a RateLimited
 * lookup failed at once, and replay them so (tests/replay).
 */
export const QUOTA_WAIT_PATCH = 'quota-wait';

export interface LookupAttempt {
  state: LookupState;
  result: ProviderLookupResult | undefined;
}

export interface AttemptOptions {
  /** The task-queue priority key of the lookup; undefined (inputs recorded before priorities): none set. */
  priorityKey: number | undefined;
  quotaWait: QuotaWaitPlan;
}

/** How many attempts a failed lookup made: the last attempt reports it; a timeout on the last attempt spent them all. */
function attemptsOf(failure: ActivityFailure, maxAttempts: number): number {
  const details = failureDetails(failure);
  if (typeof details?.attempt === 'number') return details.attempt;
  return failure.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? maxAttempts : 1;
}

function failureDetails(failure: ActivityFailure): LookupFailureDetails | undefined {
  return failure.cause instanceof ApplicationFailure
    ? (failure.cause.details?.[0] as LookupFailureDetails | undefined)
    : undefined;
}

/** A refusal for quota (the client's own guard, a provider's 429): how long to wait before asking again. */
function quotaRefusal(failure: ActivityFailure): { attempt: number; waitMs: number | undefined } | undefined {
  if (!(failure.cause instanceof ApplicationFailure) || failure.cause.type !== LOOKUP_ERROR_TYPES.rateLimited)
    return undefined;
  const details = failureDetails(failure);
  return { attempt: details?.attempt ?? 1, waitMs: details?.quotaWaitMs };
}

/**
 * Runs one provider's lookup activity; a failure that outlived its retries becomes the `failed` state. Waiting for
 * quota is not failing: a RateLimited refusal (never retried by the activity's policy) sleeps here for the wait it
 * carries, or a full-jitter backoff when the provider named none, and runs the lookup again with the attempts the
 * errors left, until the quota-wait budget (time or count) is spent.
 */
export async function attemptLookup(
  plan: ProviderPlan,
  lookupInput: LookupInput,
  options: AttemptOptions,
): Promise<LookupAttempt> {
  let waits = 0;
  let waitedMs = 0;
  let attemptsBefore = 0;
  let errorAttempts = 0;
  for (;;) {
    try {
      const proxy = lookupProxy(plan, options.priorityKey, plan.maxAttempts - errorAttempts);
      const result = await proxy[lookupActivityName(plan.name)](lookupInput);
      const attempts = attemptsBefore + result.attempts;
      return { state: { outcome: result.outcome, attempts, at: new Date().toISOString() }, result };
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      const refusal = quotaRefusal(err);
      if (refusal && waits < options.quotaWait.maxWaits && patched(QUOTA_WAIT_PATCH)) {
        const waitMs = Math.max(1, refusal.waitMs ?? fullJitterDelayMs(waits + 1, plan));
        if (waitedMs + waitMs <= options.quotaWait.budgetMs) {
          waits += 1;
          waitedMs += waitMs;
          attemptsBefore += refusal.attempt;
          errorAttempts += refusal.attempt - 1;
          log.info('lookup waits for quota', { provider: plan.name, waitMs, waits });
          await sleep(waitMs);
          continue;
        }
      }
      return { state: failedState(plan, err, attemptsBefore), result: undefined };
    }
  }
}

function failedState(plan: ProviderPlan, err: ActivityFailure, attemptsBefore: number): LookupState {
  const cause = err.cause;
  const state: LookupState = {
    outcome: 'failed',
    attempts: attemptsBefore + attemptsOf(err, plan.maxAttempts),
    at: new Date().toISOString(),
    errorType: cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : (cause?.name ?? 'Error'),
    lastError: cause?.message ?? err.message,
  };
  log.warn('lookup failed', { provider: plan.name, errorType: state.errorType, attempts: state.attempts });
  return state;
}

/**
 * The provider's activities on its own rate-limited queue, with its plan's timeouts and retries, and its priority
 * set explicitly: a priority inherited from the workflow alone was served first-in first-out on the dev server.
 */
function lookupProxy(plan: ProviderPlan, priorityKey: number | undefined, maximumAttempts: number) {
  return proxyActivities<LookupActivities>({
    // Without an explicit queue the activity would run on the workflow's queue, outside the provider's rate limit.
    taskQueue: providerTaskQueue(workflowInfo().taskQueue, plan.name),
    startToCloseTimeout: lookupAttemptTimeoutMs(plan.timeoutMs),
    // Heartbeats carry cancellation to the HTTP request and detect a dead worker before startToClose.
    heartbeatTimeout: Math.min(lookupAttemptTimeoutMs(plan.timeoutMs), 30_000),
    scheduleToCloseTimeout: plan.scheduleToCloseMs,
    retry: {
      initialInterval: plan.initialIntervalMs,
      backoffCoefficient: plan.backoffCoefficient,
      maximumInterval: plan.maximumIntervalMs,
      maximumAttempts: Math.max(1, maximumAttempts),
      nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
    },
    ...(priorityKey !== undefined ? { priority: { priorityKey } } : {}),
  });
}

/**
 * A full-jitter wait after the `wait`-th refusal that named no time: uniform below the plan's exponential interval
 * (as activities/retry-backoff.ts does for activities). Math.random is deterministic in workflow code.
 */
function fullJitterDelayMs(wait: number, plan: ProviderPlan): number {
  const ceiling = Math.min(plan.maximumIntervalMs, plan.initialIntervalMs * plan.backoffCoefficient ** (wait - 1));
  return Math.max(1, Math.floor(Math.random() * ceiling));
}
