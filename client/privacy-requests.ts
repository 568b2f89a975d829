import type { Client } from '@temporalio/client';
import type { Config } from '../config.js';
import { eraseContact, suppressContact } from '../workflows/privacy.js';
import { eraseContactWorkflowId, suppressContactWorkflowId } from '../schemas/ids.js';

export type PrivacyAction = 'erase' | 'suppress';

/**
 * Starts the erasure or opt-out of a contact (by key) and returns its workflow ID once Temporal has accepted it.
 * A request already running is joined rather than duplicated; a finished one may be asked again (both are idempotent).
 */
export async function startPrivacyRequest(
  client: Client,
  config: Config,
  action: PrivacyAction,
  contactKey: string,
  actor: string,
): Promise<string> {
  const workflowId = action === 'erase' ? eraseContactWorkflowId(contactKey) : suppressContactWorkflowId(contactKey);
  const options = {
    workflowId,
    taskQueue: config.temporal.taskQueue,
    args: [{ contactKey, actor }] as [{ contactKey: string; actor: string }],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
  };
  await (action === 'erase'
    ? client.workflow.start(eraseContact, options)
    : client.workflow.start(suppressContact, options));
  return workflowId;
}
