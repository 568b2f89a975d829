import type { Feature, FeatureCollection, Geometry, MultiPolygon, Polygon } from 'geojson';

/*
 * The zone boundaries a map is drawn from (`--boundaries file.geojson`): a GeoJSON FeatureCollection of polygons, each
 * feature naming its zone in a property (`--boundary-id`, default `zone`). What is wrong with a file is said in one
 * line that names the problem.
 */

/** The largest boundaries file read (a state's precincts, simplified for the screen, are a few MB). */
export const MAX_BOUNDARIES_BYTES = 64 * 1024 * 1024;

export const DEFAULT_BOUNDARY_ID = 'zone';

export class BoundariesError extends Error {
  override readonly name = 'BoundariesError';
}

/** A polygon feature with its zone id. */
export interface ZoneFeature {
  zone: string;
  feature: Feature<Polygon | MultiPolygon>;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isArea = (geometry: Geometry | null): geometry is Polygon | MultiPolygon =>
  geometry?.type === 'Polygon' || geometry?.type === 'MultiPolygon';

/** Says a file is too big before it is read. */
export function checkBoundariesSize(name: string, bytes: number): void {
  if (bytes > MAX_BOUNDARIES_BYTES)
    throw new BoundariesError(
      `--boundaries ${name}: the file is ${Math.round(bytes / 1024 / 1024)} MB, over the ${MAX_BOUNDARIES_BYTES / 1024 / 1024} MB limit; simplify it first (e.g. mapshaper -simplify 10%)`,
    );
}

/** The id of a feature's zone: its `idProperty` as text, or undefined. */
function featureZone(feature: Feature, idProperty: string): string | undefined {
  const value: unknown = feature.properties?.[idProperty];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function parseCollection(name: string, text: string): FeatureCollection {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BoundariesError(
      `--boundaries ${name}: not GeoJSON, the file is not JSON (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`,
    );
  }
  if (!isObject(parsed) || parsed['type'] !== 'FeatureCollection' || !Array.isArray(parsed['features']))
    throw new BoundariesError(`--boundaries ${name}: not GeoJSON, expected a FeatureCollection with "features"`);
  const bad = (parsed['features'] as unknown[]).findIndex((f) => !isObject(f) || f['type'] !== 'Feature');
  if (bad !== -1) throw new BoundariesError(`--boundaries ${name}: not GeoJSON, features[${bad}] is not a Feature`);
  return parsed as unknown as FeatureCollection;
}

/**
 * The polygons of `text` that have an `idProperty` (all are drawn; those of zones without a row of their own in grey).
 * Throws a BoundariesError when the file is not a GeoJSON FeatureCollection, or when no polygon's `idProperty`
 * matches one of `zoneIds` (with examples of both).
 */
export function parseBoundaries(
  name: string,
  text: string,
  idProperty: string,
  zoneIds: ReadonlySet<string>,
): ZoneFeature[] {
  const collection = parseCollection(name, text);
  const areas = collection.features.filter((f): f is Feature<Polygon | MultiPolygon> => isArea(f.geometry));
  if (areas.length === 0) throw new BoundariesError(`--boundaries ${name}: no Polygon or MultiPolygon features`);
  const named: ZoneFeature[] = [];
  for (const feature of areas) {
    const zone = featureZone(feature, idProperty);
    if (zone !== undefined) named.push({ zone, feature });
  }
  if (!named.some((f) => zoneIds.has(f.zone))) {
    const theirs = named.slice(0, 3).map((f) => f.zone);
    const ours = [...zoneIds].slice(0, 3);
    const found = theirs.length ? `its values look like ${theirs.join(', ')}` : `no feature has that property`;
    throw new BoundariesError(
      `--boundaries ${name}: no feature's "${idProperty}" matches a zone id (zones look like ${ours.join(', ') || '(none)'}; ${found}); choose the property with --boundary-id`,
    );
  }
  return named;
}
