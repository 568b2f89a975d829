import type { ZoneFeature } from './boundaries.js';
import type { ZoneSupporterPoint } from './zone-counts.js';
import { zoneCsv, zoneJsonl, type ZoneFormat } from './zone-export.js';
import { zoneHtml } from './zone-html.js';
import type { MapIndex } from './zone-map.js';
import type { ZoneReport } from './zone-report.js';

export interface RenderZoneOptions {
  features?: readonly ZoneFeature[] | undefined;
  points: readonly ZoneSupporterPoint[];
  index: MapIndex;
  generatedAt: string;
}

/** The report in one of the output formats. */
export function renderZoneReport(report: ZoneReport, format: ZoneFormat, options: RenderZoneOptions): string {
  if (format === 'csv') return zoneCsv(report);
  if (format === 'jsonl') return zoneJsonl(report);
  return zoneHtml(report, options);
}

/** The index the map colours by default: the ranking's, or the canvass score when ranked by zone. */
export const defaultMapIndex = (rank: ZoneReport['rank']): MapIndex => (rank === 'zone' ? 'canvass' : rank);
