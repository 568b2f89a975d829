import { levenshtein } from './levenshtein.js';
import { areNicknames } from './nicknames.js';
import type { MatchKeys } from './normalise.js';

/*
 * A Fellegi–Sunter match score (Fellegi and Sunter, "A Theory for Record Linkage", Journal of the American
 * Statistical Association 64(328), 1969). Each field is compared into a level; each level has an m
 * probability (how often a true match shows it) and a u probability (how often a random pair does), and adds
 * log2(m/u) bits of evidence. Exact name agreements use the name's own frequency in the file as u (Splink's
 * term-frequency adjustment: github.com/moj-analytical-services/splink, docs/topic_guides/comparisons/
 * term-frequency.md), so `Linacre` = `Linacre` counts for more than `Smith` = `Smith`; the same goes for the
 * ZIP and the locality. The prior is one voter in N. The score of a candidate is its posterior probability given
 * every candidate found for the supporter (at most one of them can be the supporter), so two candidates that fit
 * equally well share the probability and neither reaches the high threshold.
 *
 * `store/voters/score-sql.ts` compiles these same levels and weights to SQL for the set-based rematch; the
 * tests check that both give the same numbers.
 */

export const FIRST_NAME_LEVELS = ['exact', 'nickname', 'middle', 'typo', 'initial', 'mismatch', 'unknown'] as const;
export type FirstNameLevel = (typeof FIRST_NAME_LEVELS)[number];
export const LAST_NAME_LEVELS = ['exact', 'typo', 'mismatch'] as const;
export type LastNameLevel = (typeof LAST_NAME_LEVELS)[number];
export const ADDRESS_LEVELS = ['exact', 'street', 'zip', 'city', 'none', 'unknown'] as const;
export type AddressLevel = (typeof ADDRESS_LEVELS)[number];
export const BIRTH_YEAR_LEVELS = ['exact', 'near', 'mismatch', 'unknown'] as const;
export type BirthYearLevel = (typeof BIRTH_YEAR_LEVELS)[number];

/** An m probability with either a fixed u, or a frequency-adjusted one (u = count / N, at least `minU`). */
type Level = { m: number; u: number } | { m: number; minU: number };

/**
 * The model's probabilities. Hand-set from what is known of voter files and signups (most supporters type their
 * registered address; about one in ten has moved; a few use a nickname or mistype), then checked against the
 * synthetic truth of `npm run bench:voterfile`.
 */
export const MATCH_MODEL = {
  firstName: {
    exact: { m: 0.86, minU: 1e-4 },
    nickname: { m: 0.05, u: 0.003 },
    middle: { m: 0.02, u: 0.002 },
    typo: { m: 0.04, u: 0.005 },
    initial: { m: 0.01, u: 0.004 },
    mismatch: { m: 0.02, u: 0.93 },
  },
  lastName: {
    exact: { m: 0.92, minU: 5e-5 },
    typo: { m: 0.05, u: 0.002 },
    mismatch: { m: 0.03, u: 0.99 },
  },
  address: {
    /** Same house number and street in the same ZIP or locality: u is one household (HOUSEHOLD voters) in N. */
    exact: { m: 0.8, minU: 0 },
    /** Same street in the same area, another number: u is STREET_SHARE of the area's share. */
    street: { m: 0.02, minU: 0 },
    zip: { m: 0.06, minU: 1e-6 },
    city: { m: 0.04, minU: 1e-6 },
    none: { m: 0.08, u: 0.99 },
  },
  birthYear: {
    exact: { m: 0.95, u: 1 / 75 },
    near: { m: 0.02, u: 2 / 75 },
    mismatch: { m: 0.03, u: 0.96 },
  },
  /** Voters at one address, on average: the u of an exact address is HOUSEHOLD / N. */
  household: 2,
  /** The share of an area's voters on one street. */
  streetShare: 0.02,
} as const satisfies {
  firstName: Record<Exclude<FirstNameLevel, 'unknown'>, Level>;
  lastName: Record<LastNameLevel, Level>;
  address: Record<Exclude<AddressLevel, 'unknown'>, Level>;
  birthYear: Record<Exclude<BirthYearLevel, 'unknown'>, Level>;
  household: number;
  streetShare: number;
};

/** log2, written as the SQL side computes it (`ln(x) / ln(2)`), so both round alike. */
export const bits = (x: number) => Math.log(x) / Math.LN2;

/** The fixed weight of a level whose u does not depend on the values. */
function fixedWeight(level: Level): number {
  if (!('u' in level)) throw new Error('this level is frequency-adjusted');
  return bits(level.m / level.u);
}

/** Weights of the levels with a fixed u, in bits: exported for the SQL compiler and the docs. */
export const FIXED_WEIGHTS = {
  firstName: {
    nickname: fixedWeight(MATCH_MODEL.firstName.nickname),
    middle: fixedWeight(MATCH_MODEL.firstName.middle),
    typo: fixedWeight(MATCH_MODEL.firstName.typo),
    initial: fixedWeight(MATCH_MODEL.firstName.initial),
    mismatch: fixedWeight(MATCH_MODEL.firstName.mismatch),
  },
  lastName: { typo: fixedWeight(MATCH_MODEL.lastName.typo), mismatch: fixedWeight(MATCH_MODEL.lastName.mismatch) },
  address: { none: fixedWeight(MATCH_MODEL.address.none) },
  birthYear: {
    exact: fixedWeight(MATCH_MODEL.birthYear.exact),
    near: fixedWeight(MATCH_MODEL.birthYear.near),
    mismatch: fixedWeight(MATCH_MODEL.birthYear.mismatch),
  },
} as const;

/** Two different names one or two edits apart (two only when both have five letters or more). */
export function isTypo(a: string, b: string): boolean {
  if (a === '' || b === '' || a === b) return false;
  const most = Math.min(a.length, b.length) >= 5 ? 2 : 1;
  // The distance is at least the difference in length: most pairs are settled without computing it.
  return Math.abs(a.length - b.length) <= most && levenshtein(a, b) <= most;
}

export function firstNameLevel(query: MatchKeys, voter: MatchKeys): FirstNameLevel {
  if (query.first === '' || voter.first === '') return 'unknown';
  if (query.first === voter.first) return 'exact';
  if (areNicknames(query.first, voter.first)) return 'nickname';
  if (voter.middle !== '' && query.first === voter.middle) return 'middle';
  if (isTypo(query.first, voter.first)) return 'typo';
  if ((query.first.length === 1 || voter.first.length === 1) && query.first[0] === voter.first[0]) return 'initial';
  return 'mismatch';
}

export function lastNameLevel(query: MatchKeys, voter: MatchKeys): LastNameLevel {
  if (query.last === voter.last) return 'exact';
  return isTypo(query.last, voter.last) ? 'typo' : 'mismatch';
}

export function addressLevel(query: MatchKeys, voter: MatchKeys): AddressLevel {
  if (query.zip5 === undefined && query.locality === undefined && query.streetCore === undefined) return 'unknown';
  const sameZip = query.zip5 !== undefined && query.zip5 === voter.zip5;
  const sameCity = query.locality !== undefined && query.locality === voter.locality;
  const sameStreet = query.streetCore !== undefined && query.streetCore === voter.streetCore;
  if ((sameZip || sameCity) && sameStreet && query.houseNumber !== undefined && query.houseNumber === voter.houseNumber)
    return 'exact';
  if ((sameZip || sameCity) && sameStreet) return 'street';
  if (sameZip) return 'zip';
  if (sameCity) return 'city';
  return 'none';
}

export function birthYearLevel(query: MatchKeys, voter: MatchKeys): BirthYearLevel {
  if (query.birthYear === undefined || voter.birthYear === undefined) return 'unknown';
  const gap = Math.abs(query.birthYear - voter.birthYear);
  return gap === 0 ? 'exact' : gap === 1 ? 'near' : 'mismatch';
}

/** How common the candidate's values are in the file: what the frequency-adjusted levels need. */
export interface CandidateFrequencies {
  /** Voters in the whole file (N). */
  population: number;
  /** Voters with the candidate's first name, family name, ZIP and locality. */
  firstName: number;
  lastName: number;
  zip: number;
  locality: number;
}

export interface LevelWeight<L extends string> {
  level: L;
  /** Evidence in bits: positive for a match, negative against. */
  weight: number;
}

/** Why a candidate scored what it did: each comparison's level and weight, the prior, and their sum. */
export interface ScoreBreakdown {
  prior: number;
  firstName: LevelWeight<FirstNameLevel>;
  lastName: LevelWeight<LastNameLevel>;
  address: LevelWeight<AddressLevel>;
  birthYear: LevelWeight<BirthYearLevel>;
  /** prior + every weight: the log2 odds that this voter is the supporter, before other candidates are weighed. */
  logOdds: number;
}

const share = (count: number, population: number, minU: number) => Math.max(count / population, minU);

/** The log2 odds that `voter` is the supporter described by `query`, with the evidence of each field. */
export function scoreCandidate(query: MatchKeys, voter: MatchKeys, freq: CandidateFrequencies): ScoreBreakdown {
  const n = Math.max(freq.population, 1);
  const model = MATCH_MODEL;

  const first = firstNameLevel(query, voter);
  const firstWeight =
    first === 'unknown'
      ? 0
      : first === 'exact'
        ? bits(model.firstName.exact.m / share(freq.firstName, n, model.firstName.exact.minU))
        : FIXED_WEIGHTS.firstName[first];

  const last = lastNameLevel(query, voter);
  const lastWeight =
    last === 'exact'
      ? bits(model.lastName.exact.m / share(freq.lastName, n, model.lastName.exact.minU))
      : FIXED_WEIGHTS.lastName[last];

  const address = addressLevel(query, voter);
  const areaShare =
    query.zip5 !== undefined && query.zip5 === voter.zip5
      ? share(freq.zip, n, model.address.zip.minU)
      : share(freq.locality, n, model.address.city.minU);
  let addressWeight: number;
  switch (address) {
    case 'exact':
      addressWeight = bits(model.address.exact.m / (model.household / n));
      break;
    case 'street':
      addressWeight = bits(model.address.street.m / (model.streetShare * areaShare));
      break;
    case 'zip':
      addressWeight = bits(model.address.zip.m / share(freq.zip, n, model.address.zip.minU));
      break;
    case 'city':
      addressWeight = bits(model.address.city.m / share(freq.locality, n, model.address.city.minU));
      break;
    case 'none':
      addressWeight = FIXED_WEIGHTS.address.none;
      break;
    case 'unknown':
      addressWeight = 0;
  }

  const year = birthYearLevel(query, voter);
  const yearWeight = year === 'unknown' ? 0 : FIXED_WEIGHTS.birthYear[year];

  const prior = -bits(n);
  return {
    prior,
    firstName: { level: first, weight: firstWeight },
    lastName: { level: last, weight: lastWeight },
    address: { level: address, weight: addressWeight },
    birthYear: { level: year, weight: yearWeight },
    logOdds: prior + firstWeight + lastWeight + addressWeight + yearWeight,
  };
}

/** Where the score must be for a match, and for a review. */
export interface MatchThresholds {
  /** At or above: matched. */
  high: number;
  /** At or above (and below high): ambiguous, kept for review. Below: no match. */
  low: number;
}

/**
 * Defaults for the configuration, from the benchmark's threshold table (`npm run bench:voterfile`): the posteriors
 * are conservative (independence between fields is assumed, and families share names and addresses), so a best
 * candidate at 0.7 was right 99.9% of the time there. A person looks at anything from 0.3.
 */
export const DEFAULT_MATCH_THRESHOLDS: MatchThresholds = { high: 0.7, low: 0.3 };

export interface ScoredCandidate<T> {
  candidate: T;
  breakdown: ScoreBreakdown;
  /** Posterior probability that this candidate is the supporter, given all the candidates found. */
  probability: number;
}

export type MatchDecision<T> =
  | { outcome: 'matched'; best: ScoredCandidate<T>; ranked: ScoredCandidate<T>[] }
  | { outcome: 'ambiguous'; best: ScoredCandidate<T>; ranked: ScoredCandidate<T>[]; probabilityTopTwo: number }
  | { outcome: 'no_match'; best?: ScoredCandidate<T>; ranked: ScoredCandidate<T>[] };

/** Plain code-unit order (SQL's `collate "C"`), the same on every platform and in every database. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Weighs the candidates against each other and decides. Each candidate's probability is 2^L / (1 + Σ 2^L): the 1
 * is "none of them". The best at or above `high` is a match. Otherwise, when the best two together reach `low`
 * (one candidate between the thresholds, or two that fit about equally well), a person must decide; below that
 * there is no match (many weak candidates are not worth a person's time). Ties rank by `tieBreak` so the order never
 * depends on the database.
 */
export function decideMatch<T>(
  candidates: Array<{ candidate: T; breakdown: ScoreBreakdown }>,
  thresholds: MatchThresholds,
  tieBreak: (candidate: T) => string,
): MatchDecision<T> {
  let total = 0;
  for (const c of candidates) total += 2 ** c.breakdown.logOdds;
  const ranked: Array<ScoredCandidate<T>> = candidates.map((c) => ({
    candidate: c.candidate,
    breakdown: c.breakdown,
    probability: 2 ** c.breakdown.logOdds / (1 + total),
  }));
  ranked.sort(
    (a, b) => b.breakdown.logOdds - a.breakdown.logOdds || byCodeUnits(tieBreak(a.candidate), tieBreak(b.candidate)),
  );
  const best = ranked[0];
  if (best === undefined) return { outcome: 'no_match', ranked };
  if (best.probability >= thresholds.high) return { outcome: 'matched', best, ranked };
  const probabilityTopTwo = best.probability + (ranked[1]?.probability ?? 0);
  if (probabilityTopTwo >= thresholds.low) return { outcome: 'ambiguous', best, ranked, probabilityTopTwo };
  return { outcome: 'no_match', best, ranked };
}
