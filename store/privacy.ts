import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';

type Db = Kysely<Database> | Transaction<Database>;

export type SuppressionReason = 'opt_out' | 'erasure';

/** Adds a keyed hash to the suppression list; an erasure outranks an opt-out already there. */
export async function addSuppression(db: Db, key: string, reason: SuppressionReason): Promise<void> {
  await db
    .insertInto('suppressions')
    .values({ key, reason })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({ reason: sql<SuppressionReason>`case when excluded.reason = 'erasure' then 'erasure' else suppressions.reason end` }),
    )
    .execute();
}

/** Why a contact key is suppressed, or undefined when it is not. */
export async function findSuppression(db: Db, key: string): Promise<SuppressionReason | undefined> {
  const row = await db.selectFrom('suppressions').select('reason').where('key', '=', key).executeTakeFirst();
  return row?.reason;
}

export interface AuditEntry {
  actor: string;
  action: string;
  subjectKey?: string | undefined;
  purpose?: string | undefined;
  detail?: Record<string, unknown>;
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor: entry.actor,
      action: entry.action,
      subject_key: entry.subjectKey ?? null,
      purpose: entry.purpose ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    })
    .execute();
}

/** Marks a contact opted out: its status and record say `suppressed`; nothing held is deleted. */
export async function markContactSuppressed(db: Db, key: string): Promise<boolean> {
  const result = await db
    .updateTable('contacts')
    .set({
      status: 'suppressed',
      record: sql`case when record is null then null else jsonb_set(record, '{status}', '"suppressed"') end`,
      updated_at: new Date(),
    })
    .where('id', '=', key)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** What an erasure deleted. */
export interface ErasureCounts {
  contacts: number;
  observations: number;
  lookups: number;
}

/**
 * Deletes everything held about a contact: the contact (with its record and what they typed), its observations and
 * lookups. Idempotent: erasing an erased contact deletes nothing and says so.
 */
export async function eraseContactData(db: Db, key: string): Promise<ErasureCounts> {
  const count = async (table: 'observations' | 'lookups') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('contact_id', '=', key).executeTakeFirst())?.n ?? 0);
  const observations = await count('observations');
  const lookups = await count('lookups');
  await db.deleteFrom('observations').where('contact_id', '=', key).execute();
  await db.deleteFrom('lookups').where('contact_id', '=', key).execute();
  const deleted = await db.deleteFrom('contacts').where('id', '=', key).executeTakeFirst();
  return { contacts: Number(deleted.numDeletedRows), observations, lookups };
}
