import { sql, type Kysely } from 'kysely';

/**
 * Contacts, append-only observations and per-provider lookups; plus the extensions the voter-file matcher uses
 * (trigram similarity, phonetic codes, accent folding), created up front so every deployment has them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`create extension if not exists fuzzystrmatch`.execute(db);
  await sql`create extension if not exists unaccent`.execute(db);

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('signup', 'jsonb', (c) => c.notNull())
    .addColumn('consent', 'jsonb')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('running'))
    .addColumn('record', 'jsonb')
    .addColumn('record_version', 'integer')
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('contacts_status_idx').on('contacts').column('status').execute();

  await db.schema
    .createTable('observations')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('value_hash', 'text', (c) => c.notNull())
    .addColumn('confidence', 'real', (c) => c.notNull().check(sql`confidence >= 0 and confidence <= 1`))
    .addColumn('source_url', 'text')
    .addColumn('fetched_at', 'timestamptz', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A retried activity, a replayed or reset run, and a re-enrichment all report the same value again:
    // it is one observation, first seen at its first fetch.
    .addUniqueConstraint('observations_identity', ['contact_id', 'provider', 'field', 'value_hash'])
    .execute();

  await db.schema
    .createTable('lookups')
    .addColumn('contact_id', 'text', (c) => c.notNull().references('contacts.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) =>
      c.notNull().check(sql`outcome in ('matched', 'no_match', 'skipped', 'failed')`),
    )
    .addColumn('reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('error_type', 'text')
    .addColumn('last_error', 'text')
    .addColumn('first_failed_at', 'timestamptz')
    .addColumn('last_failed_at', 'timestamptz')
    .addColumn('completed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('lookups_pk', ['contact_id', 'provider'])
    .execute();
  await db.schema
    .createIndex('lookups_failed_idx')
    .on('lookups')
    .column('outcome')
    .where('outcome', '=', 'failed')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('lookups').execute();
  await db.schema.dropTable('observations').execute();
  await db.schema.dropTable('contacts').execute();
}
