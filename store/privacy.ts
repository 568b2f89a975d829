import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';
import { insertAudit, type AuditEntry } from './audit.js';

export type { AuditEntry } from './audit.js';

type Db = Kysely<Database> | Transaction<Database>;

export type SuppressionReason = 'opt_out' | 'erasure';

/** Adds a keyed hash to the suppression list; an erasure outranks an opt-out already there. */
export async function addSuppression(db: Db, key: string, reason: SuppressionReason): Promise<void> {
  await db
    .insertInto('suppressions')
    .values({ key, reason })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        reason: sql<SuppressionReason>`case when excluded.reason = 'erasure' then 'erasure' else suppressions.reason end`,
      }),
    )
    .execute();
}

/** Why a contact key is suppressed, or undefined when it is not. */
export async function findSuppression(db: Db, key: string): Promise<SuppressionReason | undefined> {
  const row = await db.selectFrom('suppressions').select('reason').where('key', '=', key).executeTakeFirst();
  return row?.reason;
}

/** Writes an audit entry (see store/audit.ts for reads and exports, which add to theirs later). */
export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await insertAudit(db, entry);
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
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('contact_id', '=', key)
          .executeTakeFirst()
      )?.n ?? 0,
    );
  const observations = await count('observations');
  const lookups = await count('lookups');
  await db.deleteFrom('observations').where('contact_id', '=', key).execute();
  await db.deleteFrom('lookups').where('contact_id', '=', key).execute();
  const deleted = await db.deleteFrom('contacts').where('id', '=', key).executeTakeFirst();
  return { contacts: Number(deleted.numDeletedRows), observations, lookups };
}

/**
 * Sources whose observations are not purged by age: what the supporter typed (`signup`: kept while they are a
 * contact, gone with erasure), and the voter file (`voterfile`: the operator's copy of a public register, replaced
 * at each import and re-matched; only changes are written, so an old observation may be the current registration).
 */
export const NOT_PURGED_BY_AGE = ['signup', 'voterfile'] as const;

/** What one batch of the retention purge removed. */
export interface ExpiredBatch {
  /** Provider observations deleted. */
  observations: number;
  /** Lookups whose provider's observations were deleted: marked `reason = 'expired'`, their error text cleared. */
  lookups: number;
  /** The contacts concerned, whose records must be derived again. */
  contactIds: string[];
}

/**
 * Deletes up to `limit` provider observations fetched before `cutoff` (never those of {@link NOT_PURGED_BY_AGE}),
 * oldest first, in one statement, and marks the lookups they came from as expired. Repeat until it deletes nothing.
 * Idempotent.
 */
export async function purgeExpiredObservations(db: Db, cutoff: Date, limit: number): Promise<ExpiredBatch> {
  const result = await sql<{ contact_id: string; observations: string; lookups: string }>`
    with doomed as (
      select id from observations
      where provider <> ${NOT_PURGED_BY_AGE[0]} and provider <> ${NOT_PURGED_BY_AGE[1]} and fetched_at < ${cutoff}
      order by fetched_at, id
      limit ${limit}
    ),
    deleted as (
      delete from observations o using doomed where o.id = doomed.id
      returning o.contact_id, o.provider
    ),
    pairs as (
      select contact_id, provider, count(*) as n from deleted group by contact_id, provider
    ),
    marked as (
      update lookups l set reason = 'expired', last_error = null
      from pairs p where l.contact_id = p.contact_id and l.provider = p.provider
      returning l.contact_id
    )
    select p.contact_id, sum(p.n)::text as observations, (select count(*) from marked m where m.contact_id = p.contact_id)::text as lookups
    from pairs p group by p.contact_id order by p.contact_id`.execute(db);
  return {
    observations: result.rows.reduce((sum, r) => sum + Number(r.observations), 0),
    lookups: result.rows.reduce((sum, r) => sum + Number(r.lookups), 0),
    contactIds: result.rows.map((r) => r.contact_id),
  };
}

/**
 * Clears the error text of lookups that ended before `cutoff` (it may quote what a provider answered); the outcome,
 * error class and attempts stay as bookkeeping. Answers how many were cleared.
 */
export async function clearExpiredLookupDetails(db: Db, cutoff: Date): Promise<number> {
  const result = await db
    .updateTable('lookups')
    .set({ last_error: null })
    .where('completed_at', '<', cutoff)
    .where('last_error', 'is not', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
