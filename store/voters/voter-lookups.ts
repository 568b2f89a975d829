import { sql, type RawBuilder } from 'kysely';
import type { MatchKeys } from '../../activities/voter-matching/normalise.js';
import type { CandidateFrequencies } from '../../activities/voter-matching/score.js';
import type { VoteFact, VoterFacts } from '../../activities/voter-matching/voter-observation.js';
import { MATCH_KEY_COLUMNS, matchKeysOf, VOTER_COLUMNS, type MatchKeyColumns, type ReviewCandidate, type VoterDb, type VoterRow } from './voter-tables.js';

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

/** A candidate as the queries read it: the voter id and the match key columns. */
type CandidateRow = MatchKeyColumns & { voter_id: string };

/** The columns a candidate is read with, in order: the voter id and the match keys. */
const CANDIDATE_COLUMNS = ['voter_id', ...Object.values(MATCH_KEY_COLUMNS)] as const;

/**
 * The candidates of a search as one JSON array of arrays (one per voter, in CANDIDATE_COLUMNS order): one value to
 * decode instead of dozens of rows of ten fields, which is most of a lookup's CPU in Node.
 */
const candidatesJson = sql.raw(`coalesce(json_agg(json_build_array(${CANDIDATE_COLUMNS.map((c) => `v.${c}`).join(', ')})), '[]'::json)`);

function candidatesOf(json: unknown[][]): VoterCandidate[] {
  return json.map((values) => {
    const row = {} as Record<(typeof CANDIDATE_COLUMNS)[number], unknown>;
    for (let i = 0; i < CANDIDATE_COLUMNS.length; i++) row[CANDIDATE_COLUMNS[i]!] = values[i] ?? null;
    return { voterId: row.voter_id as string, keys: matchKeysOf(row as CandidateRow) };
  });
}

/** What the first-stage query adds to each row: the file and the supporter's frequencies. */
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

/** The same address key as `addressKeyOf`, for a voter row `v`, in SQL. */
export const ADDRESS_KEY_SQL = `case when v.street_core is null and v.zip5 is null then null
  else coalesce(v.house_number, '') || '|' || coalesce(v.street_core, '') || '|' || coalesce(v.zip5, v.city_norm, '') end`;


/** The columns of a registration as shown and recorded (the date as text), from the one list of `voters`' columns. */
const detailColumns = sql.raw(
  VOTER_COLUMNS.filter((c) => c !== 'source_line')
    .map((c) => (c === 'registration_date' ? `to_char(v.registration_date, 'YYYY-MM-DD') as registration_date` : `v.${c}`))
    .join(', '),
);

/** How many voters of the current file have `name` as their `kind` (0 when none, or when there is no name). */
const countOf = (kind: string, name: string | undefined) =>
  sql`coalesce((select n from voter_name_counts where kind = ${kind} and name = ${name ?? null}), 0)::int`;

/**
 * The locality blocks on only when the supporter gave no ZIP: a city can hold hundreds of thousands of voters
 * (thousands of Smiths in Charlotte), a ZIP some thousands.
 */
const cityBlock = (keys: MatchKeys) => (keys.zip5 === undefined ? (keys.locality ?? null) : null);

/**
 * Stage one of blocking, in one round trip: voters with the supporter's phonetic family name in the same ZIP (or,
 * without a ZIP, the same locality), or anywhere in the file with the same first name and birth year (someone who
 * moved) — each arm has its own index —, with the active file and the supporter's frequencies. Nothing when no
 * file was ever imported.
 */
export async function findBlockedVoters(db: VoterDb, keys: MatchKeys): Promise<CandidateSearch> {
  const { rows } = await sql<FileRow & { candidates: unknown[][] }>`
    select f.id::text as import_id, f.voters as population,
           ${countOf('first', keys.first || undefined)} as first_count, ${countOf('last', keys.last)} as last_count,
           ${countOf('zip', keys.zip5)} as zip_count, ${countOf('city', keys.locality)} as city_count,
           (select ${candidatesJson}
              from voters v
             where (v.zip5 = ${keys.zip5 ?? null} and v.last_phonetic = ${keys.lastPhonetic})
                or (v.city_norm = ${cityBlock(keys)} and v.last_phonetic = ${keys.lastPhonetic})
                or (v.last_phonetic = ${keys.lastPhonetic} and v.birth_year = ${keys.birthYear ?? null} and v.first_norm = ${keys.first})) as candidates
      from voter_imports f where f.state = 'active'`.execute(db);
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
 * trigram-similar to the supporter's (a misspelling that changed the phonetic code: `Smiht`). The similar names
 * come from the trigram index over the file's distinct family names, and each name's phonetic code leads to its
 * voters in that ZIP through the blocking index, so the search stays small. A similar name with the supporter's own
 * phonetic code is left out: stage one found its voters in that ZIP already.
 */
export async function findSimilarNameVoters(db: VoterDb, keys: MatchKeys): Promise<VoterCandidate[]> {
  const area: RawBuilder<unknown> | undefined =
    keys.zip5 !== undefined ? sql`v.zip5 = ${keys.zip5}` : keys.locality !== undefined ? sql`v.city_norm = ${keys.locality}` : undefined;
  if (area === undefined) return [];
  const { rows } = await sql<{ candidates: unknown[][] }>`
    select ${candidatesJson} as candidates
      from voter_name_counts s
      join voters v on ${area} and v.last_phonetic = s.phonetic and v.last_norm = s.name
     where s.kind = 'last' and s.name % ${keys.last} and s.phonetic <> ${keys.lastPhonetic}`.execute(db);
  return candidatesOf(rows[0]?.candidates ?? []);
}

/**
 * The elections each voter took part in, one per election (the file repeats an election when its method label
 * changed), or null when no history file was ever loaded.
 */
export async function findVotes(db: VoterDb, voterIds: string[]): Promise<Map<string, VoteFact[]> | null> {
  const { rows } = await sql<{ loaded: boolean; voter_id: string | null; date: string | null; election: string | null; method: string | null; party: string | null }>`
    select h.loaded, x.voter_id, x.date, x.election, x.method, x.party
      from (select exists (select 1 from voter_votes) as loaded) h
      left join (${distinctVotes(sql`voter_id in (select jsonb_array_elements_text(${JSON.stringify(voterIds)}::jsonb))`)}) x on true`.execute(db);
  if (!rows[0]?.loaded) return null;
  const votes = new Map<string, VoteFact[]>(voterIds.map((id) => [id, []]));
  for (const row of rows) {
    if (row.voter_id !== null) votes.get(row.voter_id)?.push({ date: row.date, election: row.election ?? '', method: row.method, party: row.party });
  }
  return votes;
}

/** The votes of the voters `where` selects, one per election (see findVotes). */
const distinctVotes = (where: RawBuilder<unknown>) => sql`
  select distinct on (voter_id, coalesce(election_date::text, election))
         voter_id, to_char(election_date, 'YYYY-MM-DD') as date, election, method, party
    from voter_votes
   where ${where}
   order by voter_id, coalesce(election_date::text, election), source_line`;

/** What is shown and recorded of some registrations of the current file, by voter id. */
export async function findVoterDetails(db: VoterDb, voterIds: string[]): Promise<Map<string, VoterDetails>> {
  const { rows } = await sql<Omit<VoterRow, 'source_line'>>`
    select ${detailColumns} from voters v where v.voter_id in (select jsonb_array_elements_text(${JSON.stringify(voterIds)}::jsonb))`.execute(db);
  return new Map(rows.map((row) => [row.voter_id, detailsOf(row)]));
}

function detailsOf(row: Omit<VoterRow, 'source_line'>): VoterDetails {
  return {
    facts: {
      voterId: row.voter_id,
      status: row.status,
      party: row.party,
      precinct: row.precinct,
      registrationDate: row.registration_date,
      districts: row.districts ?? {},
      county: row.county,
    },
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
export async function recordVoterDecision(db: VoterDb, contactId: string, decision: VoterDecisionRecord, decidedBy: 'lookup' | 'rematch'): Promise<RecordedVoter | null> {
  const now = new Date();
  const upsert = sql.raw(`on conflict (contact_id) do update set state = excluded.state, voter_id = excluded.voter_id, score = excluded.score,
        address_key = excluded.address_key, precinct = excluded.precinct, status = excluded.status, party = excluded.party,
        registration_date = excluded.registration_date, districts = excluded.districts, import_id = excluded.import_id,
        decided_by = excluded.decided_by, updated_at = excluded.updated_at`);
  if (decision.state === 'matched') {
    const { rows } = await sql<Omit<VoterRow, 'source_line'> & { votes_loaded: boolean; votes: Array<[string | null, string, string | null, string | null]> }>`
      with v as (select * from voters where voter_id = ${decision.voterId}), state as (
        insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
        select ${contactId}, 'matched', v.voter_id, ${decision.score}, ${sql.raw(ADDRESS_KEY_SQL)}, v.precinct, v.status, v.party, v.registration_date,
               v.districts, ${decision.importId}::bigint, ${decidedBy}, ${now}
          from v
        ${upsert}
        returning contact_id
      ), closed as (
        delete from voter_match_reviews where contact_id = ${contactId} and exists (select 1 from v) returning contact_id
      )
      select ${detailColumns}, exists (select 1 from voter_votes) as votes_loaded,
             (select coalesce(json_agg(json_build_array(x.date, x.election, x.method, x.party)), '[]'::json)
                from (${distinctVotes(sql`voter_id = ${decision.voterId}`)}) x) as votes
        from v`.execute(db);
    const row = rows[0];
    if (!row) return null;
    const votes = row.votes_loaded ? row.votes.map(([date, election, method, party]) => ({ date, election, method, party })) : null;
    return { ...detailsOf(row), votes };
  }
  const review = decision.state === 'ambiguous' ? decision : undefined;
  await sql`
    with state as (
      insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
      values (${contactId}, ${decision.state}, null, null, null, null, null, null, null, null, ${decision.importId}::bigint, ${decidedBy}, ${now})
      ${upsert}
      returning contact_id
    ), opened as (
      insert into voter_match_reviews (contact_id, import_id, candidates, probability_top_two, decided_by, updated_at)
      select ${contactId}, ${decision.importId}::bigint, ${review ? JSON.stringify(review.candidates) : null}::jsonb, ${review?.probabilityTopTwo ?? null}::float8, ${decidedBy}, ${now}
       where ${review !== undefined}
      on conflict (contact_id) do update set import_id = excluded.import_id, candidates = excluded.candidates,
        probability_top_two = excluded.probability_top_two, decided_by = excluded.decided_by, updated_at = excluded.updated_at
      returning contact_id
    )
    delete from voter_match_reviews where contact_id = ${contactId} and ${review === undefined}`.execute(db);
  return null;
}

/** The open review of a contact's voter match, if any. */
export async function findVoterReview(db: VoterDb, contactId: string) {
  return db.selectFrom('voter_match_reviews').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
}
