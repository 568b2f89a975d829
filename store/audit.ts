import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { AuditLogTable, Database } from './database.js';

/** Which contacts (keyed hashes) an audited read or export handed out (migration 0005). */
export interface AuditSubjectsTable {
  audit_id: string;
  contact_key: string;
}

type Db = Kysely<Database> | Transaction<Database>;
type AuditLogRow = Selectable<AuditLogTable>;

const withSubjects = (db: Db) => db.withTables<{ audit_subjects: AuditSubjectsTable }>();

/** The audit actions of reads and exports (privacy actions write `suppress`, `erase` and `purge_expired`). */
export const AUDIT_READ_ACTIONS = {
  readContact: 'read_contact',
  exportSegment: 'export_segment',
  zoneReport: 'zone_report',
} as const;

/** One entry of the audit log: who did what, about whom, for what purpose. */
export interface AuditEntry {
  actor: string;
  action: string;
  subjectKey?: string | undefined;
  purpose?: string | undefined;
  detail?: Record<string, unknown>;
}

/** Writes an audit entry and answers its id, so what is learned later (an export's count) can be added to it. */
export async function insertAudit(db: Db, entry: AuditEntry): Promise<string> {
  const row = await db
    .insertInto('audit_log')
    .values({
      actor: entry.actor,
      action: entry.action,
      subject_key: entry.subjectKey ?? null,
      purpose: entry.purpose ?? null,
      detail: JSON.stringify(entry.detail ?? {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return String(row.id);
}

/** Adds to (or overwrites keys of) an entry's detail, e.g. the number of rows an export wrote once it ends. */
export async function updateAuditDetail(db: Db, id: string, detail: Record<string, unknown>): Promise<void> {
  await db
    .updateTable('audit_log')
    .set({ detail: sql<string>`detail || cast(${JSON.stringify(detail)} as jsonb)` })
    .where('id', '=', id)
    .execute();
}

/** Records that an audited read or export handed out these contacts; idempotent. */
export async function addAuditSubjects(db: Db, auditId: string, contactKeys: readonly string[]): Promise<void> {
  if (contactKeys.length === 0) return;
  await withSubjects(db)
    .insertInto('audit_subjects')
    .values([...new Set(contactKeys)].map((contact_key) => ({ audit_id: auditId, contact_key })))
    .onConflict((oc) => oc.columns(['audit_id', 'contact_key']).doNothing())
    .execute();
}

/**
 * Every audit entry about one person, oldest first: privacy actions on them, reads of their record, and exports
 * that included them. Answers "who saw this person's data, when, and for what" (GDPR Art. 15).
 */
export async function listAuditForSubject(db: Db, contactKey: string): Promise<AuditLogRow[]> {
  return withSubjects(db)
    .selectFrom('audit_log')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb('subject_key', '=', contactKey),
        eb('id', 'in', eb.selectFrom('audit_subjects').select('audit_id').where('contact_key', '=', contactKey)),
      ]),
    )
    .orderBy('id')
    .execute();
}

/** The contact keys an audited export handed out. */
export async function listAuditSubjects(db: Db, auditId: string): Promise<string[]> {
  const rows = await withSubjects(db)
    .selectFrom('audit_subjects')
    .select('contact_key')
    .where('audit_id', '=', auditId)
    .orderBy('contact_key')
    .execute();
  return rows.map((r) => r.contact_key);
}

/** Contact keys are flushed to `audit_subjects` in batches of this many as an export streams. */
const SUBJECT_BATCH = 1000;

/**
 * Passes `records` through while recording, under the audit entry `auditId`, the key of each one and, when the
 * stream ends, how many went out and whether the export completed (`complete: false` when the reader went away or
 * the query failed part-way). Keys are written a batch at a time as the export goes, so what was handed out is on
 * record, to within one batch, even if the process dies mid-export.
 */
export async function* auditedRecords<T extends { id: string }>(
  db: Kysely<Database>,
  auditId: string,
  records: AsyncIterable<T>,
): AsyncGenerator<T> {
  let count = 0;
  let complete = false;
  let pending: string[] = [];
  try {
    for await (const record of records) {
      pending.push(record.id);
      if (pending.length >= SUBJECT_BATCH) {
        await addAuditSubjects(db, auditId, pending);
        pending = [];
      }
      count++;
      yield record;
    }
    complete = true;
  } finally {
    await addAuditSubjects(db, auditId, pending);
    await updateAuditDetail(db, auditId, { count, complete });
  }
}
