import { stringify } from 'csv-stringify/sync';
import type { ZoneReport, ZoneRow } from './zone-report.js';

/** How `enrich zones` and `GET /v1/zones` write a report. */
export const ZONE_FORMATS = ['csv', 'jsonl', 'html'] as const;
export type ZoneFormat = (typeof ZONE_FORMATS)[number];

export const ZONE_CONTENT_TYPES: Record<ZoneFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
  html: 'text/html; charset=utf-8',
};

type Cell = string | number | null;

/** The CSV columns before the party shares, and how to read each. */
const COLUMNS: Array<[header: string, read: (r: ZoneRow) => Cell]> = [
  ['rank', (r) => r.rank],
  ['zone', (r) => r.zone],
  ['zones', (r) => r.zones],
  ['registered', (r) => r.registered],
  ['turnout_last', (r) => r.turnoutLast],
  ['turnout_average', (r) => r.turnoutAverage],
  ['abstention', (r) => r.abstention],
  ['abstention_index', (r) => r.abstentionIndex],
  ['favourability_index', (r) => r.favourabilityIndex],
  ['canvass_score', (r) => r.canvassScore],
  ['supporters', (r) => r.supporters],
  ['matched_supporters', (r) => r.matchedSupporters],
  ['supporters_per_1000', (r) => r.supportersPer1000],
  ['matched_turnout_last', (r) => r.matchedTurnoutLast],
  ['matched_turnout_average', (r) => r.matchedTurnoutAverage],
];

/** Zone ids and party codes come from the voter file: a cell a spreadsheet would run as a formula gets an apostrophe. */
const neutralised = (cell: Cell): Cell => (typeof cell === 'string' && /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell);

/** Every party code of the report, sorted: one `share_<code>` column each. */
export function reportParties(report: ZoneReport): string[] {
  return [...new Set(report.rows.flatMap((r) => Object.keys(r.partyShares)))].sort();
}

/** The report as CSV: one row per zone, in the report's order, then a share column per party. */
export function zoneCsv(report: ZoneReport): string {
  const parties = reportParties(report);
  const header = [...COLUMNS.map(([h]) => h), ...parties.map((p) => `share_${p}`)];
  const rows = report.rows.map((r) => [
    ...COLUMNS.map(([, read]) => read(r)),
    ...parties.map((p) => r.partyShares[p] ?? 0),
  ]);
  return stringify([header, ...rows].map((row) => row.map(neutralised)));
}

/** The report as JSON lines: one zone per line, in the report's order. */
export function zoneJsonl(report: ZoneReport): string {
  return report.rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
