import type { Kysely } from 'kysely';
import { chooseElections, electionBit, electionMask, type ZoneSupporterPoint } from '../domain/zones/zone-counts.js';
import { buildZoneReport, MERGED_ZONE_ID, type ZoneRanking, type ZoneReport } from '../domain/zones/zone-report.js';
import { addAuditSubjects, AUDIT_READ_ACTIONS, insertAudit, updateAuditDetail } from './audit.js';
import { auditedFilters } from './audit-actors.js';
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

/** Elections averaged when the request does not say. */
export const DEFAULT_ELECTIONS = 4;

/** What `enrich zones` and `GET /v1/zones` ask for. */
export interface ZoneReportRequest {
  level: string;
  /** A date (`YYYY-MM-DD`) or label; default the newest general election. */
  election?: string | undefined;
  /** How many of the newest elections the average covers; default DEFAULT_ELECTIONS, or all when fewer. */
  elections?: number | undefined;
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
  const known = await listZoneElections(db);
  const elections = chooseElections(
    known,
    request.election,
    request.elections ?? Math.min(DEFAULT_ELECTIONS, known.length),
  );
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

/**
 * The report, audited like a segment export: who asked, for what purpose, the zone level, filters and format before
 * anything is read; then how many rows went out, and the contact key of every supporter whose point is on the map
 * (a point is a person's neighbourhood). The rows themselves are counts of at least `minVoters` voters.
 */
export async function loadAuditedZoneReport(
  db: Kysely<Database>,
  request: ZoneReportRequest,
  audit: { actor: string; format: string },
): Promise<LoadedZoneReport> {
  const auditId = await insertAudit(db, {
    actor: audit.actor,
    action: AUDIT_READ_ACTIONS.zoneReport,
    purpose: request.segment.purpose,
    detail: {
      format: audit.format,
      zone: request.level,
      minVoters: request.minVoters,
      filters: auditedFilters(request.segment.conditions),
      rows: null,
      complete: false,
    },
  });
  const loaded = await loadZoneReport(db, request);
  await addAuditSubjects(
    db,
    auditId,
    loaded.points.map((p) => p.contactId),
  );
  await updateAuditDetail(db, auditId, {
    rows: loaded.report.rows.length,
    points: loaded.points.length,
    complete: true,
  });
  return loaded;
}
