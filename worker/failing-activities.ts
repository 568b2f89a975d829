import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { Gauge } from 'prom-client';
import { appMetrics } from '../activities/metrics.js';

/**
 * How long an activity counts as still failing after its last attempt seen here. Store writes retry at most a
 * minute apart, so a wedged write is seen again long before this; a run that ended, or moved to another worker
 * process, drops out of this process's count after it.
 */
const FORGET_AFTER_MS = 60 * 60 * 1000;

/**
 * The workflows of this worker process whose same activity keeps failing: an attempt that starts after `threshold`
 * failed ones of one activity of one workflow is noted, and the note goes when that activity succeeds, fails for
 * good, or is not seen again for an hour. A retry without end (what a poison value used to cause) shows here
 * instead of only in the Web UI's attempt counter.
 */
export class FailingActivities {
  /** `workflowId activityType` → when the last attempt past the threshold started. */
  readonly #seen = new Map<string, { activityType: string; at: number }>();

  /** Notes that attempt `attempt` (1 = the first) of an activity of a workflow is starting. */
  attemptStarted(workflowId: string, activityType: string, attempt: number, threshold: number, now = Date.now()): void {
    if (attempt > threshold) this.#seen.set(`${workflowId} ${activityType}`, { activityType, at: now });
  }

  /** The activity ended for good (succeeded, or failed without retry): its workflow no longer counts. */
  ended(workflowId: string, activityType: string): void {
    this.#seen.delete(`${workflowId} ${activityType}`);
  }

  /** How many workflows have a failing activity, by activity type. */
  counts(now = Date.now()): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [key, { activityType, at }] of this.#seen) {
      if (now - at > FORGET_AFTER_MS) this.#seen.delete(key);
      else counts.set(activityType, (counts.get(activityType) ?? 0) + 1);
    }
    return counts;
  }

  /** A worker interceptor that reports every activity attempt of its worker, counting those after `threshold` failures. */
  interceptor(threshold: number): ActivityInterceptorsFactory {
    return (ctx) => ({
      inbound: {
        execute: async (input, next) => {
          const { workflowExecution, activityType, attempt } = ctx.info;
          const workflowId = workflowExecution?.workflowId ?? '';
          this.attemptStarted(workflowId, activityType, attempt, threshold);
          try {
            const result: unknown = await next(input);
            this.ended(workflowId, activityType);
            return result;
          } catch (err) {
            if (err instanceof ApplicationFailure && err.nonRetryable) this.ended(workflowId, activityType);
            throw err;
          }
        },
      },
    });
  }
}

let tracker: FailingActivities | undefined;

/**
 * This process's tracker, created on first use, and its gauge `enrich_workflows_failing_activity` (by activity
 * type; counts only, never a workflow id) in the application's registry.
 */
export function failingActivities(): FailingActivities {
  if (tracker) return tracker;
  const created = new FailingActivities();
  tracker = created;
  new Gauge({
    name: 'enrich_workflows_failing_activity',
    help: 'Workflows of this worker process whose same activity has failed WORKER_FAILING_ATTEMPTS times or more in a row and is still retried.',
    labelNames: ['activity'] as const,
    registers: [appMetrics],
    collect() {
      this.reset();
      for (const [activity, count] of created.counts()) this.set({ activity }, count);
    },
  });
  return created;
}
