import { CancelledFailure, getExternalWorkflowHandle, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { ErasureReceipt, PrivacyActivities, PrivacyRequest } from '../activities/privacy-activities.js';
import { enrichContactWorkflowId } from '../schemas/ids.js';

const privacy = proxyActivities<PrivacyActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Stops the contact's enrichment, if one is running, so nothing more is looked up or written for them. A contact
 * with no enrichment (or a finished one) is fine: the request is about the person, not the run.
 */
async function stopEnrichment(contactKey: string): Promise<void> {
  try {
    await getExternalWorkflowHandle(enrichContactWorkflowId(contactKey)).cancel();
  } catch (err) {
    // Not found or already closed: nothing to stop. A cancellation of this workflow itself must propagate.
    if (isCancellation(err) && !(err instanceof CancelledFailure)) throw err;
  }
}

/** Opt-out: stop the enrichment, put the keyed hash on the suppression list, mark the contact suppressed. */
export async function suppressContact(request: PrivacyRequest): Promise<{ contactUpdated: boolean }> {
  await stopEnrichment(request.contactKey);
  return privacy.suppressContact(request);
}

/**
 * Erasure: stop the enrichment, delete the record, observations and lookups, keep only the keyed hash on the
 * suppression list, write an audit entry; answers a receipt of what was deleted. Idempotent.
 */
export async function eraseContact(request: PrivacyRequest): Promise<ErasureReceipt> {
  await stopEnrichment(request.contactKey);
  return privacy.eraseContact(request);
}
