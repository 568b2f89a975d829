import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { delimitedRecords, type DelimitedRecord } from './delimited-records.js';
import { openKyselySession, openPostgresSession, type SqlSession } from './sql-session.js';
import { resolveHeader, VoterFileError, type HistoryMapping, type VoterFileMapping } from './voter-file-format.js';
import {
  copyLine,
  VOTE_COLUMNS,
  voteRowFromRecord,
  VOTER_COLUMNS,
  voterRowFromRecord,
  type HistoryField,
  type RowReject,
  type VoteRow,
  type VoterField,
  type VoterRow,
} from './voter-row.js';

/** A row that was not loaded: which file, its line (1 = the header), and why. */
export interface VoterFileReject {
  file: 'voters' | 'history';
  line: number;
  reason: string;
}

export interface ImportVoterFileOptions {
  db: Kysely<Database>;
  /**
   * The database's postgres:// URL. With it, rows are streamed with COPY over connections of their own and the
   * indexes are built two at a time; without it (embedded PGlite), rows go in with batched INSERTs.
   */
  postgresUrl?: string | undefined;
  /** What the file is called, for `voter_imports`. */
  source: string;
  format: string;
  mapping: VoterFileMapping;
  /** The voter file's text, decoded (UTF-8 or Latin-1), with LF line ends. */
  text: AsyncIterable<string>;
  /** A history file (one row per vote; ncvhis) read with `mapping.history`. Without one, the current votes stay. */
  history?: { source: string; text: AsyncIterable<string> } | undefined;
  /** Told about every row that is not loaded, in file order (duplicates of a voter id come after the load). */
  onReject?: (reject: VoterFileReject) => Promise<void> | void;
  onProgress?: (progress: { file: 'voters' | 'history'; rows: number }) => void;
  /** Rows per INSERT without COPY. */
  batchSize?: number;
}

export interface ImportVoterFileResult {
  importId: string;
  /** Data rows read from the voter file (not counting the header or blank lines). */
  rows: number;
  /** Voters now live: rows minus rejects and duplicates. */
  voters: number;
  rejected: number;
  duplicates: number;
  /** Votes loaded from the history file, and history rows rejected; null without `--history`. */
  historyRows: number | null;
  historyRejected: number;
  /** Columns the mapping names that the header does not have (their fields stay empty). */
  missingColumns: string[];
  /** Milliseconds spent loading rows, building indexes and counts, and swapping. */
  timings: { loadMs: number; indexMs: number; swapMs: number; totalMs: number };
}

/** One key for every voter import: a second one waits for nothing, it fails at once. */
const IMPORT_LOCK = 72_110_533;
/** Rows per COPY write: big enough to keep the socket busy, small enough to keep memory flat. */
const COPY_CHUNK_ROWS = 500;
const DEFAULT_BATCH_ROWS = 2_000;
const PROGRESS_EVERY = 50_000;

const isReject = (row: object): row is RowReject => 'reason' in row;

/** The names of one import's tables, built beside the live ones. */
function loadTables(id: string) {
  return {
    voters: `voters_load_${id}`,
    votes: `voter_votes_load_${id}`,
    counts: `voter_name_counts_load_${id}`,
  };
}

/** `voters`' shape, for the next copy. Kept here (not in the migration) so an import always builds the current shape. */
function createVotersSql(table: string): string {
  return `create table ${table} (
    voter_id text not null, source_line integer not null, first_name text not null, middle_name text, last_name text not null,
    name_suffix text, first_norm text not null, middle_norm text not null, last_norm text not null, last_phonetic text not null,
    birth_year smallint, house_number text, street_core text, res_address text, city text, city_norm text, state text, zip5 text,
    county text, status text, party text, precinct text, registration_date date, districts jsonb not null default '{}'
  )`;
}

function createVotesSql(table: string): string {
  return `create table ${table} (voter_id text not null, election_date date, election text not null, method text, party text, source_line integer not null)`;
}

/** Turns records into rows, sending unreadable and invalid ones to `reject`; the first record is the header. */
async function* rowsOf<R>(
  records: AsyncIterable<DelimitedRecord>,
  onHeader: (header: string[]) => (values: string[], line: number) => R | RowReject,
  reject: (line: number, reason: string) => Promise<void>,
  stats: { rows: number; rejected: number },
  progress: (rows: number) => void,
): AsyncGenerator<R> {
  let convert: ((values: string[], line: number) => R | RowReject) | undefined;
  for await (const record of records) {
    if (convert === undefined) {
      if ('reason' in record) throw new VoterFileError(`line ${record.line}: the header cannot be read (${record.reason})`);
      convert = onHeader(record.values);
      continue;
    }
    stats.rows++;
    if (stats.rows % PROGRESS_EVERY === 0) progress(stats.rows);
    if ('reason' in record) {
      stats.rejected++;
      await reject(record.line, record.reason);
      continue;
    }
    const row = convert(record.values, record.line);
    if (isReject(row as object)) {
      stats.rejected++;
      await reject(record.line, (row as RowReject).reason);
      continue;
    }
    yield row as R;
  }
  if (convert === undefined) throw new VoterFileError('the file is empty (no header row)');
}

/** COPY text for rows, a few hundred lines per chunk. */
async function* copyChunks<T extends object>(rows: AsyncIterable<T>, columns: ReadonlyArray<keyof T>): AsyncGenerator<string> {
  let chunk = '';
  let count = 0;
  for await (const row of rows) {
    chunk += copyLine(row, columns);
    if (++count === COPY_CHUNK_ROWS) {
      yield chunk;
      chunk = '';
      count = 0;
    }
  }
  if (chunk !== '') yield chunk;
}

/** Loads rows into `table`: COPY when the session has it, else INSERTs of `batchSize` rows from one JSON parameter. */
async function loadRows<T extends object>(session: SqlSession, table: string, columns: ReadonlyArray<keyof T & string>, rows: AsyncIterable<T>, batchSize: number): Promise<void> {
  const list = columns.join(', ');
  if (session.copy) {
    await session.copy(`COPY ${table} (${list}) FROM STDIN`, copyChunks(rows, columns));
    return;
  }
  const insert = `insert into ${table} (${list}) select ${list} from json_populate_recordset(null::${table}, $1::json)`;
  let batch: T[] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length === batchSize) {
      await session.query(insert, [JSON.stringify(batch)]);
      batch = [];
    }
  }
  if (batch.length) await session.query(insert, [JSON.stringify(batch)]);
}

/** Runs statements on the sessions, each session taking the next statement when it is free. */
async function runOnSessions(sessions: SqlSession[], statements: string[]): Promise<void> {
  const queue = [...statements];
  await Promise.all(
    sessions.map(async (session) => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await session.query(next);
    }),
  );
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * Loads a voter file as the next copy of `voters` and swaps it in: rows stream from the file into a table of
 * their own (COPY on Postgres), a bad row goes to `onReject` with its line and never stops the load, then the
 * primary key, the blocking indexes (btree) and the name counts (with a trigram index over family names) are
 * built, and one transaction renames the new tables over the live ones. Lookups therefore see the old file or the
 * new one, never half of one; on any failure the live file is untouched and the half-built tables are dropped.
 * Memory stays flat whatever the file's size. Only one import runs at a time.
 */
export async function importVoterFile(options: ImportVoterFileOptions): Promise<ImportVoterFileResult> {
  const started = Date.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const session = options.postgresUrl ? await openPostgresSession(options.postgresUrl) : await openKyselySession(options.db as Kysely<unknown>);
  const helpers: SqlSession[] = [];
  let importId: string | undefined;
  try {
    if (options.postgresUrl) {
      const [lock] = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [IMPORT_LOCK]);
      if (!lock?.locked) throw new VoterFileError('another voter import is running on this database; try again when it has finished');
      await session.query(`set maintenance_work_mem = '256MB'`);
    }
    await dropLeftovers(session);
    const [created] = await session.query<{ id: string }>(
      `insert into voter_imports (source, history_source, format) values ($1, $2, $3) returning id::text as id`,
      [options.source, options.history?.source ?? null, options.format],
    );
    importId = created!.id;
    const tables = loadTables(importId);
    const mapping = options.mapping;
    const reject = (file: VoterFileReject['file']) => async (line: number, reason: string) => {
      await options.onReject?.({ file, line, reason });
    };

    // 1. The voters.
    let missingColumns: string[] = [];
    const stats = { rows: 0, rejected: 0 };
    await session.query(createVotersSql(tables.voters));
    const districtEntries = Object.entries(mapping.districts);
    const voterRows = rowsOf<VoterRow>(
      delimitedRecords(options.text, mapping.delimiter),
      (header) => {
        const resolved = resolveHeader<VoterField>(header, mapping.columns, ['voterId', 'lastName']);
        const districts = resolveHeader<string>(header, Object.fromEntries(districtEntries), []);
        missingColumns = [...resolved.missing, ...districts.missing];
        const districtIndex = districtEntries.flatMap(([key]) => (districts.index[key] === undefined ? [] : [[key, districts.index[key]] as [string, number]]));
        return (values, line) => voterRowFromRecord(values, line, resolved, mapping, districtIndex);
      },
      reject('voters'),
      stats,
      (rows) => options.onProgress?.({ file: 'voters', rows }),
    );
    await loadRows(session, tables.voters, VOTER_COLUMNS, voterRows, batchSize);
    options.onProgress?.({ file: 'voters', rows: stats.rows });

    // 2. The history, when given.
    let historyRows: number | null = null;
    const historyStats = { rows: 0, rejected: 0 };
    if (options.history) {
      const historyMapping: HistoryMapping | undefined = mapping.history;
      if (!historyMapping) throw new VoterFileError(`format ${options.format} has no history layout; add "history" to the mapping`);
      await session.query(createVotesSql(tables.votes));
      const voteRows = rowsOf<VoteRow>(
        delimitedRecords(options.history.text, historyMapping.delimiter),
        (header) => {
          const resolved = resolveHeader<HistoryField>(header, historyMapping.columns, ['voterId', 'election']);
          missingColumns = [...missingColumns, ...resolved.missing];
          return (values, line) => voteRowFromRecord(values, line, resolved, historyMapping);
        },
        reject('history'),
        historyStats,
        (rows) => options.onProgress?.({ file: 'history', rows }),
      );
      await loadRows(session, tables.votes, VOTE_COLUMNS, voteRows, batchSize);
      historyRows = historyStats.rows - historyStats.rejected;
    }
    const loaded = Date.now();

    // 3. The primary key; a voter id seen twice keeps its first row, and the others are rejected.
    const duplicates = await addPrimaryKey(session, tables.voters, importId, reject('voters'));

    // 4. Blocking indexes, name counts, trigram index; two at a time on Postgres.
    if (options.postgresUrl) {
      const helper = await openPostgresSession(options.postgresUrl);
      helpers.push(helper);
      await helper.query(`set maintenance_work_mem = '256MB'`);
    }
    await runOnSessions(
      [session, ...helpers],
      [
        `create index voters_${importId}_zip_block on ${tables.voters} (zip5, last_phonetic, last_norm)`,
        `create index voters_${importId}_city_block on ${tables.voters} (city_norm, last_phonetic, last_norm)`,
        `create index voters_${importId}_person_block on ${tables.voters} (last_phonetic, birth_year, first_norm)`,
        `create table ${tables.counts} as
           select 'first'::text as kind, first_norm as name, count(*)::int as n from ${tables.voters} where first_norm <> '' group by first_norm
           union all select 'last', last_norm, count(*)::int from ${tables.voters} group by last_norm
           union all select 'zip', zip5, count(*)::int from ${tables.voters} where zip5 is not null group by zip5
           union all select 'city', city_norm, count(*)::int from ${tables.voters} where city_norm is not null group by city_norm`,
        ...(options.history ? [`create index voter_votes_${importId}_voter on ${tables.votes} (voter_id, election_date)`] : []),
      ],
    );
    await runOnSessions(
      [session, ...helpers],
      [
        `alter table ${tables.counts} add constraint voter_name_counts_${importId}_pkey primary key (kind, name)`,
        `create index voter_name_counts_${importId}_trgm on ${tables.counts} using gin (name gin_trgm_ops) where kind = 'last'`,
        `analyze ${tables.voters}`,
        ...(options.history ? [`analyze ${tables.votes}`] : []),
      ],
    );
    await session.query(`analyze ${tables.counts}`);
    const indexed = Date.now();

    // 5. The swap: rename in one transaction, so a lookup sees the old file or the new one, never half of one.
    const voters = stats.rows - stats.rejected - duplicates;
    await session.transaction(async () => {
      const swapped: Array<[string, string]> = [
        ['voters', tables.voters],
        ['voter_name_counts', tables.counts],
        ...(options.history ? [['voter_votes', tables.votes] as [string, string]] : []),
      ];
      await session.query(`lock table ${swapped.map(([live]) => live).join(', ')} in access exclusive mode`);
      for (const [live, next] of swapped) {
        await session.query(`alter table ${live} rename to ${live}_old_${importId}`);
        await session.query(`alter table ${next} rename to ${live}`);
        await session.query(`drop table ${live}_old_${importId}`);
      }
      await session.query(`update voter_imports set state = 'replaced' where state = 'active'`);
      await session.query(
        `update voter_imports set state = 'active', rows = $2, rejected = $3, voters = $4, history_rows = $5, finished_at = now() where id = $1`,
        [importId, stats.rows, stats.rejected + duplicates + historyStats.rejected, voters, historyRows],
      );
    });
    const swappedAt = Date.now();
    return {
      importId,
      rows: stats.rows,
      voters,
      rejected: stats.rejected + duplicates,
      duplicates,
      historyRows,
      historyRejected: historyStats.rejected,
      missingColumns,
      timings: { loadMs: loaded - started, indexMs: indexed - loaded, swapMs: swappedAt - indexed, totalMs: swappedAt - started },
    };
  } catch (err) {
    if (importId !== undefined) {
      await dropLoadTables(session, importId).catch(() => undefined);
      await session
        .query(`update voter_imports set state = 'failed', error = $2, finished_at = now() where id = $1`, [importId, (err as Error).message.slice(0, 1000)])
        .catch(() => undefined);
    }
    throw err;
  } finally {
    for (const helper of helpers) await helper.close().catch(() => undefined);
    await session.close();
  }
}

async function dropLoadTables(session: SqlSession, id: string): Promise<void> {
  const tables = loadTables(id);
  await session.query(`drop table if exists ${tables.voters}, ${tables.votes}, ${tables.counts}`);
}

/** Tables an interrupted import left behind (a killed process, a lost connection), and its `loading` row. */
async function dropLeftovers(session: SqlSession): Promise<void> {
  const rows = await session.query<{ name: string }>(
    `select tablename as name from pg_tables where schemaname = current_schema()
       and (tablename like 'voters\\_load\\_%' or tablename like 'voter\\_votes\\_load\\_%' or tablename like 'voter\\_name\\_counts\\_load\\_%')`,
  );
  for (const { name } of rows) await session.query(`drop table if exists ${name}`);
  await session.query(`update voter_imports set state = 'failed', error = 'interrupted', finished_at = now() where state = 'loading'`);
}

/**
 * Adds the primary key on `voter_id`. Voter ids are unique in a well-formed file, so the first try normally
 * succeeds; when it does not, every repeat of an id after its first row is deleted and rejected, and it tries again.
 */
async function addPrimaryKey(session: SqlSession, table: string, id: string, reject: (line: number, reason: string) => Promise<void>): Promise<number> {
  const add = `alter table ${table} add constraint voters_${id}_pkey primary key (voter_id)`;
  try {
    await session.query(add);
    return 0;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const removed = await session.query<{ line: number; voter_id: string; first_line: number }>(
    `with ranked as (
       select ctid as row_id, source_line, min(source_line) over (partition by voter_id) as first_line,
              row_number() over (partition by voter_id order by source_line) as nth
         from ${table})
     delete from ${table} t using ranked r where t.ctid = r.row_id and r.nth > 1
     returning t.source_line as line, t.voter_id, r.first_line`,
  );
  removed.sort((a, b) => a.line - b.line);
  for (const row of removed) await reject(row.line, `voter id ${row.voter_id} again (first on line ${row.first_line}); the first row is kept`);
  await session.query(add);
  return removed.length;
}
