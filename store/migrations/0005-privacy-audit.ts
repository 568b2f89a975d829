import { sql, type Kysely } from 'kysely';

/**
 * The audit of reads and exports, and the retention purge:
 * - `audit_subjects`: which contacts (keyed hashes, never emails) an audited read or export handed out, so "who saw
 *   this person's data, when, for what" is one indexed query;
 * - an index on `audit_log.at` for reading the log by period;
 * - an index on provider observations by fetch time, which the retention purge deletes by (what the supporter typed,
 *   provider `signup`, is not purged by age).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('audit_subjects')
    .addColumn('audit_id', 'bigint', (c) => c.notNull().references('audit_log.id').onDelete('cascade'))
    .addColumn('contact_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_subjects_pk', ['audit_id', 'contact_key'])
    .execute();
  await db.schema.createIndex('audit_subjects_contact_idx').on('audit_subjects').column('contact_key').execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
  await db.schema
    .createIndex('observations_expiry_idx')
    .on('observations')
    .column('fetched_at')
    .where(sql.ref('provider'), '<>', 'signup')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('observations_expiry_idx').execute();
  await db.schema.dropIndex('audit_log_at_idx').execute();
  await db.schema.dropTable('audit_subjects').execute();
}
