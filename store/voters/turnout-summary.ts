/*
 * The per-voter turnout summary that zone reports read (migration 0012, rebuilt by every voter import): instead of
 * the history's one row per vote (5 million rows for a million voters and five elections), one narrow row per voter
 * with the zone keys, the party, whether the registration counts, and a bitmask of the recent elections voted in.
 * A zone report is then one GROUP BY over that table, read once.
 */

/** Elections the bitmask covers, newest first: bit i is the election at position i (an int4 keeps 31 bits). */
export const TURNOUT_ELECTIONS = 31;

/** Statuses that are not a registration any more: a removed or denied voter is not counted in a zone. */
export const UNREGISTERED_STATUSES = ['removed', 'denied'] as const;

/** The summary's tables, live or being built beside the live ones. */
export interface TurnoutTables {
  /** `voter_elections`: the newest TURNOUT_ELECTIONS elections of the history, with their bit position. */
  elections: string;
  /** `voter_turnout`: one row per voter. */
  turnout: string;
}

/**
 * The newest elections of `votes`, numbered from 0 (newest). `general` says the label names a general election
 * (NCSBE's `11/05/2024 GENERAL`), the default of "turnout at the last general". `votes` counts history rows (a vote
 * relabelled under two methods counts twice), for display only.
 */
export function createElectionsSql(tables: TurnoutTables, votes: string): string {
  return `create table ${tables.elections} as
    select (row_number() over (order by election_date desc nulls last, election desc) - 1)::smallint as position,
           election_date, election, election ~* 'general' as general, votes::integer as votes
      from (select election_date, election, count(*) as votes from ${votes} group by election_date, election) e
     order by position
     limit ${TURNOUT_ELECTIONS}`;
}

/** Dates compared as hashable values (a vote may have no date): a hash join instead of a nested loop. */
const dateKey = (column: string) => `coalesce(${column}, '-infinity'::date)`;

/**
 * One row per voter: zone keys, party, `registered` (not removed or denied) and `voted`, the bitmask of the summary's
 * elections the voter took part in (0 when none). Each voter's bits are OR-ed in one hash aggregate over the votes.
 */
export function createTurnoutSql(tables: TurnoutTables, voters: string, votes: string): string {
  const unregistered = UNREGISTERED_STATUSES.map((s) => `'${s}'`).join(', ');
  return `create table ${tables.turnout} as
    select v.voter_id, v.county, v.precinct, v.party,
           (v.status is null or v.status not in (${unregistered})) as registered,
           coalesce(h.voted, 0) as voted
      from ${voters} v
      left join (select x.voter_id, bit_or(1 << e.position) as voted
                   from ${votes} x
                   join ${tables.elections} e on e.election = x.election
                    and ${dateKey('e.election_date')} = ${dateKey('x.election_date')}
                  group by x.voter_id) h on h.voter_id = v.voter_id`;
}
