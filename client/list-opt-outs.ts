import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import type { Signup } from '../schemas/signup.js';
import { optOutsOf, type ListStatus } from '../schemas/list-status.js';
import { contactKeyFor } from '../domain/contact-key.js';
import { enrichContactWorkflowId } from '../schemas/ids.js';
import { findSuppression } from '../store/privacy.js';
import { honourListOptOut, recordListStatuses } from '../store/list-statuses.js';
import { startPrivacyRequest } from './privacy-requests.js';
import type { StartEnrichmentResult } from './start-enrichment.js';

export interface ListGateDeps {
  db: Kysely<Database>;
  temporal: Client;
  config: Config;
}

/**
 * The one door every signup path goes through (webhooks, CSV and JSONL backfills): a person the list says is
 * unsubscribed, bouncing, do-not-contact or deceased is not enriched; the opt-out is recorded with its source, what
 * is held about them is marked suppressed, and an enrichment already running is stopped (the opt-out workflow,
 * started only when the person was not suppressed already). A person on the suppression list (an earlier opt-out of
 * any kind, an erasure) is answered `suppressed` too. Everyone else is started with `start`; a `subscribed` status
 * is remembered, so the OSDI export can say so.
 */
export async function startUnlessOptedOut(
  deps: ListGateDeps,
  signup: Signup,
  statuses: readonly ListStatus[],
  actor: string,
  start: (signup: Signup) => Promise<StartEnrichmentResult>,
): Promise<StartEnrichmentResult> {
  const contactKey = contactKeyFor(signup.email, deps.config.pseudonymKey);
  const suppressed: StartEnrichmentResult = {
    workflowId: enrichContactWorkflowId(contactKey),
    contactKey,
    status: 'suppressed',
  };
  const optOuts = optOutsOf(statuses);
  const earlier = await findSuppression(deps.db, contactKey);
  if (optOuts.length > 0) {
    await honourListOptOut(deps.db, contactKey, optOuts, actor);
    if (!earlier) await startPrivacyRequest(deps.temporal, deps.config, 'suppress', contactKey, actor);
    return suppressed;
  }
  await recordListStatuses(deps.db, contactKey, statuses);
  if (earlier) return suppressed;
  return start(signup);
}
