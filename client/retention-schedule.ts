import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import type { Config } from '../config.js';
import type { PurgeExpiredDataResult } from '../activities/retention-activities.js';
import { purgeExpired, type PurgeExpiredInput } from '../workflows/retention.js';

/** Who the scheduled purge runs as, in the audit log. */
export const RETENTION_SCHEDULE_ACTOR = 'retention-schedule';

/** The retention schedule's ID: one per workflow task queue (so deployments sharing a namespace keep theirs apart). */
export function retentionScheduleId(config: Config): string {
  return `purge-expired:${config.temporal.taskQueue}`;
}

export interface RetentionScheduleState {
  scheduleId: string;
  /** `created` or `updated` to match the configuration; `deleted` (retention turned off) or `absent` (off, and none was there). */
  state: 'created' | 'updated' | 'deleted' | 'absent';
  retentionDays: number | null;
  cron: string;
}

function scheduleAction(
  config: Config,
  retentionDays: number,
): ScheduleOptionsStartWorkflowAction<typeof purgeExpired> {
  const input: PurgeExpiredInput = { retentionDays, actor: RETENTION_SCHEDULE_ACTOR };
  return {
    type: 'startWorkflow',
    workflowType: purgeExpired,
    workflowId: retentionScheduleId(config),
    taskQueue: config.temporal.taskQueue,
    args: [input],
    // A purge that cannot finish in a day is stuck: the next day's run starts afresh.
    workflowExecutionTimeout: '23 hours',
  };
}

/**
 * Makes the Temporal Schedule of the retention purge match the configuration: creates it, or updates its cron
 * expression and retention period; deletes it when retention is off (`RETENTION_OBSERVATIONS_DAYS=0`). Idempotent,
 * and safe when several workers start at once. Runs in UTC; overlapping runs are skipped; a run missed while the
 * server was down is taken within a day.
 */
export async function ensureRetentionSchedule(client: Client, config: Config): Promise<RetentionScheduleState> {
  const scheduleId = retentionScheduleId(config);
  const { observationsDays: retentionDays, purgeCron: cron } = config.retention;
  const handle = client.schedule.getHandle(scheduleId);
  if (retentionDays === null) {
    try {
      await handle.delete();
      return { scheduleId, state: 'deleted', retentionDays, cron };
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return { scheduleId, state: 'absent', retentionDays, cron };
      throw err;
    }
  }
  const spec = { cronExpressions: [cron] };
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } as const;
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: scheduleAction(config, retentionDays),
      policies,
      state: { note: `retention: provider observations kept ${retentionDays} days` },
    });
    return { scheduleId, state: 'created', retentionDays, cron };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await handle.update((previous) => ({
    ...previous,
    spec,
    action: scheduleAction(config, retentionDays),
    policies: { ...previous.policies, ...policies },
    state: { ...previous.state, note: `retention: provider observations kept ${retentionDays} days` },
  }));
  return { scheduleId, state: 'updated', retentionDays, cron };
}

/**
 * Runs the retention purge now, as `actor`, outside the schedule (`enrich retention --run-now`), and answers what
 * it deleted. Throws when retention is off.
 */
export async function runRetentionPurgeNow(
  client: Client,
  config: Config,
  actor: string,
): Promise<PurgeExpiredDataResult> {
  const retentionDays = config.retention.observationsDays;
  if (retentionDays === null) throw new Error('retention is off (RETENTION_OBSERVATIONS_DAYS=0): nothing is purged');
  return client.workflow.execute(purgeExpired, {
    workflowId: `${retentionScheduleId(config)}:manual`,
    taskQueue: config.temporal.taskQueue,
    args: [{ retentionDays, actor }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
  });
}
