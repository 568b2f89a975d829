import type { JsonValue } from '../../schemas/lookup.js';
import type { ScoreBreakdown } from './score.js';

/** What the voter file says about one registration, as the record shows it. */
export interface VoterFacts {
  voterId: string;
  status: string | null;
  party: string | null;
  precinct: string | null;
  /** `YYYY-MM-DD`. */
  registrationDate: string | null;
  districts: Record<string, string>;
  county: string | null;
}

/** One election the voter took part in (ncvhis). */
export interface VoteFact {
  /** `YYYY-MM-DD`, or null when the file's label is not a date. */
  date: string | null;
  election: string;
  method: string | null;
  party: string | null;
}

/** At most this many elections are listed in the record, newest first; `voteCount` counts them all. */
export const MAX_VOTES_LISTED = 20;

const round = (x: number, places = 3) => Math.round(x * 10 ** places) / 10 ** places;

/** A breakdown with its weights rounded to a thousandth of a bit: readable, and stable across platforms. */
export function roundedBreakdown(b: ScoreBreakdown): JsonValue {
  const lw = (x: { level: string; weight: number }) => ({ level: x.level, weight: round(x.weight) });
  return {
    prior: round(b.prior),
    firstName: lw(b.firstName),
    lastName: lw(b.lastName),
    address: lw(b.address),
    birthYear: lw(b.birthYear),
    logOdds: round(b.logOdds),
  };
}

/** A probability as stored: four decimals. */
export const roundScore = (p: number) => round(p, 4);

/**
 * The value of a `voter` observation (schemas/contact-record.ts `VoterSchema`): the registration's facts, the
 * elections voted in (only when a history file was loaded; `null` votes means "not known", not "never voted"),
 * the match score and why.
 */
export function voterObservationValue(
  facts: VoterFacts,
  votes: VoteFact[] | null,
  matchScore: number,
  breakdown: JsonValue | null,
): { [key: string]: JsonValue } {
  const sorted =
    votes === null
      ? null
      : [...votes].sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '') || a.election.localeCompare(b.election));
  return {
    voterId: facts.voterId,
    status: facts.status,
    party: facts.party,
    precinct: facts.precinct,
    registrationDate: facts.registrationDate,
    county: facts.county,
    districts: facts.districts,
    ...(sorted === null
      ? {}
      : {
          votes: sorted
            .slice(0, MAX_VOTES_LISTED)
            .map((v) => ({ date: v.date, election: v.election, method: v.method, party: v.party })),
          voteCount: sorted.length,
        }),
    matchScore: roundScore(matchScore),
    ...(breakdown === null ? {} : { scoreBreakdown: breakdown }),
  };
}

/** What a rematch saw change for a contact: reported as a `voter.change` observation. */
export type VoterChangeKind = 'new_match' | 'moved' | 'updated' | 'dropped' | 'other_voter';
