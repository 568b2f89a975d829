import { sql, type Kysely } from 'kysely';

/**
 * Backfills (`enrich backfill`): one row per file loaded, keyed by an opaque ID derived from the file's digest (so
 * re-running the same file resumes it), and its valid rows staged in `backfill_rows` in file order (`seq`), each
 * with its line number and the signup as JSON. The `backfill` workflow reads them a page at a time and marks each
 * row it admitted (`admitted`), so a retried admission never starts a row twice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table backfills (
      id text primary key,
      workflow_id text not null,
      rows integer not null default 0,
      valid integer not null default 0,
      rejected integer not null default 0,
      state text not null default 'loading',
      created_at timestamptz not null default now(),
      loaded_at timestamptz
    )`.execute(db);
  await sql`
    create table backfill_rows (
      backfill_id text not null references backfills (id) on delete cascade,
      seq integer not null,
      line integer not null,
      signup jsonb not null,
      admitted text,
      primary key (backfill_id, seq)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table backfill_rows`.execute(db);
  await sql`drop table backfills`.execute(db);
}
