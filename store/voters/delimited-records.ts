import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError, type Info } from 'csv-parse';
import { isBlank, MAX_RECORD_CHARS, splitTabs } from './tab-fields.js';

/** One row of a delimited file: its fields, or why it could not be read. The header is line 1. */
export type DelimitedRecord = { line: number; values: string[] } | { line: number; reason: string };

/**
 * Tab-separated records, one per line (North Carolina's layout: quotes around every field, never a tab or a line
 * break inside one), a batch per chunk of text. Split by hand rather than through a CSV parser: on an 8-million-row
 * file this is most of the import's CPU. `text` must have LF line ends (as `decodeText` gives).
 */
async function* tabRecords(text: AsyncIterable<string>): AsyncGenerator<DelimitedRecord[]> {
  let rest = '';
  let line = 0;
  for await (const chunk of text) {
    const buffer = rest + chunk;
    const batch: DelimitedRecord[] = [];
    let start = 0;
    for (let end = buffer.indexOf('\n'); end !== -1; end = buffer.indexOf('\n', start)) {
      line++;
      const row = buffer.slice(start, end);
      start = end + 1;
      if (!isBlank(row)) batch.push({ line, values: splitTabs(row) });
    }
    rest = buffer.slice(start);
    if (batch.length) yield batch;
    if (rest.length > MAX_RECORD_CHARS)
      throw new Error(`line ${line + 1}: longer than ${MAX_RECORD_CHARS} characters; is this a tab-separated file?`);
  }
  if (!isBlank(rest)) yield [{ line: line + 1, values: splitTabs(rest) }];
}

/**
 * The first line of a csv-parse record, from its count at the record's end and its raw text (which starts with any
 * blank lines skipped before it and ends with its line feed, if any). Input must have LF line ends only. The
 * backfill's CSV reader uses it too.
 */
export function firstLine(endLine: number, raw: string | undefined): number {
  if (raw === undefined) return endLine;
  const body = raw.replace(/^\n+/, '');
  let newlines = 0;
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) newlines++;
  return endLine - (body.endsWith('\n') ? newlines - 1 : newlines);
}

/** Records of a CSV (or another single-character delimiter) with RFC 4180 quoting, through csv-parse. */
async function* csvRecords(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<DelimitedRecord> {
  const parser = parse({
    delimiter,
    bom: true,
    info: true,
    raw: true,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
  });
  const skipped: DelimitedRecord[] = [];
  parser.on('skip', (err: CsvError) => {
    const context = err as unknown as { lines: number; raw?: string };
    const line = firstLine(context.lines, context.raw);
    if (err.code === 'CSV_MAX_RECORD_SIZE') {
      parser.destroy(
        new Error(
          `line ${line}: a record longer than ${MAX_RECORD_CHARS} characters (an unclosed quote?); the rest of the file cannot be read`,
        ),
      );
      return;
    }
    skipped.push({ line, reason: err.code === 'CSV_QUOTE_NOT_CLOSED' ? 'a quote is never closed' : err.message });
  });
  const feeding = pipeline(Readable.from(text), parser).catch(() => undefined);
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: Info; raw?: string }>) {
      const line = firstLine(item.info.lines, item.raw);
      while (skipped.length && skipped[0]!.line < line) yield skipped.shift()!;
      yield { line, values: item.record };
    }
    yield* skipped.splice(0);
  } finally {
    parser.destroy();
    await feeding;
  }
}

/** Records in batches of up to `size`, for a source that gives them one at a time. */
async function* batched(records: AsyncIterable<DelimitedRecord>, size = 1_000): AsyncGenerator<DelimitedRecord[]> {
  let batch: DelimitedRecord[] = [];
  for await (const record of records) {
    batch.push(record);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/**
 * The records of a delimited text, header first, each with its line number, in constant memory, a batch at a time
 * (one await per batch, not per row: on millions of rows the per-row promises add up). Tab-separated files take the
 * fast path; any other delimiter is read as CSV.
 */
export function delimitedRecords(text: AsyncIterable<string>, delimiter: string): AsyncGenerator<DelimitedRecord[]> {
  return delimiter === '\t' ? tabRecords(text) : batched(csvRecords(text, delimiter));
}
