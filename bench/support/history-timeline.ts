import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const EventType = proto.temporal.api.enums.v1.EventType;
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;

/** One line per event of a workflow's history, with its time since the start: where a run's latency went. */
export async function historyTimeline(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const t0 = ms(events[0]?.eventTime);
  const activityTypes = new Map<number, string>();
  return events.map((event) => {
    const id = Number(event.eventId);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) activityTypes.set(id, `${scheduled.activityType?.name ?? '?'}@${scheduled.taskQueue?.name ?? '?'}`);
    const ref =
      event.activityTaskStartedEventAttributes?.scheduledEventId ??
      event.activityTaskCompletedEventAttributes?.scheduledEventId;
    const what = scheduled
      ? activityTypes.get(id)
      : ref !== undefined && ref !== null
        ? activityTypes.get(Number(ref))
        : '';
    const name = EventType[event.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(event.eventType);
    return `${(ms(event.eventTime) - t0).toFixed(0).padStart(6)} ms  ${name} ${what ?? ''}`;
  });
}
