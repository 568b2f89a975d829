import { EXPORT_PURPOSES, type ExportPurpose } from '../domain/merge/restricted-fields.js';
import { ZONE_RANKINGS, type ZoneRanking } from '../domain/zones/zone-report.js';
import { parseSegment } from './segments.js';
import type { ZoneReportRequest } from './zone-report.js';

/** The options of `enrich zones` and the query of `GET /v1/zones`, as text. */
export interface ZoneRequestInput {
  zone?: string | undefined;
  where?: readonly string[] | undefined;
  election?: string | undefined;
  elections?: string | number | undefined;
  minVoters?: string | number | undefined;
  party?: string | undefined;
  rank?: string | undefined;
  purpose?: string | undefined;
}

/** Defaults: precincts, zones of at least 50 registered voters, in zone order, for outreach. */
export const ZONE_DEFAULTS = { zone: 'precinct', minVoters: 50, rank: 'zone', purpose: 'outreach' } as const;

export class ZoneRequestError extends Error {
  override readonly name = 'ZoneRequestError';
}

const isOneOf = <T extends string>(choices: readonly T[], value: string): value is T =>
  (choices as readonly string[]).includes(value);

function wholeNumber(name: string, value: string | number | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ZoneRequestError(`${name} must be a whole number of at least ${min}`);
  return n;
}

/**
 * A zone report request from its options. Throws ZoneRequestError naming a bad option, or SegmentFilterError
 * naming every bad `--where`. `elections` left undefined means "the newest four, or all when fewer".
 */
export function parseZoneRequest(
  input: ZoneRequestInput,
  points: boolean,
): Omit<ZoneReportRequest, 'elections'> & { elections?: number } {
  const rank = input.rank ?? ZONE_DEFAULTS.rank;
  if (!isOneOf<ZoneRanking>(ZONE_RANKINGS, rank))
    throw new ZoneRequestError(`--rank must be one of ${ZONE_RANKINGS.join(', ')}`);
  const purpose = input.purpose ?? ZONE_DEFAULTS.purpose;
  if (!isOneOf<ExportPurpose>(EXPORT_PURPOSES, purpose))
    throw new ZoneRequestError(`--purpose must be one of ${EXPORT_PURPOSES.join(', ')}`);
  return {
    level: input.zone?.trim() || ZONE_DEFAULTS.zone,
    election: input.election,
    elections: wholeNumber('--elections', input.elections, 1),
    minVoters: wholeNumber('--min-voters', input.minVoters, 1) ?? ZONE_DEFAULTS.minVoters,
    party: input.party?.trim() || undefined,
    rank,
    segment: parseSegment(input.where ?? [], purpose),
    points,
  };
}
