/*
 * What the zone query counts (store/zones.ts) and the report is computed from (zone-report.ts): plain counts, no
 * person in them.
 */

/** Registrations of one zone and party: how many, how many voted in the chosen election, votes over the recent ones. */
export interface ZonePartyCount {
  zone: string;
  party: string | null;
  registered: number;
  votedTarget: number;
  recentVotes: number;
}

/** The supporters placed in one zone (by their matched registration, else their geocoded district). */
export interface ZoneSupporterCount {
  zone: string;
  supporters: number;
  matched: number;
  matchedVotedTarget: number;
  matchedRecentVotes: number;
}

/** One election of the turnout summary, newest first (`position` 0). */
export interface ZoneElection {
  position: number;
  /** `YYYY-MM-DD`, or null when the history gave no date. */
  date: string | null;
  election: string;
  general: boolean;
}

/** A geocoded supporter, for the map without boundaries: where (rounded to about 100 m) and which zone. */
export interface ZoneSupporterPoint {
  contactId: string;
  zone: string;
  lon: number;
  lat: number;
}

/** The elections a report uses: the one whose turnout it shows, and the recent ones it averages. */
export interface ZoneElectionChoice {
  target: ZoneElection;
  recent: ZoneElection[];
}

export class ZoneElectionError extends Error {
  override readonly name = 'ZoneElectionError';
}

/**
 * Picks the elections: `election` (a date `YYYY-MM-DD` or a label, case-insensitive) or else the newest general
 * election (else the newest of all), and the newest `count` elections for the average. Throws naming what is wrong.
 */
export function chooseElections(
  elections: readonly ZoneElection[],
  election: string | undefined,
  count: number,
): ZoneElectionChoice {
  if (elections.length === 0)
    throw new ZoneElectionError('no vote history is loaded; import one with enrich voters import --history');
  if (!Number.isInteger(count) || count < 1 || count > elections.length)
    throw new ZoneElectionError(
      `--elections must be a whole number from 1 to ${elections.length} (the history's elections)`,
    );
  let target: ZoneElection | undefined;
  if (election !== undefined) {
    const wanted = election.trim().toLowerCase();
    target = elections.find((e) => e.date === wanted || e.election.toLowerCase() === wanted);
    if (!target) {
      const known = elections.map((e) => e.date ?? e.election).join(', ');
      throw new ZoneElectionError(`--election "${election}" is not in the vote history; it has ${known}`);
    }
  } else {
    target = elections.find((e) => e.general) ?? elections[0]!;
  }
  return { target, recent: elections.slice(0, count) };
}

/** The bit of one election, and the mask of several, in the summary's `voted` column. */
export const electionBit = (election: ZoneElection) => 1 << election.position;
export const electionMask = (elections: readonly ZoneElection[]) =>
  elections.reduce((mask, e) => mask | electionBit(e), 0);
