import { Context } from '@temporalio/activity';
import type { Kysely } from 'kysely';
import { listMergeFacts, updateContactRecord } from '../store/contacts.js';
import type { Database } from '../store/database.js';
import { clearExpiredLookupDetails, purgeExpiredObservations, writeAudit } from '../store/privacy.js';
import { buildContactRecord } from '../domain/merge/build-contact-record.js';
import { mergeInputFromRows } from '../store/merge-input.js';

export interface PurgeExpiredDataInput {
  /** Provider observations fetched before this time (ISO 8601) are deleted. */
  cutoff: string;
  /** The retention period the cutoff was computed from, for the audit log. */
  retentionDays: number;
  /** Who runs the purge (the retention schedule, an operator): recorded in the audit log. */
  actor: string;
  /** Observations deleted per statement; default 5000. */
  batchSize?: number;
}

/** What a purge did: counts only, so the result (and the audit entry) holds no personal data. */
export interface PurgeExpiredDataResult {
  cutoff: string;
  retentionDays: number;
  observations: number;
  /** Lookups marked `reason: expired` because their provider's observations were deleted. */
  lookupsExpired: number;
  /** Lookups older than the cutoff whose error text was cleared. */
  lookupDetailsCleared: number;
  /** Contacts whose record was derived again without the deleted observations. */
  contactsRemerged: number;
}

const DEFAULT_BATCH = 5000;
/** A record merged meanwhile by a workflow is re-derived again from fresh facts, this many times at most. */
const REMERGE_ATTEMPTS = 3;

/**
 * Derives again the records of `contactIds` from what is left of their facts, so a purged value leaves the record
 * too (not only the observations). A record merged meanwhile by a workflow is read again and re-derived; a contact
 * without a record yet is left to its workflow. Answers how many records were written.
 */
async function remergeAfterPurge(db: Kysely<Database>, contactIds: string[]): Promise<number> {
  let written = 0;
  let pending = contactIds;
  for (let attempt = 0; attempt < REMERGE_ATTEMPTS && pending.length > 0; attempt++) {
    const contacts = await db
      .selectFrom('contacts')
      .select(['id', 'email', 'consent', 'status', 'created_at', 'record'])
      .where('id', 'in', pending)
      .where('record', 'is not', null)
      .execute();
    const facts = await listMergeFacts(
      db,
      contacts.map((c) => c.id),
    );
    const raced: string[] = [];
    for (const contact of contacts) {
      const { observations, lookups } = facts.get(contact.id) ?? { observations: [], lookups: [] };
      const record = buildContactRecord(mergeInputFromRows(contact, observations, lookups));
      if (await updateContactRecord(db, contact.id, record, { ifRecordIs: contact.record })) written++;
      else raced.push(contact.id);
    }
    pending = raced;
  }
  return written;
}

/**
 * The retention purge, outside Temporal: deletes provider observations fetched before the cutoff in batches (set-based,
 * never what the supporter typed), marks the lookups they came from expired, clears old lookups' error text,
 * re-derives the affected records, and writes one audit entry with the counts. Safe to run again: a second run finds
 * nothing more to delete. `onProgress` is called after each batch (the activity heartbeats there).
 */
export async function purgeExpiredData(
  db: Kysely<Database>,
  input: PurgeExpiredDataInput,
  onProgress: (progress: PurgeExpiredDataResult) => void = () => undefined,
  resumeFrom?: Partial<PurgeExpiredDataResult>,
): Promise<PurgeExpiredDataResult> {
  const cutoff = new Date(input.cutoff);
  if (Number.isNaN(cutoff.getTime()))
    throw new TypeError(`purgeExpiredData: cutoff ${JSON.stringify(input.cutoff)} is not a time`);
  const batchSize = input.batchSize ?? DEFAULT_BATCH;
  const result: PurgeExpiredDataResult = {
    cutoff: cutoff.toISOString(),
    retentionDays: input.retentionDays,
    observations: 0,
    lookupsExpired: 0,
    lookupDetailsCleared: 0,
    contactsRemerged: 0,
  };
  // A retried attempt goes on counting from the last batch the previous attempt reported.
  if (resumeFrom?.cutoff === result.cutoff) {
    for (const key of ['observations', 'lookupsExpired', 'contactsRemerged'] as const)
      result[key] = Number(resumeFrom[key] ?? 0);
  }
  for (;;) {
    const batch = await purgeExpiredObservations(db, cutoff, batchSize);
    result.observations += batch.observations;
    result.lookupsExpired += batch.lookups;
    result.contactsRemerged += await remergeAfterPurge(db, batch.contactIds);
    onProgress(result);
    if (batch.observations < batchSize) break;
  }
  result.lookupDetailsCleared = await clearExpiredLookupDetails(db, cutoff);
  await writeAudit(db, { actor: input.actor, action: 'purge_expired', purpose: 'retention', detail: { ...result } });
  return result;
}

/** The retention activities: the purge, heartbeating after each batch so a long purge is seen to be alive. */
export function createRetentionActivities(db: Kysely<Database>) {
  return {
    async purgeExpiredData(input: PurgeExpiredDataInput): Promise<PurgeExpiredDataResult> {
      const context = Context.current();
      const previous = context.info.heartbeatDetails as Partial<PurgeExpiredDataResult> | undefined;
      return purgeExpiredData(db, input, (progress) => context.heartbeat(progress), previous);
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
