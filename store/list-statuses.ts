import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import { addSuppression, markContactSuppressed, writeAudit } from './privacy.js';
import { OPT_OUT_STATUSES, type ListStatus, type ListStatusValue } from '../schemas/list-status.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Remembers what a list said about a contact (idempotent: a repeat only moves `last_seen_at`). */
export async function recordListStatuses(db: Db, contactKey: string, statuses: readonly ListStatus[]): Promise<void> {
  if (statuses.length === 0) return;
  await db
    .insertInto('list_statuses')
    .values(statuses.map((s) => ({ contact_key: contactKey, status: s.status, source: s.source })))
    .onConflict((oc) => oc.columns(['contact_key', 'status', 'source']).doUpdateSet({ last_seen_at: sql`now()` }))
    .execute();
}

/** Every status heard about a contact, oldest first. */
export async function findListStatuses(db: Db, contactKey: string): Promise<ListStatus[]> {
  const rows = await db
    .selectFrom('list_statuses')
    .select(['status', 'source'])
    .where('contact_key', '=', contactKey)
    .orderBy('first_seen_at')
    .orderBy('status')
    .execute();
  return rows.map((r) => ({ status: r.status as ListStatusValue, source: r.source }));
}

/** What a list opt-out did: the contact held (if any) is now marked suppressed. */
export interface ListOptOutResult {
  contactUpdated: boolean;
}

/**
 * Honours a list's opt-out, in one transaction: the status is recorded with its source, the keyed hash joins the
 * suppression list (so no later signup, backfill row or webhook starts an enrichment), what is held about the
 * contact is marked `suppressed`, and the audit log says which list said what. Nothing is deleted: an opt-out from
 * a list is not an erasure request. Idempotent.
 */
export async function honourListOptOut(
  db: Kysely<Database>,
  contactKey: string,
  optOuts: readonly ListStatus[],
  actor: string,
): Promise<ListOptOutResult> {
  const reasons = optOuts.filter((s) => OPT_OUT_STATUSES.has(s.status));
  if (reasons.length === 0) throw new RangeError('honourListOptOut needs at least one opt-out status');
  return db.transaction().execute(async (trx) => {
    await recordListStatuses(trx, contactKey, reasons);
    await addSuppression(trx, contactKey, 'opt_out');
    const contactUpdated = await markContactSuppressed(trx, contactKey);
    await writeAudit(trx, {
      actor,
      action: 'list_opt_out',
      subjectKey: contactKey,
      detail: { statuses: reasons.map((r) => ({ status: r.status, source: r.source })), contactUpdated },
    });
    return { contactUpdated };
  });
}
