import { sql, type Kysely } from 'kysely';
import { queryCompiled, type SqlSession } from '../sql-session.js';
import { DEFAULT_VOTER_FILE_COUNTRY, VoterFileError } from '../voter-file-format.js';
import type { VoterDatabase } from '../voter-tables.js';
import { VOTER_COLUMN_TYPES } from '../voter-tables.js';

/*
 * Stage "stage" of a voter import: the session made ready (one import at a time, memory for the index builds),
 * what an interrupted import left behind cleared away, the import's `voter_imports` row, and the names and shapes
 * of the tables it builds beside the live ones.
 */

/** One key for every voter import: a second one waits for nothing, it fails at once. */
const IMPORT_LOCK = 72_110_533;

/** Memory for each index build and for the name counts' hash aggregate, per session. */
export const MAINTENANCE_MEMORY = `set maintenance_work_mem = '256MB'; set work_mem = '128MB'`;

/** Tables an interrupted import left behind (a killed process, a lost connection): every table named as a load table. */
const LEFTOVER_TABLES_SQL = `select tablename as name from pg_tables where schemaname = current_schema()
       and (tablename like 'voters\\_load\\_%' or tablename like 'voter\\_votes\\_load\\_%' or tablename like 'voter\\_name\\_counts\\_load\\_%'
            or tablename like 'voter\\_zip\\_names\\_load\\_%' or tablename like 'voter\\_elections\\_load\\_%'
            or tablename like 'voter\\_turnout\\_load\\_%')`;

/** The names of one import's tables, built beside the live ones. */
export function loadTables(id: string) {
  return {
    voters: `voters_load_${id}`,
    votes: `voter_votes_load_${id}`,
    counts: `voter_name_counts_load_${id}`,
    zipNames: `voter_zip_names_load_${id}`,
    elections: `voter_elections_load_${id}`,
    turnout: `voter_turnout_load_${id}`,
  };
}
export type LoadTables = ReturnType<typeof loadTables>;

/** `voters`' shape, for the next copy, from the one list of its columns. */
export function createVotersSql(table: string): string {
  return `create table ${table} (${Object.entries(VOTER_COLUMN_TYPES)
    .map(([column, type]) => `${column} ${type}`)
    .join(', ')})`;
}

export function createVotesSql(table: string): string {
  return `create table ${table} (voter_id text not null, election_date date, election text not null, method text, party text, source_line integer not null)`;
}

/** On Postgres: takes the import lock (or fails at once: another import is running) and sets the session's memory. */
export async function prepareImportSession(session: SqlSession): Promise<void> {
  const [lock] = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [IMPORT_LOCK]);
  if (!lock?.locked)
    throw new VoterFileError('another voter import is running on this database; try again when it has finished');
  await session.query(MAINTENANCE_MEMORY);
}

/** Drops what an interrupted import left behind, and fails its `loading` row. */
async function dropLeftovers(session: SqlSession, db: Kysely<VoterDatabase>): Promise<void> {
  const rows = await session.query<{ name: string }>(LEFTOVER_TABLES_SQL);
  for (const { name } of rows) await session.query(`drop table if exists ${name}`);
  await queryCompiled(
    session,
    db
      .updateTable('voter_imports')
      .set({ state: 'failed', error: 'interrupted', finished_at: sql`now()` })
      .where('state', '=', 'loading'),
  );
}

export interface ImportSource {
  source: string;
  historySource: string | null;
  format: string;
  country: string | undefined;
}

/** Stage "stage": clears away leftovers and records the import (`loading`); returns its id. */
export async function startImport(session: SqlSession, db: Kysely<VoterDatabase>, file: ImportSource): Promise<string> {
  await dropLeftovers(session, db);
  const [created] = await queryCompiled(
    session,
    db
      .insertInto('voter_imports')
      .values({
        source: file.source,
        history_source: file.historySource,
        format: file.format,
        country: file.country ?? DEFAULT_VOTER_FILE_COUNTRY,
      })
      .returning(sql<string>`id::text`.as('id')),
  );
  return created!.id;
}

/** After a failure: drops the import's half-built tables and records why it failed (each best effort). */
export async function abandonImport(
  session: SqlSession,
  db: Kysely<VoterDatabase>,
  id: string,
  err: unknown,
): Promise<void> {
  const tables = loadTables(id);
  await session
    .query(
      `drop table if exists ${tables.voters}, ${tables.votes}, ${tables.counts}, ${tables.zipNames}, ${tables.elections}, ${tables.turnout}`,
    )
    .catch(() => undefined);
  await queryCompiled(
    session,
    db
      .updateTable('voter_imports')
      .set({ state: 'failed', error: (err as Error).message.slice(0, 1000), finished_at: sql`now()` })
      .where('id', '=', id),
  ).catch(() => undefined);
}
