import { sql } from 'kysely';
import type { MatchKeys } from '../../domain/voter-matching/normalise.js';
import { nicknamesOf } from '../../domain/voter-matching/nicknames.js';
import type { CandidateFrequencies, MatchThresholds, ScoreBreakdown } from '../../domain/voter-matching/score.js';
import type { VoteFact, VoterFacts } from '../../domain/voter-matching/voter-observation.js';
import { breakdownOfColumns, type ScoreColumns } from './score-sql.js';
import { CANDIDATE_COLUMNS, distinctVotesSql } from './voter-lookup-functions.js';
import { matchKeysOf, type ReviewCandidate, type VoterDb, type VoterRow } from './voter-tables.js';

/** One voter found for a supporter: the registration's id and its match keys (all that scoring reads). */
export interface VoterCandidate {
  voterId: string;
  keys: MatchKeys;
}

/** What is shown and recorded of a registration: its facts, the full name and address, and its address key. */
export interface VoterDetails {
  facts: VoterFacts;
  name: string;
  address: string | null;
  addressKey: string | null;
}

export interface CandidateSearch {
  /** The active import, or null before the first import. */
  importId: string | null;
  /**
   * How common the supporter's own first name, family name, ZIP and locality are in the current file, and N. The
   * score reads a frequency only where the candidate has the same value as the supporter (an exact name, the same
   * ZIP or locality), so the supporter's counts serve every candidate: four lookups per search, not four per candidate.
   */
  frequencies: CandidateFrequencies;
  candidates: VoterCandidate[];
}

/** Where each column sits in a candidate's array. */
const AT = Object.fromEntries(CANDIDATE_COLUMNS.map((column, i) => [column, i])) as Record<
  (typeof CANDIDATE_COLUMNS)[number],
  number
>;

/** A candidate from its array, in CANDIDATE_COLUMNS order (JSON gives null for a missing key). */
function candidateOf(values: unknown[]): VoterCandidate {
  const keys = matchKeysOf({
    first_norm: values[AT.first_norm] as string,
    middle_norm: values[AT.middle_norm] as string,
    last_norm: values[AT.last_norm] as string,
    last_phonetic: values[AT.last_phonetic] as string,
    birth_year: values[AT.birth_year] as number | null,
    house_number: values[AT.house_number] as string | null,
    street_core: values[AT.street_core] as string | null,
    zip5: values[AT.zip5] as string | null,
    city_norm: values[AT.city_norm] as string | null,
  });
  return { voterId: values[AT.voter_id] as string, keys };
}

const candidatesOf = (json: unknown[][]): VoterCandidate[] => json.map(candidateOf);

/** What `voter_stage_one` returns besides the candidates: the file and the supporter's frequencies. */
interface FileRow {
  import_id: string | null;
  population: number | null;
  first_count: number;
  last_count: number;
  zip_count: number;
  city_count: number;
}

/** The address key a move is detected by: house number, street and ZIP (or locality). */
export function addressKeyOf(keys: Pick<MatchKeys, 'houseNumber' | 'streetCore' | 'zip5' | 'locality'>): string | null {
  if (keys.streetCore === undefined && keys.zip5 === undefined) return null;
  return [keys.houseNumber ?? '', keys.streetCore ?? '', keys.zip5 ?? keys.locality ?? ''].join('|');
}

/**
 * Stage one of blocking, in one round trip: voters with the supporter's phonetic family name in the same ZIP (or,
 * without a ZIP, the same locality), or anywhere in the file with the same first name and birth year (someone who
 * moved) — each arm has its own index —, with the active file and the supporter's frequencies. Nothing when no
 * file was ever imported.
 */
export async function findBlockedVoters(db: VoterDb, keys: MatchKeys): Promise<CandidateSearch> {
  const { rows } = await sql<FileRow & { candidates: unknown[][] }>`
    select * from voter_stage_one(${keys.first}, ${keys.last}, ${keys.lastPhonetic}, ${keys.birthYear ?? null}::integer, ${keys.zip5 ?? null}, ${keys.locality ?? null})`.execute(
    db,
  );
  const file = rows[0];
  return {
    importId: file?.import_id ?? null,
    frequencies: {
      population: file?.population ?? 0,
      firstName: file?.first_count ?? 0,
      lastName: file?.last_count ?? 0,
      zip: file?.zip_count ?? 0,
      locality: file?.city_count ?? 0,
    },
    candidates: file ? candidatesOf(file.candidates) : [],
  };
}

/**
 * Stage two, when stage one found no match: voters in the same ZIP (or locality, without a ZIP) whose family name is
 * trigram-similar to the supporter's (a misspelling that changed the phonetic code: `Smiht`). The similar names come
 * from the trigram index of the ZIP's own family names (`voter_zip_names`, one partition read), or without a ZIP of
 * the file's (`voter_name_counts`), and each name's phonetic code leads to its voters through the blocking index. A
 * similar name with the supporter's own phonetic code is left out: stage one found its voters there already.
 */
export async function findSimilarNameVoters(db: VoterDb, keys: MatchKeys): Promise<VoterCandidate[]> {
  if (keys.zip5 === undefined && keys.locality === undefined) return [];
  const { rows } = await sql<{ candidates: unknown[][] }>`
    select voter_similar_names(${keys.last}, ${keys.lastPhonetic}, ${keys.zip5 ?? null}, ${keys.locality ?? null}) as candidates`.execute(
    db,
  );
  return candidatesOf(rows[0]?.candidates ?? []);
}

/**
 * The elections each voter took part in, one per election (the file repeats an election when its method label
 * changed), or null when no history file was ever loaded.
 */
export async function findVotes(db: VoterDb, voterIds: string[]): Promise<Map<string, VoteFact[]> | null> {
  const [before, after] = distinctVotesSql('voter_id in (select jsonb_array_elements_text(:ids::jsonb))').split(':ids');
  const { rows } = await sql<{
    loaded: boolean;
    voter_id: string | null;
    date: string | null;
    election: string | null;
    method: string | null;
    party: string | null;
  }>`
    select h.loaded, x.voter_id, x.date, x.election, x.method, x.party
      from (select exists (select 1 from voter_votes) as loaded) h
      left join (${sql.raw(before!)}${JSON.stringify(voterIds)}${sql.raw(after!)}) x on true`.execute(db);
  if (!rows[0]?.loaded) return null;
  const votes = new Map<string, VoteFact[]>(voterIds.map((id) => [id, []]));
  for (const row of rows) {
    if (row.voter_id !== null)
      votes
        .get(row.voter_id)
        ?.push({ date: row.date, election: row.election ?? '', method: row.method, party: row.party });
  }
  return votes;
}

/** What the `voter` observation reports of a registration, from its columns (the date as `YYYY-MM-DD`). */
export function voterFactsOf(
  row: Pick<VoterRow, 'voter_id' | 'status' | 'party' | 'precinct' | 'registration_date' | 'county'> & {
    districts: Record<string, string> | null;
  },
): VoterFacts {
  return {
    voterId: row.voter_id,
    status: row.status,
    party: row.party,
    precinct: row.precinct,
    registrationDate: row.registration_date,
    districts: row.districts ?? {},
    county: row.county,
  };
}

function detailsOf(row: Omit<VoterRow, 'source_line'>): VoterDetails {
  return {
    facts: voterFactsOf(row),
    name: [row.first_name, row.middle_name, row.last_name, row.name_suffix].filter(Boolean).join(' '),
    address: [row.res_address, row.city, row.state, row.zip5].filter(Boolean).join(', ') || null,
    addressKey: addressKeyOf(matchKeysOf(row)),
  };
}

/** A registration as a match records it: its details, and its votes (null when no history file was ever loaded). */
export type RecordedVoter = VoterDetails & { votes: VoteFact[] | null };

/** What a lookup decided for a contact, to keep as its current state. */
export type VoterDecisionRecord =
  | { state: 'matched'; voterId: string; score: number; importId: string | null }
  | { state: 'ambiguous'; candidates: ReviewCandidate[]; probabilityTopTwo: number; importId: string | null }
  | { state: 'no_match'; importId: string | null };

/**
 * Records the decision as the contact's current state (what the next rematch compares against), and keeps the
 * candidates of an ambiguous one for review; a match or a no-match closes an open review. Idempotent. One statement
 * either way: for a match, the registration and its votes are read by the same statement and returned (for the
 * observation), or null when that voter is no longer in the file (another import was swapped in meanwhile).
 */
export async function recordVoterDecision(
  db: VoterDb,
  contactId: string,
  decision: VoterDecisionRecord,
  decidedBy: 'lookup' | 'rematch',
): Promise<RecordedVoter | null> {
  const now = new Date();
  if (decision.state === 'matched') {
    const { rows } = await sql<{ recorded: RecordedJson | null }>`
      select voter_record_match(${contactId}, ${decision.voterId}, ${decision.score}::float8, ${decision.importId}::bigint, ${decidedBy}, ${now}) as recorded`.execute(
      db,
    );
    const recorded = rows[0]?.recorded;
    return recorded ? recordedVoterOf(recorded) : null;
  }
  const review = decision.state === 'ambiguous' ? decision : undefined;
  await sql`
    select voter_record_decision(${contactId}, ${decision.state}, ${decision.importId}::bigint, ${decidedBy}, ${now},
                                 ${review ? JSON.stringify(review.candidates) : null}::jsonb, ${review?.probabilityTopTwo ?? null}::float8)`.execute(
    db,
  );
  return null;
}

/** What `voter_record_match` returns: the registration as shown and recorded, and its votes. */
interface RecordedJson {
  row: Omit<VoterRow, 'source_line'>;
  votesLoaded: boolean;
  votes: Array<[string | null, string, string | null, string | null]>;
}

function recordedVoterOf(recorded: RecordedJson): RecordedVoter {
  const votes = recorded.votesLoaded
    ? recorded.votes.map(([date, election, method, party]) => ({ date, election, method, party }))
    : null;
  return { ...detailsOf(recorded.row), votes };
}

/** One candidate of an ambiguous database match: its probability, why it scored so, and what a reviewer reads. */
export interface AmbiguousCandidate {
  voterId: string;
  probability: number;
  breakdown: ScoreBreakdown;
  name: string;
  address: string | null;
  birthYear: number | null;
}

/** What a lookup in the database decided (see matchVoterInDatabase). */
export type DatabaseMatch =
  | { outcome: 'no_match'; importId: string | null }
  | { outcome: 'matched'; importId: string; probability: number; breakdown: ScoreBreakdown; recorded: RecordedVoter }
  | { outcome: 'ambiguous'; importId: string; probabilityTopTwo: number; candidates: AmbiguousCandidate[] };

/** `voter_match`'s answer, as JSON. */
type MatchJson =
  | { outcome: 'no_match'; importId: string | null }
  | { outcome: 'matched'; importId: string; probability: number; breakdown: ScoreColumns; recorded: RecordedJson }
  | {
      outcome: 'ambiguous';
      importId: string;
      probabilityTopTwo: number;
      candidates: Array<
        ScoreColumns & {
          voter_id: string;
          probability: number;
          name: string;
          address: string | null;
          voter_birth_year: number | null;
        }
      >;
    };

/**
 * A whole lookup in one round trip: the `voter_match` database function blocks, scores (score.ts compiled to SQL,
 * as the rematch does), decides, and records a match or a no match as the contact's state; an ambiguous outcome
 * comes back with its best few candidates for the caller to keep for review (recordVoterDecision). Where the time
 * goes online is round trips and moving candidates to this process: a match is one statement and a few hundred
 * bytes. `matchVoter` (activities/providers/voterfile.ts) is the same lookup in JavaScript, the reference the tests
 * hold this one to. `country` is the supporter's (`countryOfAddress`; undefined when unknown): one that is not the
 * active file's is a no match.
 */
export async function matchVoterInDatabase(
  db: VoterDb,
  contactId: string,
  keys: MatchKeys,
  thresholds: MatchThresholds,
  decidedBy: 'lookup' | 'rematch',
  country: string | undefined,
): Promise<DatabaseMatch> {
  const { rows } = await sql<{ result: MatchJson }>`
    select voter_match(${contactId}, ${keys.first}, ${keys.middle}, ${keys.last}, ${keys.lastPhonetic}, ${keys.birthYear ?? null}::integer,
                       ${keys.houseNumber ?? null}, ${keys.streetCore ?? null}, ${keys.zip5 ?? null}, ${keys.locality ?? null},
                       ${nicknamesOf(keys.first)}::text[], ${thresholds.high}::float8, ${thresholds.low}::float8, ${decidedBy}, ${new Date()},
                       ${country ?? null}::text) as result`.execute(db);
  const result = rows[0]!.result;
  switch (result.outcome) {
    case 'no_match':
      return result;
    case 'matched':
      return { ...result, breakdown: breakdownOfColumns(result.breakdown), recorded: recordedVoterOf(result.recorded) };
    case 'ambiguous':
      return {
        ...result,
        candidates: result.candidates.map((c) => ({
          voterId: c.voter_id,
          probability: c.probability,
          breakdown: breakdownOfColumns(c),
          name: c.name,
          address: c.address,
          birthYear: c.voter_birth_year,
        })),
      };
  }
}

/** The open review of a contact's voter match, if any. */
export async function findVoterReview(db: VoterDb, contactId: string) {
  return db.selectFrom('voter_match_reviews').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
}
