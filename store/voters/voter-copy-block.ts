import { isBlank, splitTabs } from './tab-fields.js';
import type { VoterReaderSetup } from './voter-file-format.js';
import { copyLine, voterRowReader } from './voter-row.js';
import { VOTER_COLUMNS } from './voter-tables.js';

export type { VoterReaderSetup } from './voter-file-format.js';

/** A block of a tab-separated voter file read: its rows as COPY text, and the lines that could not be loaded. */
export interface VoterCopyBlock {
  /** COPY text input (UTF-8) of the block's loadable rows, in file order. */
  copy: Uint8Array;
  rejects: Array<{ line: number; reason: string }>;
  /** Data rows read (blank lines are not rows). */
  rows: number;
}

/**
 * Reads whole lines of a tab-separated voter file (`text` ends with a line feed, or is the file's last line;
 * `firstLine` is the line number of its first line) into COPY text, as the import's streamed path reads them one by
 * one (`delimitedRecords` then `voterRowReader` then `copyLine`): the same rows, the same rejects, the same text.
 * Pure, so it runs in a worker thread (voter-parse-worker.ts).
 */
export function voterCopyBlock(
  read: (values: string[], line: number) => ReturnType<ReturnType<typeof voterRowReader>>,
  text: string,
  firstLine: number,
): VoterCopyBlock {
  const lines: string[] = [];
  const rejects: VoterCopyBlock['rejects'] = [];
  let rows = 0;
  let line = firstLine;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const raw = text.slice(start, end);
    if (!isBlank(raw)) {
      rows++;
      const row = read(splitTabs(raw), line);
      if ('reason' in row) rejects.push({ line, reason: row.reason });
      else lines.push(copyLine(row, VOTER_COLUMNS));
    }
    line++;
    start = end + 1;
  }
  return { copy: new TextEncoder().encode(lines.join('')), rejects, rows };
}

/** The reader of a setup (see VoterReaderSetup). */
export const readerOf = (setup: VoterReaderSetup) => voterRowReader(setup.header, setup.mapping, setup.districtIndex);
