import { stringify } from 'csv-stringify/sync';
import type { ExportPurpose } from '../merge/restricted-fields.js';
import type { ContactRecord } from '../../schemas/contact-record.js';
import { toOsdiPerson } from './osdi-person.js';

/** How `enrich segment` and `GET /v1/segments` write contacts. */
export const SEGMENT_FORMATS = ['csv', 'jsonl', 'osdi'] as const;
export type SegmentFormat = (typeof SEGMENT_FORMATS)[number];

export const SEGMENT_CONTENT_TYPES: Record<SegmentFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
  osdi: 'application/hal+json; charset=utf-8',
};

type Cell = string | number | boolean | null | undefined;

/** The CSV columns, named by the record path they hold (as filters name them), and how to read each. */
const CSV_COLUMNS: Array<[header: string, read: (r: ContactRecord) => Cell]> = [
  ['id', (r) => r.id],
  ['email', (r) => r.email],
  ['status', (r) => r.status],
  ['name.given', (r) => r.name.given],
  ['name.family', (r) => r.name.family],
  ['name.display', (r) => r.name.display],
  ['location.locality', (r) => r.location.locality],
  ['location.region', (r) => r.location.region],
  ['location.postalCode', (r) => r.location.postalCode],
  ['location.country', (r) => r.location.country],
  ['location.lat', (r) => r.location.lat],
  ['location.lon', (r) => r.location.lon],
  ...['congressional', 'stateUpper', 'stateLower', 'county', 'tract', 'precinct', 'commune', 'department'].map(
    (d): [string, (r: ContactRecord) => Cell] => [`location.districts.${d}`, (r) => r.location.districts[d]],
  ),
  ['work.employer', (r) => r.work.employer],
  ['work.occupation', (r) => r.work.occupation],
  ['work.title', (r) => r.work.title],
  ['profiles', (r) => r.profiles.map((p) => `${p.network}:${p.handle}`).join(' ')],
  ['bio', (r) => r.bio],
  ['avatarUrl', (r) => r.avatarUrl],
  ['voter.voterId', (r) => r.voter?.voterId],
  ['voter.status', (r) => r.voter?.status],
  ['voter.party', (r) => r.voter?.party],
  ['voter.precinct', (r) => r.voter?.precinct],
  ['voter.registrationDate', (r) => r.voter?.registrationDate],
  ['voter.matchScore', (r) => r.voter?.matchScore],
  ['consent.socialProfiles', (r) => r.consent?.socialProfiles],
  ['conflicts', (r) => r.conflicts.map((c) => c.field).join(' ')],
  ['updatedAt', (r) => r.updatedAt],
];

/** Only in research exports: FEC data (US law forbids using it to solicit contributions). */
const RESEARCH_COLUMNS: Array<[header: string, read: (r: ContactRecord) => Cell]> = [
  ['donations.count', (r) => r.donations?.count],
  ['donations.total', (r) => r.donations?.total],
  ['donations.lastDate', (r) => r.donations?.lastDate],
];

/**
 * A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@` (or a tab or return) as a formula; bios and names
 * come from public profiles anyone can write, so such text gets a leading apostrophe (OWASP's CSV-injection advice).
 */
const neutralised = (cell: Cell): Cell => (typeof cell === 'string' && /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

/** The header of a CSV export for `purpose`. */
export function csvHeader(purpose: ExportPurpose): string[] {
  return [...CSV_COLUMNS, ...(purpose === 'research' ? RESEARCH_COLUMNS : [])].map(([header]) => header);
}

const ROWS_PER_CHUNK = 200;

async function* csvChunks(records: AsyncIterable<ContactRecord>, purpose: ExportPurpose): AsyncGenerator<string> {
  const columns = [...CSV_COLUMNS, ...(purpose === 'research' ? RESEARCH_COLUMNS : [])];
  yield stringify([columns.map(([header]) => header)]);
  let rows: Cell[][] = [];
  for await (const record of records) {
    rows.push(columns.map(([, read]) => neutralised(read(record) ?? null)));
    if (rows.length >= ROWS_PER_CHUNK) {
      yield stringify(rows, { cast: { boolean: (b) => String(b) } });
      rows = [];
    }
  }
  if (rows.length > 0) yield stringify(rows, { cast: { boolean: (b) => String(b) } });
}

async function* jsonlChunks(records: AsyncIterable<ContactRecord>): AsyncGenerator<string> {
  for await (const record of records) yield `${JSON.stringify(record)}\n`;
}

/** An OSDI collection (HAL) whose `osdi:people` are written one per line as they come. */
async function* osdiChunks(records: AsyncIterable<ContactRecord>): AsyncGenerator<string> {
  yield '{"_embedded":{"osdi:people":[\n';
  let first = true;
  for await (const record of records) {
    yield `${first ? '' : ',\n'}${JSON.stringify(toOsdiPerson(record))}`;
    first = false;
  }
  yield `${first ? '' : '\n'}]}}\n`;
}

/**
 * Encodes a stream of records (already as `purpose` may see them) as text chunks: CSV with a header row (research
 * exports add the FEC columns), JSON Lines (one record per line), or OSDI (one collection document of people).
 */
export function encodeSegment(
  records: AsyncIterable<ContactRecord>,
  format: SegmentFormat,
  purpose: ExportPurpose,
): AsyncGenerator<string> {
  if (format === 'csv') return batched(csvChunks(records, purpose));
  if (format === 'jsonl') return batched(jsonlChunks(records));
  return batched(osdiChunks(records));
}

/** About this much text per chunk: a write per record would wait on the file or socket once per record. */
const CHUNK_CHARS = 64 * 1024;

async function* batched(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let pending: string[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    pending.push(chunk);
    size += chunk.length;
    if (size >= CHUNK_CHARS) {
      yield pending.join('');
      pending = [];
      size = 0;
    }
  }
  if (size > 0) yield pending.join('');
}

/** Counts what passes through, for the summary line. */
export async function* counted<T>(items: AsyncIterable<T>, counter: { count: number }): AsyncGenerator<T> {
  for await (const item of items) {
    counter.count++;
    yield item;
  }
}
