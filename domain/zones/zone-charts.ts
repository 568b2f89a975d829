import { scaleBand, scaleLinear, scaleOrdinal } from 'd3-scale';
import { schemeTableau10 } from 'd3-scale-chromatic';
import { escapeHtml } from './html-escape.js';
import type { ZoneRow } from './zone-report.js';

/*
 * The report's two charts, as SVG made in Node with d3-scale: turnout per zone (the chosen election and the recent
 * average) and party registration per zone (stacked shares), for the first zones of the report's order.
 */

/** Zones charted: the top of the order (the table lists them all). */
export const CHARTED_ZONES = 25;

const WIDTH = 720;
const LABEL = 150;
const BAR = 16;
const TOP = 28;

const percent = (share: number) => `${Math.round(share * 100)}%`;

function axis(x: (v: number) => number, height: number): string {
  return [0, 0.25, 0.5, 0.75, 1]
    .map(
      (t) =>
        `<line x1="${x(t)}" x2="${x(t)}" y1="${TOP - 4}" y2="${height}" stroke="#ddd"/><text x="${x(t)}" y="${TOP - 8}" text-anchor="middle">${percent(t)}</text>`,
    )
    .join('');
}

function chartSvg(name: string, title: string, height: number, body: string): string {
  return `<svg class="chart ${name}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" font-size="11" role="img" aria-label="${escapeHtml(title)}">${body}</svg>`;
}

/** The layout both charts share: the zones charted, one band each, and a 0–100% axis. */
function barLayout(rows: readonly ZoneRow[]) {
  const shown = rows.slice(0, CHARTED_ZONES);
  const height = TOP + shown.length * (BAR + 6) + 30;
  const y = scaleBand<string>()
    .domain(shown.map((r) => r.zone))
    .range([TOP, TOP + shown.length * (BAR + 6)])
    .padding(0.2);
  const x = scaleLinear()
    .domain([0, 1])
    .range([LABEL, WIDTH - 20]);
  return { shown, height, y, x };
}

/** Turnout per zone: a bar for the chosen election and a thinner one for the recent average. */
export function turnoutChartSvg(rows: readonly ZoneRow[], electionLabel: string, averaged: number): string {
  const { shown, height, y, x } = barLayout(rows);
  const bars = shown
    .map((r) => {
      const top = y(r.zone)!;
      const band = y.bandwidth();
      return `<g class="bar" data-zone="${escapeHtml(r.zone)}"><text x="${LABEL - 6}" y="${top + band * 0.75}" text-anchor="end">${escapeHtml(r.zone)}</text>
<rect x="${LABEL}" y="${top}" width="${(x(r.turnoutLast) - LABEL).toFixed(1)}" height="${(band * 0.6).toFixed(1)}" fill="#4e79a7"><title>${percent(r.turnoutLast)}</title></rect>
<rect x="${LABEL}" y="${(top + band * 0.62).toFixed(1)}" width="${(x(r.turnoutAverage) - LABEL).toFixed(1)}" height="${(band * 0.38).toFixed(1)}" fill="#f28e2b"><title>${percent(r.turnoutAverage)}</title></rect></g>`;
    })
    .join('');
  const key = `<g class="key"><rect x="${LABEL}" y="${height - 18}" width="10" height="10" fill="#4e79a7"/><text x="${LABEL + 14}" y="${height - 9}">${escapeHtml(electionLabel)}</text>
<rect x="${LABEL + 260}" y="${height - 18}" width="10" height="10" fill="#f28e2b"/><text x="${LABEL + 274}" y="${height - 9}">average of the last ${averaged} elections</text></g>`;
  return chartSvg('turnout-chart', 'Turnout per zone', height, axis(x, height - 24) + bars + key);
}

/** Party registration per zone: each zone's shares stacked in one bar, a colour per party. */
export function partyChartSvg(rows: readonly ZoneRow[], parties: readonly string[]): string {
  const { shown, height, y, x } = barLayout(rows);
  const colour = scaleOrdinal<string, string>().domain(parties).range(schemeTableau10);
  const bars = shown
    .map((r) => {
      let start = 0;
      const segments = parties.map((p) => {
        const share = r.partyShares[p] ?? 0;
        const rect = `<rect x="${x(start).toFixed(1)}" y="${y(r.zone)}" width="${(x(start + share) - x(start)).toFixed(1)}" height="${y.bandwidth().toFixed(1)}" fill="${colour(p)}"><title>${escapeHtml(p)} ${percent(share)}</title></rect>`;
        start += share;
        return rect;
      });
      return `<g class="bar" data-zone="${escapeHtml(r.zone)}"><text x="${LABEL - 6}" y="${y(r.zone)! + y.bandwidth() * 0.75}" text-anchor="end">${escapeHtml(r.zone)}</text>${segments.join('')}</g>`;
    })
    .join('');
  const key = parties
    .map(
      (p, i) =>
        `<rect x="${LABEL + i * 80}" y="${height - 18}" width="10" height="10" fill="${colour(p)}"/><text x="${LABEL + i * 80 + 14}" y="${height - 9}">${escapeHtml(p)}</text>`,
    )
    .join('');
  return chartSvg(
    'party-chart',
    'Party registration per zone',
    height,
    axis(x, height - 24) + bars + `<g class="key">${key}</g>`,
  );
}
