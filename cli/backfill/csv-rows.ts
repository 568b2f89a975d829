import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { parse, type CsvError, type Info } from 'csv-parse';
import type { BackfillRow } from './backfill-row.js';
import { mapHeader, type CsvHeaderMapping, type CsvSource } from './column-aliases.js';
import { csvRowSignup, type CsvRecord } from './csv-row-signup.js';
import { firstLine } from '../../store/voters/delimited-records.js';

/** A record longer than this is an unclosed quote swallowing the file, not a supporter: stop rather than buffer it. */
export const MAX_CSV_RECORD_BYTES = 1024 * 1024;

/** Raised when the rest of the file cannot be read as CSV; rows before it were handled and a re-run resumes. */
export class CsvInputError extends Error {
  override readonly name = 'CsvInputError';
}

/** The context csv-parse attaches to a skipped record's error (typed as unknown by the library). */
interface SkipContext {
  lines: number;
  raw?: string;
  record?: unknown[];
  columns?: unknown[];
}

function skipReason(err: CsvError, context: SkipContext, line: number): string {
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_COLUMNS':
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return `row: has ${context.record?.length ?? 'a different number of'} fields, the header has ${context.columns?.length ?? 'another number'}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return context.lines > line
        ? `row: a quote opened here is never closed (lines ${line}–${context.lines} are unreadable)`
        : 'row: a quote is never closed';
    default:
      return `row: ${err.message}`;
  }
}

/**
 * Streams the data rows of a CSV text as signups or rejects, with back-pressure: csv-parse reads only as fast as
 * the caller takes rows. The header maps columns by name and common aliases, or by the columns of the export `from`
 * names (see `column-aliases.ts`). A row csv-parse
 * cannot read (wrong field count, stray quote) is a reject with its line, not the end of the backfill.
 */
export async function* csvRows(
  text: AsyncIterable<string>,
  defaultSource: string,
  from?: CsvSource,
): AsyncGenerator<BackfillRow> {
  let header: CsvHeaderMapping | undefined;
  const parser = parse({
    columns: (row: string[]) => {
      header = mapHeader(row, from);
      return header.columns;
    },
    bom: true,
    info: true,
    raw: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  // Skipped records arrive as events, possibly ahead of the records the caller has yet to take: queue them and
  // hand each out in line order.
  const skipped: BackfillRow[] = [];
  parser.on('skip', (err: CsvError) => {
    const context = err as unknown as SkipContext;
    const line = firstLine(context.lines, context.raw);
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      parser.destroy(
        new CsvInputError(
          `line ${line}: a record longer than ${MAX_CSV_RECORD_BYTES} bytes (an unclosed quote?); the rest of the file cannot be read`,
        ),
      );
      return;
    }
    skipped.push({ line, reason: skipReason(err, context, line) });
  });
  const feeding = pipeline(Readable.from(text), parser).catch(() => undefined); // errors surface through the iteration below

  try {
    for await (const item of parser as AsyncIterable<{ record: CsvRecord; info: Info; raw?: string }>) {
      const line = firstLine(item.info.lines, item.raw);
      while (skipped.length && (skipped[0] as BackfillRow).line < line) yield skipped.shift() as BackfillRow;
      yield csvRowSignup(item.record, line, header as CsvHeaderMapping, defaultSource);
    }
    yield* skipped.splice(0);
  } finally {
    parser.destroy();
    await feeding;
  }
}
