import { proxyActivities } from '@temporalio/workflow';
import type { PurgeExpiredDataResult, RetentionActivities } from '../activities/retention-activities.js';

/** The input of `purgeExpired`, fixed in the retention schedule's action from configuration. */
export interface PurgeExpiredInput {
  /** Provider observations fetched more than this many days ago are deleted. */
  retentionDays: number;
  /** Recorded in the audit log: the schedule, or the operator who ran it by hand. */
  actor: string;
}

const DAY_MS = 86_400_000;

const retention = proxyActivities<RetentionActivities>({
  // A purge deletes in batches and heartbeats after each; a dead worker is noticed within the heartbeat timeout
  // and the next attempt carries on where the last batch left off.
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});

/**
 * The retention purge, started daily by a Temporal Schedule (`enrich worker`, `enrich dev`, `enrich retention`):
 * deletes provider observations older than `retentionDays` (never what the supporter typed), marks the lookups
 * they came from expired, re-derives the affected records and writes an audit entry. The cutoff is taken from the
 * workflow's clock, so a retried activity deletes against the same cutoff.
 */
export async function purgeExpired(input: PurgeExpiredInput): Promise<PurgeExpiredDataResult> {
  const cutoff = new Date(Date.now() - input.retentionDays * DAY_MS).toISOString();
  return retention.purgeExpiredData({ cutoff, retentionDays: input.retentionDays, actor: input.actor });
}
