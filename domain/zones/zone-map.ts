import type { Feature, FeatureCollection, MultiPoint, MultiPolygon, Polygon } from 'geojson';
import { geoArea, geoMercator, geoPath } from 'd3-geo';
import { scaleLinear, scaleSequential } from 'd3-scale';
import { interpolateRdYlGn } from 'd3-scale-chromatic';
import type { ZoneFeature } from './boundaries.js';
import type { ZoneSupporterPoint } from './zone-counts.js';
import type { ZoneRow } from './zone-report.js';
import { escapeHtml } from './html-escape.js';

/*
 * The report's map, drawn in Node into SVG with d3-geo (Mercator fitted to the zones, path strings) and d3-scale
 * (the colour of the chosen index): a choropleth of the zones' boundaries, or without them the supporters' points
 * coloured by their zone's index. Nothing is fetched when the page is viewed.
 */

export const MAP_INDEXES = ['canvass', 'abstention', 'favourability'] as const;
export type MapIndex = (typeof MAP_INDEXES)[number];

const INDEX_LABELS: Record<MapIndex, string> = {
  canvass: 'Canvass score',
  abstention: 'Abstention index',
  favourability: 'Favourability index',
};

export const indexOf = (row: ZoneRow, index: MapIndex): number =>
  index === 'canvass' ? row.canvassScore : index === 'abstention' ? row.abstentionIndex : row.favourabilityIndex;

const WIDTH = 720;
const HEIGHT = 480;
const LEGEND_HEIGHT = 56;
/** Zones without a shown row (under the threshold, or not in the voter file). */
const NO_DATA = '#d9d9d9';

/**
 * d3-geo reads a polygon whose rings turn the other way (RFC 7946's winding, as many converters write) as the whole
 * globe minus the polygon: such a feature is rewound, by reversing its rings, when its area is over a hemisphere.
 */
function rewound(feature: Feature<Polygon | MultiPolygon>): Feature<Polygon | MultiPolygon> {
  if (geoArea(feature) <= 2 * Math.PI) return feature;
  const geometry = feature.geometry;
  const reversed: Polygon | MultiPolygon =
    geometry.type === 'Polygon'
      ? { type: 'Polygon', coordinates: geometry.coordinates.map((ring) => [...ring].reverse()) }
      : {
          type: 'MultiPolygon',
          coordinates: geometry.coordinates.map((polygon) => polygon.map((ring) => [...ring].reverse())),
        };
  return { ...feature, geometry: reversed };
}

/** A sequential scale from red (low) to green (high) over the rows' values of the index. */
function colourScale(rows: readonly ZoneRow[], index: MapIndex) {
  const values = rows.map((r) => indexOf(r, index));
  const low = values.length ? Math.min(...values) : 0;
  const high = values.length ? Math.max(...values) : 1;
  return scaleSequential(interpolateRdYlGn).domain([low, high === low ? low + 1 : high]);
}

/** The legend: the colour ramp with five ticks, and the swatch of zones without figures. */
function legend(scale: ReturnType<typeof colourScale>, index: MapIndex, minVoters: number): string {
  const [low, high] = scale.domain();
  const x = scaleLinear().domain([low, high]).range([20, 320]);
  const stops = Array.from({ length: 11 }, (_, i) => {
    const value = low + ((high - low) * i) / 10;
    return `<stop offset="${i * 10}%" stop-color="${scale(value)}"/>`;
  }).join('');
  const ticks = x
    .ticks(5)
    .map((t) => `<text x="${x(t).toFixed(1)}" y="${HEIGHT + 44}" text-anchor="middle">${t}</text>`)
    .join('');
  return `<g class="legend" font-size="11">
<defs><linearGradient id="ramp">${stops}</linearGradient></defs>
<text x="20" y="${HEIGHT + 14}" font-weight="bold">${INDEX_LABELS[index]} (100 = average)</text>
<rect x="20" y="${HEIGHT + 20}" width="300" height="12" fill="url(#ramp)"/>${ticks}
<rect class="no-data" x="360" y="${HEIGHT + 20}" width="12" height="12" fill="${NO_DATA}"/>
<text x="378" y="${HEIGHT + 30}">under ${minVoters} voters (merged or withheld) or not in the voter file</text>
</g>`;
}

function svg(body: string, title: string): string {
  return `<svg class="zone-map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT + LEGEND_HEIGHT}" width="${WIDTH}" height="${HEIGHT + LEGEND_HEIGHT}" role="img" aria-label="${escapeHtml(title)}">${body}</svg>`;
}

/** A choropleth: one path per zone feature, filled with its row's index (grey when it has no row of its own). */
export function choroplethSvg(
  features: readonly ZoneFeature[],
  rows: readonly ZoneRow[],
  index: MapIndex,
  minVoters: number,
): string {
  const byZone = new Map(rows.map((r) => [r.zone, r]));
  const shapes = features.map((f) => rewound(f.feature));
  const collection: FeatureCollection = { type: 'FeatureCollection', features: shapes };
  const projection = geoMercator().fitSize([WIDTH, HEIGHT], collection);
  const path = geoPath(projection).digits(1);
  const scale = colourScale(rows, index);
  const paths = shapes.map((shape, i) => {
    const zone = features[i]!.zone;
    const row = byZone.get(zone);
    const fill = row ? scale(indexOf(row, index)) : NO_DATA;
    const tip = row ? `${zone}: ${indexOf(row, index)}` : `${zone}: no figures`;
    return `<path class="zone" data-zone="${escapeHtml(zone)}" d="${path(shape) ?? ''}" fill="${fill}" stroke="#fff" stroke-width="0.5"><title>${escapeHtml(tip)}</title></path>`;
  });
  return svg(
    `<g class="zones">${paths.join('')}</g>${legend(scale, index, minVoters)}`,
    `Map of ${INDEX_LABELS[index]}`,
  );
}

/** Without boundaries: one dot per supporter (rounded to about 100 m), coloured by their zone's index. */
export function pointsSvg(
  points: readonly ZoneSupporterPoint[],
  rows: readonly ZoneRow[],
  index: MapIndex,
  minVoters: number,
): string {
  const scale = colourScale(rows, index);
  const byZone = new Map(rows.map((r) => [r.zone, r]));
  if (points.length === 0)
    return svg(
      `<text x="20" y="40">No geocoded supporters in the zones shown; give --boundaries to draw the zones.</text>${legend(scale, index, minVoters)}`,
      'No map',
    );
  const all: MultiPoint = { type: 'MultiPoint', coordinates: points.map((p) => [p.lon, p.lat]) };
  const projection = geoMercator().fitExtent(
    [
      [20, 20],
      [WIDTH - 20, HEIGHT - 20],
    ],
    all,
  );
  const dots = points.map((p) => {
    const [x, y] = projection([p.lon, p.lat]) ?? [0, 0];
    const row = byZone.get(p.zone);
    const fill = row ? scale(indexOf(row, index)) : NO_DATA;
    return `<circle class="supporter" data-zone="${escapeHtml(p.zone)}" cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="4" fill="${fill}" stroke="#333" stroke-width="0.5"/>`;
  });
  return svg(
    `<g class="points">${dots.join('')}</g>${legend(scale, index, minVoters)}`,
    `Supporters by ${INDEX_LABELS[index]}`,
  );
}
