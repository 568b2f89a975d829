import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { EnrichContactInput } from '../../schemas/enrichment.js';

/** The input an enrichment was started with, read back from its history: what the sender's mapping produced. */
export async function enrichmentInput(client: Client, workflowId: string): Promise<EnrichContactInput> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`${workflowId} has no start input`);
  return defaultPayloadConverter.fromPayload<EnrichContactInput>(payload);
}

/** Whether a workflow with this ID exists (running or closed) on the server. */
export async function workflowExists(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch {
    return false;
  }
}
