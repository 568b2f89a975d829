import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { delimitedRecords, type DelimitedRecord } from './delimited-records.js';
import { voterCopyInWorkers } from './parallel-voter-copy.js';
import { openKyselySession, openPostgresSession, type SqlSession } from './sql-session.js';
import { readerOf } from './voter-copy-block.js';
import { DEFAULT_VOTER_FILE_COUNTRY, resolveHeader, voterReaderSetup, VoterFileError, type HistoryMapping, type VoterFileMapping } from './voter-file-format.js';
import { copyLine, VOTE_COLUMNS, voteRowFromRecord, type HistoryField, type RowReject, type VoteRow } from './voter-row.js';
import { VOTER_COLUMN_TYPES, VOTER_COLUMNS, ZIP_NAME_PARTITIONS, type VoterRow } from './voter-tables.js';

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
  /**
   * Milliseconds spent loading rows, building indexes and counts, and swapping; `steps` has each index-phase
   * statement's own time (they run two at a time on Postgres, so they add up to more than `indexMs`).
   */
  timings: { loadMs: number; indexMs: number; swapMs: number; totalMs: number; steps: Record<string, number> };
}

/** One key for every voter import: a second one waits for nothing, it fails at once. */
const IMPORT_LOCK = 72_110_533;
/** Characters per COPY write: big enough to keep the socket busy, small enough to keep memory flat. */
const COPY_CHUNK_CHARS = 64 * 1024;
const DEFAULT_BATCH_ROWS = 2_000;
/** The columns the ZIP blocking index carries besides its key: the voter id and the other match keys. */
const ZIP_BLOCK_INCLUDE = ['voter_id', 'first_norm', 'middle_norm', 'birth_year', 'house_number', 'street_core', 'city_norm'];

/** Memory for each index build and for the name counts' hash aggregate, per session. */
const MAINTENANCE_MEMORY = `set maintenance_work_mem = '256MB'; set work_mem = '128MB'`;
const PROGRESS_EVERY = 50_000;

const isReject = (row: object): row is RowReject => 'reason' in row;

/** The names of one import's tables, built beside the live ones. */
function loadTables(id: string) {
  return {
    voters: `voters_load_${id}`,
    votes: `voter_votes_load_${id}`,
    counts: `voter_name_counts_load_${id}`,
    zipNames: `voter_zip_names_load_${id}`,
  };
}

/** `voters`' shape, for the next copy, from the one list of its columns. */
function createVotersSql(table: string): string {
  return `create table ${table} (${Object.entries(VOTER_COLUMN_TYPES).map(([column, type]) => `${column} ${type}`).join(', ')})`;
}

function createVotesSql(table: string): string {
  return `create table ${table} (voter_id text not null, election_date date, election text not null, method text, party text, source_line integer not null)`;
}

/**
 * Turns batches of records into batches of rows, sending unreadable and invalid ones to `reject`; the first record
 * is the header.
 */
async function* rowsOf<R>(
  batches: AsyncIterable<DelimitedRecord[]>,
  onHeader: (header: string[]) => (values: string[], line: number) => R | RowReject,
  reject: (line: number, reason: string) => Promise<void>,
  stats: { rows: number; rejected: number },
  progress: (rows: number) => void,
): AsyncGenerator<R[]> {
  let convert: ((values: string[], line: number) => R | RowReject) | undefined;
  let nextProgress = PROGRESS_EVERY;
  for await (const records of batches) {
    const rows: R[] = [];
    for (const record of records) {
      if (convert === undefined) {
        if ('reason' in record) throw new VoterFileError(`line ${record.line}: the header cannot be read (${record.reason})`);
        convert = onHeader(record.values);
        continue;
      }
      stats.rows++;
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
      rows.push(row as R);
    }
    if (stats.rows >= nextProgress) {
      progress(stats.rows);
      nextProgress = (Math.floor(stats.rows / PROGRESS_EVERY) + 1) * PROGRESS_EVERY;
    }
    if (rows.length) yield rows;
  }
  if (convert === undefined) throw new VoterFileError('the file is empty (no header row)');
}

/** COPY text for batches of rows, in chunks of about COPY_CHUNK_CHARS. */
async function* copyChunks<T extends object>(batches: AsyncIterable<T[]>, columns: ReadonlyArray<keyof T>): AsyncGenerator<Buffer> {
  let lines: string[] = [];
  let size = 0;
  for await (const rows of batches) {
    for (const row of rows) {
      const line = copyLine(row, columns);
      lines.push(line);
      size += line.length;
    }
    if (size >= COPY_CHUNK_CHARS) {
      yield Buffer.from(lines.join(''));
      lines = [];
      size = 0;
    }
  }
  if (lines.length) yield Buffer.from(lines.join(''));
}

/**
 * Creates `table` and loads rows into it, in one transaction. On Postgres with COPY FREEZE: the rows are written
 * frozen and all-visible, so the index builds and the first lookups do not rewrite every page to set hint bits, and
 * index-only scans work at once. Without COPY (PGlite): INSERTs of `batchSize` rows from one JSON parameter each.
 */
async function loadTable<T extends object>(
  session: SqlSession,
  create: string,
  table: string,
  columns: ReadonlyArray<keyof T & string>,
  source: { rows: AsyncIterable<T[]>; batchSize: number } | { copyText: AsyncIterable<Buffer> },
): Promise<void> {
  const list = columns.join(', ');
  await session.transaction(async () => {
    await session.query(create);
    if (session.copy) {
      const text = 'copyText' in source ? source.copyText : copyChunks(source.rows, columns);
      await session.copy(`COPY ${table} (${list}) FROM STDIN WITH (FREEZE)`, text);
      return;
    }
    if ('copyText' in source) throw new Error('COPY text needs a Postgres session');
    const insert = `insert into ${table} (${list}) select ${list} from json_populate_recordset(null::${table}, $1::json)`;
    let batch: T[] = [];
    for await (const rows of source.rows) {
      for (const row of rows) {
        batch.push(row);
        if (batch.length === source.batchSize) {
          await session.query(insert, [JSON.stringify(batch)]);
          batch = [];
        }
      }
    }
    if (batch.length) await session.query(insert, [JSON.stringify(batch)]);
  });
}

/** One step of the index phase: a name for the timings, the work, and the steps that must be done before it. */
interface IndexStep {
  name: string;
  run: (session: SqlSession) => Promise<unknown>;
  after?: string[];
}

/** A step that is one statement. */
const statement = (name: string, sql: string, after?: string[]): IndexStep => ({ name, run: (session) => session.query(sql), after });

/**
 * Runs the steps on the sessions, each session taking the next step whose prerequisites are done; returns each
 * step's time. A failed step stops the others from starting more, and fails the whole once they have stopped.
 */
async function runOnSessions(sessions: SqlSession[], steps: IndexStep[]): Promise<Record<string, number>> {
  const pending = [...steps];
  const done = new Set<string>();
  const timings: Record<string, number> = {};
  let failed = false;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const signal = () => {
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };
  const outcomes = await Promise.allSettled(
    sessions.map(async (session) => {
      while (pending.length && !failed) {
        const index = pending.findIndex((step) => (step.after ?? []).every((name) => done.has(name)));
        if (index === -1) {
          await changed;
          continue;
        }
        const [step] = pending.splice(index, 1);
        const started = Date.now();
        try {
          await step!.run(session);
        } catch (err) {
          failed = true;
          signal();
          throw err;
        }
        timings[step!.name] = Date.now() - started;
        done.add(step!.name);
        signal();
      }
    }),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return timings;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * Loads a voter file as the next copy of `voters` and swaps it in: rows stream from the file into a table of
 * their own (COPY … FREEZE on Postgres, in the transaction that creates the table, so no page is rewritten later to
 * set hint bits), a bad row goes to `onReject` with its line and never stops the load, then the primary key, the
 * blocking indexes (btree), the name counts (one pass, with a trigram index over family names), each ZIP's family
 * names (partitioned, with trigram indexes) and the planner's statistics are built — after the load, two at a time
 * on Postgres, each step as soon as what it reads is ready —, and one transaction renames the new tables over the
 * live ones. Lookups therefore see the old file or the new one, never half of one; on any failure the live file is
 * untouched and the half-built tables are dropped. Memory stays flat whatever the file's size (rows are read and
 * written a chunk at a time). Only one import runs at a time.
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
      await session.query(MAINTENANCE_MEMORY);
    }
    await dropLeftovers(session);
    const [created] = await session.query<{ id: string }>(
      `insert into voter_imports (source, history_source, format, country) values ($1, $2, $3, $4) returning id::text as id`,
      [options.source, options.history?.source ?? null, options.format, options.mapping.country ?? DEFAULT_VOTER_FILE_COUNTRY],
    );
    importId = created!.id;
    const id = importId;
    const tables = loadTables(id);
    const mapping = options.mapping;
    const reject = (file: VoterFileReject['file']) => async (line: number, reason: string) => {
      await options.onReject?.({ file, line, reason });
    };

    // 1. The voters: a tab-separated file on Postgres is read by worker threads into COPY text; any other file, or
    // PGlite, row by row on this thread.
    let missingColumns: string[] = [];
    const stats = { rows: 0, rejected: 0 };
    const setupOf = (header: string[]) => {
      const { setup, missing } = voterReaderSetup(header, mapping);
      missingColumns = missing;
      return setup;
    };
    const progress = (rows: number) => options.onProgress?.({ file: 'voters', rows });
    const createVoters = createVotersSql(tables.voters);
    if (session.copy && mapping.delimiter === '\t') {
      const copyText = voterCopyInWorkers({ text: options.text, onHeader: setupOf, reject: reject('voters'), stats, progress });
      await loadTable(session, createVoters, tables.voters, VOTER_COLUMNS, { copyText });
    } else {
      const voterRows = rowsOf<VoterRow>(delimitedRecords(options.text, mapping.delimiter), (header) => readerOf(setupOf(header)), reject('voters'), stats, progress);
      await loadTable(session, createVoters, tables.voters, VOTER_COLUMNS, { rows: voterRows, batchSize });
    }
    options.onProgress?.({ file: 'voters', rows: stats.rows });

    // 2. The history, when given.
    let historyRows: number | null = null;
    const historyStats = { rows: 0, rejected: 0 };
    if (options.history) {
      const historyMapping: HistoryMapping | undefined = mapping.history;
      if (!historyMapping) throw new VoterFileError(`format ${options.format} has no history layout; add "history" to the mapping`);
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
      await loadTable(session, createVotesSql(tables.votes), tables.votes, VOTE_COLUMNS, { rows: voteRows, batchSize });
      historyRows = historyStats.rows - historyStats.rejected;
    }
    const loaded = Date.now();

    // 3. Indexes, name counts and statistics, two at a time on Postgres (a second connection). The voter id's
    // unique index comes first: a voter id seen twice keeps its first row, and the others are rejected, before
    // anything is counted. It becomes the primary key at the swap (a unique index builds beside the others; adding
    // the constraint directly would lock them out).
    if (options.postgresUrl) {
      const helper = await openPostgresSession(options.postgresUrl);
      helpers.push(helper);
      await helper.query(MAINTENANCE_MEMORY);
    }
    let duplicates = 0;
    const steps = await runOnSessions(
      [session, ...helpers],
      [
        {
          name: 'voter id',
          run: async (on) => (duplicates = await addVoterIdIndex(on, tables.voters, id, reject('voters'))),
        },
        // The ZIP block carries every other column a candidate is scored on, so the block is read from the index
        // alone (the rows are all-visible from the load): most candidates of a lookup or a rematch come through it.
        statement('zip block', `create index voters_${id}_zip_block on ${tables.voters} (zip5, last_phonetic, last_norm) include (${ZIP_BLOCK_INCLUDE.join(', ')})`),
        statement('name counts', createCountsSql(tables.counts, tables.voters), ['voter id']),
        statement('locality block', `create index voters_${id}_city_block on ${tables.voters} (city_norm, last_phonetic, last_norm)`),
        statement('person block', `create index voters_${id}_person_block on ${tables.voters} (last_phonetic, birth_year, first_norm)`),
        statement('name counts key', `alter table ${tables.counts} add constraint voter_name_counts_${id}_pkey primary key (kind, name)`, ['name counts']),
        statement('family name trigrams', `create index voter_name_counts_${id}_trgm on ${tables.counts} using gin (name gin_trgm_ops) where kind = 'last'`, ['name counts']),
        {
          name: 'zip names',
          run: async (on) => {
            for (const create of createZipNamesSql(tables.zipNames, id, zipNamePartitions(stats.rows))) await on.query(create);
            await on.query(`insert into ${tables.zipNames} (zip5, name, phonetic)
              select distinct zip5, last_norm, last_phonetic from ${tables.voters} where zip5 is not null`);
          },
          after: ['voter id'],
        },
        statement('zip name trigrams', `create index voter_zip_names_${id}_trgm on ${tables.zipNames} using gin (name gin_trgm_ops)`, ['zip names']),
        statement('analyze voters', `analyze ${tables.voters} (${ANALYZED_COLUMNS.join(', ')})`, ['voter id']),
        statement('analyze name counts', `analyze ${tables.counts}`, ['name counts key', 'family name trigrams']),
        ...(options.history
          ? [
              statement('votes index', `create index voter_votes_${id}_voter on ${tables.votes} (voter_id, election_date)`),
              statement('analyze votes', `analyze ${tables.votes}`, ['votes index']),
            ]
          : []),
      ],
    );
    const indexed = Date.now();

    // 4. The swap: rename in one transaction, so a lookup sees the old file or the new one, never half of one.
    const voters = stats.rows - stats.rejected - duplicates;
    await session.transaction(async () => {
      const swapped: Array<[string, string]> = [
        ['voters', tables.voters],
        ['voter_name_counts', tables.counts],
        ['voter_zip_names', tables.zipNames],
        ...(options.history ? [['voter_votes', tables.votes] as [string, string]] : []),
      ];
      await session.query(`alter table ${tables.voters} add constraint voters_${id}_pkey primary key using index voters_${id}_pkey`);
      await session.query(`lock table ${swapped.map(([live]) => live).join(', ')} in access exclusive mode`);
      for (const [live, next] of swapped) {
        await session.query(`alter table ${live} rename to ${live}_old_${id}`);
        await session.query(`alter table ${next} rename to ${live}`);
        await session.query(`drop table ${live}_old_${id}`);
      }
      await session.query(`update voter_imports set state = 'replaced' where state = 'active'`);
      await session.query(
        `update voter_imports set state = 'active', rows = $2, rejected = $3, voters = $4, history_rows = $5, finished_at = now() where id = $1`,
        [id, stats.rows, stats.rejected + duplicates + historyStats.rejected, voters, historyRows],
      );
    });
    const swappedAt = Date.now();
    return {
      importId: id,
      rows: stats.rows,
      voters,
      rejected: stats.rejected + duplicates,
      duplicates,
      historyRows,
      historyRejected: historyStats.rejected,
      missingColumns,
      timings: { loadMs: loaded - started, indexMs: indexed - loaded, swapMs: swappedAt - indexed, totalMs: swappedAt - started, steps },
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

/**
 * The columns queries filter and join `voters` by: the only ones whose statistics the planner needs, so the only
 * ones ANALYZE samples after an import (autovacuum fills in the rest later).
 */
const ANALYZED_COLUMNS = ['voter_id', 'zip5', 'city_norm', 'last_phonetic', 'last_norm', 'birth_year', 'first_norm'];

/**
 * How many partitions `voter_zip_names` gets: about one per 4,000 voters (some 1,300 names each, a few ZIPs), at
 * most ZIP_NAME_PARTITIONS. A trigram search reads every posting list of its partition's index, so it costs in
 * proportion to the partition: at a million voters, 250 partitions make the rematch's trigram stage a third faster
 * than 50. Fewer, larger partitions for a small file: the planner reads a partition of a few hundred names
 * sequentially (a trigram comparison per name, ten times the cost of the index) rather than through its index.
 */
const zipNamePartitions = (rows: number) => Math.max(1, Math.min(ZIP_NAME_PARTITIONS, Math.round(rows / 4_000)));

/**
 * `voter_zip_names`' next copy: partitioned by a hash of the ZIP, its partitions named after the import (they keep
 * their names when the table is renamed at the swap, and go with it when it is dropped).
 */
function createZipNamesSql(table: string, id: string, partitions: number): string[] {
  return [
    `create table ${table} (zip5 text collate "C" not null, name text collate "C" not null, phonetic text collate "C" not null) partition by hash (zip5)`,
    ...Array.from(
      { length: partitions },
      (_, i) => `create table voter_zip_names_${id}_p${i} partition of ${table} for values with (modulus ${partitions}, remainder ${i})`,
    ),
  ];
}

/**
 * The name counts, in one pass over the voters (grouping sets): how many voters have each first name, family name
 * (with its phonetic code), ZIP and locality.
 */
function createCountsSql(counts: string, voters: string): string {
  return `create table ${counts} as
    select kind, name, n, phonetic from (
      select case when grouping(first_norm) = 0 then 'first' when grouping(last_norm) = 0 then 'last'
                  when grouping(zip5) = 0 then 'zip' else 'city' end as kind,
             coalesce(first_norm, last_norm, zip5, city_norm) as name, count(*)::int as n,
             case when grouping(last_norm) = 0 then last_phonetic end as phonetic
        from ${voters}
       group by grouping sets ((first_norm), (last_norm, last_phonetic), (zip5), (city_norm))) c
     where name is not null and name <> ''`;
}

async function dropLoadTables(session: SqlSession, id: string): Promise<void> {
  const tables = loadTables(id);
  await session.query(`drop table if exists ${tables.voters}, ${tables.votes}, ${tables.counts}, ${tables.zipNames}`);
}

/** Tables an interrupted import left behind (a killed process, a lost connection), and its `loading` row. */
async function dropLeftovers(session: SqlSession): Promise<void> {
  const rows = await session.query<{ name: string }>(
    `select tablename as name from pg_tables where schemaname = current_schema()
       and (tablename like 'voters\\_load\\_%' or tablename like 'voter\\_votes\\_load\\_%' or tablename like 'voter\\_name\\_counts\\_load\\_%'
            or tablename like 'voter\\_zip\\_names\\_load\\_%')`,
  );
  for (const { name } of rows) await session.query(`drop table if exists ${name}`);
  await session.query(`update voter_imports set state = 'failed', error = 'interrupted', finished_at = now() where state = 'loading'`);
}

/**
 * Builds the unique index on `voter_id` that becomes the primary key. Voter ids are unique in a well-formed file,
 * so the first try normally succeeds; when it does not, every repeat of an id after its first row is deleted and
 * rejected, and it tries again. Returns how many rows were rejected so.
 */
async function addVoterIdIndex(session: SqlSession, table: string, id: string, reject: (line: number, reason: string) => Promise<void>): Promise<number> {
  const add = `create unique index voters_${id}_pkey on ${table} (voter_id)`;
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
