import type { Kysely } from 'kysely';
import { countryOfAddress } from '../../schemas/address-country.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import type { Database } from '../../store/database.js';
import {
  findBlockedVoters,
  findSimilarNameVoters,
  matchVoterInDatabase,
  recordVoterDecision,
  type AmbiguousCandidate,
  type VoterCandidate,
} from '../../store/voters/voter-lookups.js';
import {
  REVIEW_MAX_CANDIDATES,
  REVIEW_MIN_PROBABILITY,
  withVoterTables,
  type ReviewCandidate,
  type VoterDb,
} from '../../store/voters/voter-tables.js';
import { supporterMatchKeys, type MatchKeys } from '../../domain/voter-matching/normalise.js';
import {
  decideMatch,
  scoreCandidate,
  type CandidateFrequencies,
  type MatchDecision,
  type MatchThresholds,
} from '../../domain/voter-matching/score.js';
import { roundedBreakdown, roundScore, voterObservationValue } from '../../domain/voter-matching/voter-observation.js';
import { invalidInput, LookupError } from './lookup-error.js';
import type { Provider, ProviderAnswer } from './provider.js';

export interface VoterfileProviderOptions {
  /** A candidate at or above this probability is the supporter. */
  highThreshold: number;
  /** From here up to `highThreshold` (or two candidates that together reach it), a person decides. */
  lowThreshold: number;
}

/** What the voter-file lookup reads from its input: the signup's name, address and (when the plan passes it) birth year. */
export type VoterLookupInput = LookupInput & { birthYear?: number | undefined };

/** The supporter's match keys, or undefined when there is too little to match on (see `supporterMatchKeys`). */
export function voterLookupKeys(input: VoterLookupInput): MatchKeys | undefined {
  const address = input.postalAddress;
  return supporterMatchKeys({
    givenName: input.givenName,
    familyName: input.familyName,
    birthYear: input.birthYear,
    street: address?.lines?.[0],
    postalCode: address?.postalCode,
    locality: address?.locality,
  });
}

export interface VoterMatch {
  importId: string | null;
  decision: MatchDecision<VoterCandidate>;
}

function decide(
  keys: MatchKeys,
  candidates: VoterCandidate[],
  frequencies: CandidateFrequencies,
  thresholds: MatchThresholds,
): MatchDecision<VoterCandidate> {
  const scored = candidates.map((candidate) => ({
    candidate,
    breakdown: scoreCandidate(keys, candidate.keys, frequencies),
  }));
  return decideMatch(scored, thresholds, (c) => c.voterId);
}

/**
 * The lookup in JavaScript, the reference for the one the provider makes in the database (matchVoterInDatabase):
 * stage one's blocks, and when they give no match, the trigram stage added to them; then every candidate is scored
 * by score.ts and weighed against the others. A supporter of another country than the active file's (`country`, as
 * `countryOfAddress` reads it; undefined = unknown, searched) has no candidate. The tests hold the database lookup and `enrich voters rematch`
 * (store/voters/rematch-voters.ts) to its decisions and scores.
 */
export async function matchVoter(
  db: VoterDb,
  keys: MatchKeys,
  thresholds: MatchThresholds,
  country: string | undefined,
): Promise<VoterMatch> {
  if (country !== undefined) {
    const file = await db
      .selectFrom('voter_imports')
      .select(['id', 'country'])
      .where('state', '=', 'active')
      .executeTakeFirst();
    if (file && file.country !== country) return { importId: file.id, decision: { outcome: 'no_match', ranked: [] } };
  }
  const blocked = await findBlockedVoters(db, keys);
  let decision = decide(keys, blocked.candidates, blocked.frequencies, thresholds);
  if (decision.outcome !== 'matched' && blocked.importId !== null) {
    const similar = await findSimilarNameVoters(db, keys);
    const seen = new Set(blocked.candidates.map((c) => c.voterId));
    const added = similar.filter((c) => !seen.has(c.voterId));
    if (added.length) decision = decide(keys, [...blocked.candidates, ...added], blocked.frequencies, thresholds);
  }
  return { importId: blocked.importId, decision };
}

/** The candidates of an ambiguous match as kept for review: the likeliest few, with why each scored so. */
export function reviewCandidates(candidates: AmbiguousCandidate[]): ReviewCandidate[] {
  return candidates
    .filter((c, i) => i < 2 || c.probability >= REVIEW_MIN_PROBABILITY)
    .slice(0, REVIEW_MAX_CANDIDATES)
    .map((c) => ({
      voterId: c.voterId,
      probability: roundScore(c.probability),
      name: c.name,
      address: c.address,
      birthYear: c.birthYear,
      breakdown: roundedBreakdown(c.breakdown),
    }));
}

/**
 * The `voterfile` provider: matches a supporter to one registration of the imported voter file (store/voters),
 * locally, in the database; no network. Matched → one `voter` observation (voter id, status, party, precinct,
 * registration date, districts, votes when a history was loaded, the match score and its breakdown), with the
 * score as confidence. Ambiguous → the candidates go to `voter_match_reviews` and the lookup fails with
 * `AmbiguousMatch` (not retried; the contact is flagged). No candidate good enough, or a supporter of another
 * country than the file's (`countryOfAddress`: a code postal may be a US ZIP too) → no_match. Each decision is also
 * kept in `voter_matches`, which `enrich voters rematch` compares the next file against.
 */
export function createVoterfileProvider(db: Kysely<Database>, options: VoterfileProviderOptions): Provider {
  if (!(options.lowThreshold > 0 && options.lowThreshold <= options.highThreshold && options.highThreshold <= 1)) {
    throw new Error(
      `voterfile: thresholds must satisfy 0 < low (${options.lowThreshold}) <= high (${options.highThreshold}) <= 1`,
    );
  }
  const voters = withVoterTables(db);
  const thresholds: MatchThresholds = { high: options.highThreshold, low: options.lowThreshold };

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    const keys = voterLookupKeys(input);
    if (keys === undefined) {
      throw invalidInput('voterfile', 'a given name, a family name and a ZIP or locality are needed');
    }
    // One statement blocks, scores, decides and records a match or a no match.
    const contactId = input.contactKey;
    const match = await matchVoterInDatabase(
      voters,
      contactId,
      keys,
      thresholds,
      'lookup',
      countryOfAddress(input.postalAddress),
    );
    signal?.throwIfAborted();
    if (match.outcome === 'ambiguous') {
      const candidates = reviewCandidates(match.candidates);
      await recordVoterDecision(
        voters,
        contactId,
        { state: 'ambiguous', candidates, probabilityTopTwo: match.probabilityTopTwo, importId: match.importId },
        'lookup',
      );
      throw new LookupError(
        LOOKUP_ERROR_TYPES.ambiguousMatch,
        `voterfile: ${candidates.length} registrations could be this supporter (best ${roundScore(match.candidates[0]!.probability)}); kept for review`,
      );
    }
    if (match.outcome === 'no_match') return { outcome: 'no_match', observations: [] };
    const observation: ObservationInput = {
      field: 'voter',
      value: voterObservationValue(
        match.recorded.facts,
        match.recorded.votes,
        match.probability,
        roundedBreakdown(match.breakdown),
      ),
      confidence: roundScore(match.probability),
      fetchedAt: new Date().toISOString(),
    };
    return { outcome: 'matched', observations: [observation] };
  }

  return { name: 'voterfile', lookup, close: () => Promise.resolve() };
}
