import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { EnrichmentStatusView } from '../schemas/enrichment.js';
import { statusQuery } from '../workflows/enrich-contact.js';

/**
 * Waits until a contact's enrichment has settled — enriched, or flagged and waiting for retries — and returns its
 * status. A flagged workflow stays open for operators and scheduled retries, so its result may be hours away;
 * its status is known as soon as the first merge is done.
 */
export async function waitForSettled(client: Client, workflowId: string, pollMs = 250): Promise<EnrichmentStatusView> {
  const handle = client.workflow.getHandle(workflowId);
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return (await handle.result()) as EnrichmentStatusView;
    try {
      const view = await handle.query(statusQuery);
      if (view.status !== 'running') return view;
    } catch (err) {
      // The run may close between describe and query; anything else is a real failure.
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
