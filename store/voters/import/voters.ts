import { delimitedRecords } from '../delimited-records.js';
import { voterCopyInWorkers } from '../parallel-voter-copy.js';
import type { SqlSession } from '../sql-session.js';
import { readerOf } from '../voter-copy-block.js';
import { voterReaderSetup } from '../voter-file-format.js';
import { VOTER_COLUMNS, type VoterRow } from '../voter-tables.js';
import { loadTable, rowsOf, type FileInput, type Loaded, type LoadStats } from './load.js';
import { createVotersSql } from './stage.js';

/**
 * Stage "load": the voters, into `table`. A tab-separated file on Postgres is read by worker threads into COPY
 * text; any other file, or PGlite, row by row on this thread. Returns the rows read and rejected, and the columns
 * the mapping names that the header does not have.
 */
export async function loadVoters(session: SqlSession, table: string, file: FileInput): Promise<Loaded> {
  let missingColumns: string[] = [];
  const stats: LoadStats = { rows: 0, rejected: 0 };
  const setupOf = (header: string[]) => {
    const { setup, missing } = voterReaderSetup(header, file.mapping);
    missingColumns = missing;
    return setup;
  };
  const { reject, progress } = file;
  const create = createVotersSql(table);
  if (session.copy && file.mapping.delimiter === '\t') {
    const copyText = voterCopyInWorkers({ text: file.text, onHeader: setupOf, reject, stats, progress });
    await loadTable(session, create, table, VOTER_COLUMNS, { copyText });
  } else {
    const rows = rowsOf<VoterRow>(
      delimitedRecords(file.text, file.mapping.delimiter),
      (header) => readerOf(setupOf(header)),
      reject,
      stats,
      progress,
    );
    await loadTable(session, create, table, VOTER_COLUMNS, { rows, batchSize: file.batchSize });
  }
  return { stats, missingColumns };
}
