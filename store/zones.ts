import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './database.js';
import type {
  ZoneElection,
  ZonePartyCount,
  ZoneSupporterCount,
  ZoneSupporterPoint,
} from '../domain/zones/zone-counts.js';
import { segmentWhere, type SegmentQuery } from './segments.js';
import { TURNOUT_ELECTIONS } from './voters/turnout-summary.js';

/*
 * Zone reports (issue #21): the per-zone counts, read from the turnout summary (store/voters/turnout-summary.ts) in
 * one GROUP BY over registrations, and the supporters (contacts chosen by a segment) counted in the same zones. The
 * figures, thresholds and indexes are computed from these counts in domain/zones/.
 */

/** A zone level: `precinct` (county and precinct), `county`, or any district key of the voter file. */
export type ZoneLevel = string;

/** A district key of the voter file (`congressional`, `stateHouse`, `municipality`, …), never anything else. */
const DISTRICT_KEY = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;

/** What the query reads: the zone level, the elections (as bit masks of the summary) and the supporters' segment. */
export interface ZoneCountsQuery {
  level: ZoneLevel;
  /** The bit of the election whose turnout is reported. */
  targetBit: number;
  /** The bits of the recent elections averaged. */
  recentMask: number;
  segment: SegmentQuery;
}

export class ZoneLevelError extends Error {
  override readonly name = 'ZoneLevelError';
}

/** The zone of a voter's summary row `t` (and registration `v`, for a district level). */
function voterZoneSql(level: ZoneLevel): RawBuilder<string | null> {
  if (level === 'precinct') return sql`case when t.precinct is not null then concat_ws(':', t.county, t.precinct) end`;
  if (level === 'county') return sql`t.county`;
  if (!DISTRICT_KEY.test(level)) throw new ZoneLevelError(`--zone "${level}" is not a district name`);
  return sql`(v.districts ->> ${level})`;
}

/** Whether the level needs the registration itself (a district), not only the summary. */
const needsRegistration = (level: ZoneLevel) => level !== 'precinct' && level !== 'county';

/**
 * The zone a supporter without a matched registration is placed in, from the geocoded record (the geocoder names
 * counties `Durham County` and congressional districts `NC-04`; the voter file `DURHAM` and `4`). Precincts come
 * only from a match.
 */
function geocodedZoneSql(level: ZoneLevel): RawBuilder<string | null> {
  if (level === 'precinct') return sql`null::text`;
  if (level === 'county') return sql`upper(regexp_replace(contacts.county, '\\s+county$', '', 'i'))`;
  if (level === 'congressional') return sql`ltrim(regexp_replace(contacts.congressional, '^[A-Za-z]{2}-', ''), '0')`;
  return sql`(contacts.record #>> ${sql.lit(`{location,districts,${level}}`)})`;
}

/** The number of set bits of `voted & mask`. */
const bitsSet = (column: RawBuilder<unknown>, mask: number) =>
  sql<number>`bit_count((${column} & ${sql.lit(mask)})::bit(32))`;

/** The summary's elections, newest first. */
export async function listZoneElections(db: Kysely<Database>): Promise<ZoneElection[]> {
  const { rows } = await sql<{ position: number; date: string | null; election: string; general: boolean }>`
    select position, to_char(election_date, 'YYYY-MM-DD') as date, election, general
      from voter_elections order by position limit ${sql.lit(TURNOUT_ELECTIONS)}`.execute(db);
  return rows.map((r) => ({ ...r, position: Number(r.position) }));
}

/** Registrations counted by zone and party: one GROUP BY over the summary (joined to `voters` for a district). */
export async function countZoneRegistrations(db: Kysely<Database>, query: ZoneCountsQuery): Promise<ZonePartyCount[]> {
  const zone = voterZoneSql(query.level);
  const join = needsRegistration(query.level) ? sql`join voters v on v.voter_id = t.voter_id` : sql``;
  const { rows } = await sql<{ zone: string; party: string | null; registered: string; voted: string; recent: string }>`
    select ${zone} as zone, t.party, count(*) as registered,
           count(*) filter (where t.voted & ${sql.lit(query.targetBit)} <> 0) as voted,
           coalesce(sum(${bitsSet(sql`t.voted`, query.recentMask)}), 0) as recent
      from voter_turnout t ${join}
     where t.registered and ${zone} is not null
     group by 1, 2`.execute(db);
  return rows.map((r) => ({
    zone: r.zone,
    party: r.party,
    registered: Number(r.registered),
    votedTarget: Number(r.voted),
    recentVotes: Number(r.recent),
  }));
}

/** The segment's supporters with the zone each is placed in, their voter's summary (when matched) and coordinates. */
function supportersSql(query: ZoneCountsQuery): RawBuilder<unknown> {
  const where = segmentWhere(query.segment);
  const voterZone = voterZoneSql(query.level);
  const join = needsRegistration(query.level) ? sql`left join voters v on v.voter_id = t.voter_id` : sql``;
  return sql`
    select contacts.id, t.voted, t.party, t.voter_id is not null as matched,
           coalesce(${voterZone}, ${geocodedZoneSql(query.level)}) as zone,
           contacts.record #> '{location,lon}' as lon, contacts.record #> '{location,lat}' as lat
      from contacts
      left join voter_matches m on m.contact_id = contacts.id and m.state = 'matched'
      left join voter_turnout t on t.voter_id = m.voter_id
      ${join}
     where ${sql.join(where, sql` and `)}`;
}

/** Supporters counted by zone: all, matched, and the matched ones' turnout. */
export async function countZoneSupporters(db: Kysely<Database>, query: ZoneCountsQuery): Promise<ZoneSupporterCount[]> {
  const { rows } = await sql<{ zone: string; supporters: string; matched: string; voted: string; recent: string }>`
    select zone, count(*) as supporters, count(*) filter (where matched) as matched,
           count(*) filter (where matched and voted & ${sql.lit(query.targetBit)} <> 0) as voted,
           coalesce(sum(${bitsSet(sql`voted`, query.recentMask)}) filter (where matched), 0) as recent
      from (${supportersSql(query)}) s
     where zone is not null
     group by zone`.execute(db);
  return rows.map((r) => ({
    zone: r.zone,
    supporters: Number(r.supporters),
    matched: Number(r.matched),
    matchedVotedTarget: Number(r.voted),
    matchedRecentVotes: Number(r.recent),
  }));
}

/** Coordinates are rounded to this many decimals (about 100 m): a point shows the neighbourhood, not the house. */
const POINT_DECIMALS = 3;

/** The segment's geocoded supporters placed in a zone, with coordinates rounded to about 100 m. */
export async function listZoneSupporterPoints(
  db: Kysely<Database>,
  query: ZoneCountsQuery,
): Promise<ZoneSupporterPoint[]> {
  const { rows } = await sql<{ id: string; zone: string; lon: number; lat: number }>`
    select id, zone, round((lon)::text::numeric, ${sql.lit(POINT_DECIMALS)})::float8 as lon,
           round((lat)::text::numeric, ${sql.lit(POINT_DECIMALS)})::float8 as lat
      from (${supportersSql(query)}) s
     where zone is not null and jsonb_typeof(lon) = 'number' and jsonb_typeof(lat) = 'number'
     order by id`.execute(db);
  return rows.map((r) => ({ contactId: r.id, zone: r.zone, lon: Number(r.lon), lat: Number(r.lat) }));
}

/** Matched supporters (placed in a zone) by their registration's party: the default party of favourability. */
export async function countSupporterParties(
  db: Kysely<Database>,
  query: ZoneCountsQuery,
): Promise<Map<string, number>> {
  const { rows } = await sql<{ party: string; n: string }>`
    select coalesce(nullif(trim(party), ''), '(none)') as party, count(*) as n
      from (${supportersSql(query)}) s
     where zone is not null and matched
     group by 1`.execute(db);
  return new Map(rows.map((r) => [r.party, Number(r.n)]));
}
