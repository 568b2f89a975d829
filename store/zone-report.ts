import type { Kysely } from 'kysely';
import { chooseElections, electionBit, electionMask, type ZoneSupporterPoint } from '../domain/zones/zone-counts.js';
import { buildZoneReport, MERGED_ZONE_ID, type ZoneRanking, type ZoneReport } from '../domain/zones/zone-report.js';
import type { Database } from './database.js';
import type { SegmentQuery } from './segments.js';
import {
  countSupporterParties,
  countZoneRegistrations,
  countZoneSupporters,
  listZoneElections,
  listZoneSupporterPoints,
  type ZoneCountsQuery,
} from './zones.js';

/** What `enrich zones` and `GET /v1/zones` ask for. */
export interface ZoneReportRequest {
  level: string;
  /** A date (`YYYY-MM-DD`) or label; default the newest general election. */
  election?: string | undefined;
  /** How many of the newest elections the average covers. */
  elections: number;
  minVoters: number;
  party?: string | undefined;
  rank: ZoneRanking;
  /** The supporters counted. */
  segment: SegmentQuery;
  /** Also the geocoded supporters' points (the map without boundaries). */
  points: boolean;
}

export interface LoadedZoneReport {
  report: ZoneReport;
  /** The points of supporters in zones the report shows on their own (none in merged or withheld zones). */
  points: ZoneSupporterPoint[];
}

/**
 * Reads the counts (three GROUP BYs: registrations, supporters, supporters' parties) and computes the report.
 * Throws ZoneElectionError or ZoneLevelError naming a bad option.
 */
export async function loadZoneReport(db: Kysely<Database>, request: ZoneReportRequest): Promise<LoadedZoneReport> {
  const elections = chooseElections(await listZoneElections(db), request.election, request.elections);
  const query: ZoneCountsQuery = {
    level: request.level,
    targetBit: electionBit(elections.target),
    recentMask: electionMask(elections.recent),
    segment: request.segment,
  };
  const [parties, supporters, supporterParties] = [
    await countZoneRegistrations(db, query),
    await countZoneSupporters(db, query),
    await countSupporterParties(db, query),
  ];
  const report = buildZoneReport(parties, supporters, supporterParties, {
    level: request.level,
    elections,
    minVoters: request.minVoters,
    party: request.party,
    rank: request.rank,
  });
  if (!request.points) return { report, points: [] };
  const shown = new Set(report.rows.filter((r) => r.zone !== MERGED_ZONE_ID).map((r) => r.zone));
  const points = (await listZoneSupporterPoints(db, query)).filter((p) => shown.has(p.zone));
  return { report, points };
}
