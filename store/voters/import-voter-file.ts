import type { Kysely } from 'kysely';
import type { Database } from '../database.js';
import { loadHistory } from './import/history.js';
import { buildIndexes } from './import/indexes.js';
import type { FileInput } from './import/load.js';
import { abandonImport, loadTables, MAINTENANCE_MEMORY, prepareImportSession, startImport } from './import/stage.js';
import { swapIn } from './import/swap.js';
import { loadVoters } from './import/voters.js';
import { openKyselySession, openPostgresSession, type SqlSession } from './sql-session.js';
import type { VoterFileMapping } from './voter-file-format.js';
import { withVoterTables } from './voter-tables.js';

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

const DEFAULT_BATCH_ROWS = 2_000;

/** A second connection for the index phase, with the same memory settings. */
async function openHelperSession(postgresUrl: string, helpers: SqlSession[]): Promise<void> {
  const helper = await openPostgresSession(postgresUrl);
  helpers.push(helper);
  await helper.query(MAINTENANCE_MEMORY);
}

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
 *
 * The stages, each in store/voters/import/ with its SQL: stage (lock, leftovers, the import's row), load (the
 * voters), history, index and swap.
 */
export async function importVoterFile(options: ImportVoterFileOptions): Promise<ImportVoterFileResult> {
  const started = Date.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_ROWS;
  const db = withVoterTables(options.db);
  const session = options.postgresUrl
    ? await openPostgresSession(options.postgresUrl)
    : await openKyselySession(options.db as Kysely<unknown>);
  const helpers: SqlSession[] = [];
  let importId: string | undefined;
  const { source, format, mapping } = options;
  /** How the voter file (or the history file) is read, and where its rejects and progress go. */
  const fileInput = (file: VoterFileReject['file'], text: AsyncIterable<string>): FileInput => ({
    format,
    mapping,
    text,
    reject: async (line, reason) => {
      await options.onReject?.({ file, line, reason });
    },
    progress: (rows) => options.onProgress?.({ file, rows }),
    batchSize,
  });
  try {
    if (options.postgresUrl) await prepareImportSession(session);
    const id = (importId = await startImport(session, db, {
      source,
      historySource: options.history?.source ?? null,
      format,
      country: mapping.country,
    }));
    const tables = loadTables(id);
    const voterFile = fileInput('voters', options.text);
    const voters = await loadVoters(session, tables.voters, voterFile);
    options.onProgress?.({ file: 'voters', rows: voters.stats.rows });
    const history = options.history
      ? await loadHistory(session, tables.votes, fileInput('history', options.history.text))
      : undefined;
    const loaded = Date.now();

    if (options.postgresUrl) await openHelperSession(options.postgresUrl, helpers);
    const indexInput = {
      id,
      tables,
      rows: voters.stats.rows,
      withHistory: Boolean(options.history),
      reject: voterFile.reject,
    };
    const { steps, duplicates } = await buildIndexes([session, ...helpers], indexInput);
    const indexed = Date.now();

    const { rows, rejected } = voters.stats;
    const historyRows = history ? history.stats.rows - history.stats.rejected : null;
    const historyRejected = history?.stats.rejected ?? 0;
    const live = rows - rejected - duplicates;
    const counts = { rows, rejected: rejected + duplicates + historyRejected, voters: live, historyRows };
    await swapIn(session, db, id, tables, indexInput.withHistory, counts);
    const swappedAt = Date.now();
    return {
      importId: id,
      rows,
      voters: live,
      rejected: rejected + duplicates,
      duplicates,
      historyRows,
      historyRejected,
      missingColumns: [...voters.missingColumns, ...(history?.missingColumns ?? [])],
      timings: {
        loadMs: loaded - started,
        indexMs: indexed - loaded,
        swapMs: swappedAt - indexed,
        totalMs: swappedAt - started,
        steps,
      },
    };
  } catch (err) {
    if (importId !== undefined) await abandonImport(session, db, importId, err);
    throw err;
  } finally {
    for (const helper of helpers) await helper.close().catch(() => undefined);
    await session.close();
  }
}
