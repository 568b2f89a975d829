import { proxyActivities } from '@temporalio/workflow';

/** The no-op activity every bare worker registers. */
export interface BareActivities {
  noop(): Promise<void>;
}

/**
 * The throughput bench's yardstick: a workflow of exactly the enrichment's shape — the same activities on the same
 * task queues, scheduled in the same batches (each inner array at once, waited for together) — whose activities
 * do nothing. What it achieves is what Temporal alone allows on this machine.
 */
export async function bareEnrichment(batches: string[][]): Promise<number> {
  let done = 0;
  for (const batch of batches) {
    await Promise.all(
      batch.map((taskQueue) =>
        proxyActivities<BareActivities>({ taskQueue, startToCloseTimeout: '30 seconds' }).noop(),
      ),
    );
    done += batch.length;
  }
  return done;
}
