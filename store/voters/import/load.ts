import type { DelimitedRecord } from '../delimited-records.js';
import type { SqlSession } from '../sql-session.js';
import { VoterFileError, type VoterFileMapping } from '../voter-file-format.js';
import { copyLine, type RowReject } from '../voter-row.js';

/*
 * What both load stages (the voters, the history) share: records turned into rows, rows into COPY text, and a
 * table created and loaded in one transaction.
 */

/** Characters per COPY write: big enough to keep the socket busy, small enough to keep memory flat. */
const COPY_CHUNK_CHARS = 64 * 1024;
const PROGRESS_EVERY = 50_000;

/** Rows read and rows rejected so far. */
export interface LoadStats {
  rows: number;
  rejected: number;
}

/** Told about a row that is not loaded: its line (1 = the header) and why. */
export type RejectRow = (line: number, reason: string) => Promise<void>;

/** A file to load: its text (decoded, with LF line ends), how it reads, and where its rejects and progress go. */
export interface FileInput {
  /** The voter file's format (named in errors) and mapping (`mapping.history` for a history file). */
  format: string;
  mapping: VoterFileMapping;
  text: AsyncIterable<string>;
  reject: RejectRow;
  progress: (rows: number) => void;
  /** Rows per INSERT without COPY. */
  batchSize: number;
}

/** What a load stage reports: rows read and rejected, and the columns the mapping names that the header lacks. */
export interface Loaded {
  stats: LoadStats;
  missingColumns: string[];
}

const isReject = (row: object): row is RowReject => 'reason' in row;

/**
 * Turns batches of records into batches of rows, sending unreadable and invalid ones to `reject`; the first record
 * is the header.
 */
export async function* rowsOf<R>(
  batches: AsyncIterable<DelimitedRecord[]>,
  onHeader: (header: string[]) => (values: string[], line: number) => R | RowReject,
  reject: RejectRow,
  stats: LoadStats,
  progress: (rows: number) => void,
): AsyncGenerator<R[]> {
  let convert: ((values: string[], line: number) => R | RowReject) | undefined;
  let nextProgress = PROGRESS_EVERY;
  for await (const records of batches) {
    const rows: R[] = [];
    for (const record of records) {
      if (convert === undefined) {
        if ('reason' in record)
          throw new VoterFileError(`line ${record.line}: the header cannot be read (${record.reason})`);
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
async function* copyChunks<T extends object>(
  batches: AsyncIterable<T[]>,
  columns: ReadonlyArray<keyof T>,
): AsyncGenerator<Buffer> {
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

/** Rows to load (inserted `batchSize` at a time without COPY), or COPY text made elsewhere (Postgres only). */
export type LoadSource<T> = { rows: AsyncIterable<T[]>; batchSize: number } | { copyText: AsyncIterable<Buffer> };

/** Without COPY (PGlite): INSERTs of `batchSize` rows from one JSON parameter each. */
async function insertInBatches<T>(
  session: SqlSession,
  table: string,
  list: string,
  source: { rows: AsyncIterable<T[]>; batchSize: number },
): Promise<void> {
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
}

/**
 * Creates `table` and loads rows into it, in one transaction. On Postgres with COPY FREEZE: the rows are written
 * frozen and all-visible, so the index builds and the first lookups do not rewrite every page to set hint bits, and
 * index-only scans work at once. Without COPY (PGlite): INSERTs of `batchSize` rows from one JSON parameter each.
 */
export async function loadTable<T extends object>(
  session: SqlSession,
  create: string,
  table: string,
  columns: ReadonlyArray<keyof T & string>,
  source: LoadSource<T>,
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
    await insertInBatches(session, table, list, source);
  });
}
