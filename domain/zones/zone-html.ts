import type { ZoneFeature } from './boundaries.js';
import { escapeHtml } from './html-escape.js';
import type { ZoneSupporterPoint } from './zone-counts.js';
import { partyChartSvg, turnoutChartSvg } from './zone-charts.js';
import { reportParties } from './zone-export.js';
import { choroplethSvg, pointsSvg, type MapIndex } from './zone-map.js';
import type { ZoneReport, ZoneRow } from './zone-report.js';

/*
 * The zone report as one self-contained HTML page (no script, stylesheet, font or image fetched when it is viewed):
 * what it covers, the map, the ranked table a field organiser prints, and the two charts.
 */

export interface ZoneHtmlOptions {
  /** The zones' boundaries (a choropleth); without them, the supporters' points. */
  features?: readonly ZoneFeature[] | undefined;
  points: readonly ZoneSupporterPoint[];
  /** The index the map colours. */
  index: MapIndex;
  /** When the report was made (ISO time), printed on it. */
  generatedAt: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}p.meta{color:#555;margin:2px 0}
table{border-collapse:collapse;font-size:12px}th,td{border-bottom:1px solid #e3e3e3;padding:3px 7px;text-align:right}
th{background:#f4f4f4;position:sticky;top:0}td.zone,th.zone{text-align:left}tr.merged td{color:#666;font-style:italic}
svg text{fill:#222}@media print{h2{break-before:page}th{position:static}}`;

const pct = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);

function tableRow(row: ZoneRow, parties: readonly string[]): string {
  const cells = [
    row.rank,
    row.registered,
    pct(row.turnoutLast),
    pct(row.turnoutAverage),
    row.abstentionIndex,
    row.favourabilityIndex,
    row.canvassScore,
    row.supporters,
    row.supportersPer1000,
    row.matchedSupporters,
    pct(row.matchedTurnoutAverage),
    ...parties.map((p) => pct(row.partyShares[p] ?? 0)),
  ].map((c) => `<td>${escapeHtml(String(c))}</td>`);
  const zone = row.zones > 1 ? `${row.zone} (${row.zones} zones)` : row.zone;
  cells.splice(1, 0, `<td class="zone">${escapeHtml(zone)}</td>`);
  return `<tr class="${row.zones > 1 ? 'merged' : 'zone-row'}" data-zone="${escapeHtml(row.zone)}">${cells.join('')}</tr>`;
}

function table(report: ZoneReport, parties: readonly string[]): string {
  const heads = [
    '#',
    'Zone',
    'Registered',
    `Turnout ${report.election.date ?? report.election.election}`,
    `Turnout avg (${report.recentElections.length})`,
    'Abstention index',
    'Favourability index',
    'Canvass score',
    'Supporters',
    'per 1,000',
    'Matched',
    'Matched turnout avg',
    ...parties.map((p) => `${p} share`),
  ].map((h, i) => `<th${i === 1 ? ' class="zone"' : ''}>${escapeHtml(h)}</th>`);
  const rows = report.rows.map((r) => tableRow(r, parties)).join('\n');
  return `<table class="zones"><thead><tr>${heads.join('')}</tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function summary(report: ZoneReport, options: ZoneHtmlOptions): string {
  const recent = report.recentElections.map((e) => e.election).join(', ');
  const withheld = report.withheld.zones
    ? ` ${report.withheld.zones} zones (${report.withheld.registered} voters) are withheld: too small even merged.`
    : '';
  return `<p class="meta">Zones: ${escapeHtml(report.level)} · ${report.rows.length} rows · ordered by ${escapeHtml(report.rank)} · made ${escapeHtml(options.generatedAt)}</p>
<p class="meta">Turnout: ${escapeHtml(report.election.election)}; average over ${escapeHtml(recent)}.</p>
<p class="meta">Favourable means: registered ${escapeHtml(report.party ?? '(no party)')} and supporters per 1,000 voters. Zones under ${report.minVoters} registered voters are merged into one row.${escapeHtml(withheld)}</p>
<p class="meta">Whole file: ${report.overall.registered} registered, average turnout ${pct(report.overall.turnoutAverage)}, ${report.supporters} supporters placed in a zone.</p>`;
}

/** The page. */
export function zoneHtml(report: ZoneReport, options: ZoneHtmlOptions): string {
  const parties = reportParties(report);
  const shown = report.rows.filter((r) => r.zones === 1);
  const map = options.features
    ? choroplethSvg(options.features, shown, options.index, report.minVoters)
    : pointsSvg(options.points, shown, options.index, report.minVoters);
  const electionLabel = report.election.election;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Zone report: ${escapeHtml(report.level)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>${STYLE}</style></head>
<body><h1>Where to canvass: zones by ${escapeHtml(report.level)}</h1>
${summary(report, options)}
<h2>Map</h2>
${map}
<h2>Zones, ranked</h2>
${table(report, parties)}
<h2>Turnout per zone</h2>
${turnoutChartSvg(report.rows, electionLabel, report.recentElections.length)}
<h2>Party registration per zone</h2>
${partyChartSvg(report.rows, parties)}
</body></html>
`;
}
