import { delimitedRecords } from '../delimited-records.js';
import type { SqlSession } from '../sql-session.js';
import { resolveHeader, VoterFileError } from '../voter-file-format.js';
import { VOTE_COLUMNS, voteRowFromRecord, type HistoryField, type VoteRow } from '../voter-row.js';
import { loadTable, rowsOf, type FileInput, type Loaded, type LoadStats } from './load.js';
import { createVotesSql } from './stage.js';

/**
 * Stage "history": the votes of a history file (one row per vote; ncvhis), read with the mapping's history layout,
 * into `table`. Returns the rows read and rejected, and the columns the layout names that the header does not have.
 */
export async function loadHistory(session: SqlSession, table: string, file: FileInput): Promise<Loaded> {
  const historyMapping = file.mapping.history;
  if (!historyMapping)
    throw new VoterFileError(`format ${file.format} has no history layout; add "history" to the mapping`);
  let missingColumns: string[] = [];
  const stats: LoadStats = { rows: 0, rejected: 0 };
  const rows = rowsOf<VoteRow>(
    delimitedRecords(file.text, historyMapping.delimiter),
    (header) => {
      const resolved = resolveHeader<HistoryField>(header, historyMapping.columns, ['voterId', 'election']);
      missingColumns = resolved.missing;
      return (values, line) => voteRowFromRecord(values, line, resolved, historyMapping);
    },
    file.reject,
    stats,
    file.progress,
  );
  await loadTable(session, createVotesSql(table), table, VOTE_COLUMNS, { rows, batchSize: file.batchSize });
  return { stats, missingColumns };
}
