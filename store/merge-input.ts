import type { Consent } from '../schemas/signup.js';
import type { ContactRow, LookupRow, ObservationRow } from './database.js';
import type { MergeInput, MergeLookup } from '../domain/merge/build-contact-record.js';

/**
 * What the merge needs, from the stored rows of one contact: the contact (consent, and whether it is suppressed),
 * its observations and its lookups. Used by `enrich remerge`, which re-derives records without a workflow.
 */
export function mergeInputFromRows(
  contact: Pick<ContactRow, 'id' | 'email' | 'consent' | 'status' | 'created_at'>,
  observations: Array<
    Pick<ObservationRow, 'provider' | 'field' | 'value' | 'confidence' | 'fetched_at' | 'source_url'>
  >,
  lookups: Array<Pick<LookupRow, 'provider' | 'outcome' | 'attempts' | 'completed_at' | 'reason' | 'last_error'>>,
): MergeInput {
  return {
    id: contact.id,
    email: contact.email,
    consent: (contact.consent as Consent | null) ?? null,
    suppressed: contact.status === 'suppressed',
    createdAt: contact.created_at.toISOString(),
    observations: observations.map((o) => ({
      provider: o.provider,
      field: o.field,
      value: o.value,
      confidence: o.confidence,
      fetchedAt: o.fetched_at.toISOString(),
      sourceUrl: o.source_url,
    })),
    lookups: lookups.map((l): MergeLookup => ({
      provider: l.provider,
      outcome: l.outcome as MergeLookup['outcome'],
      attempts: l.attempts,
      completedAt: l.completed_at.toISOString(),
      reason: l.reason,
      lastError: l.last_error,
    })),
  };
}
