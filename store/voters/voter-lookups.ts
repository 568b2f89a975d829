import { sql } from 'kysely';
import type { MatchKeys } from '../../activities/voter-matching/normalise.js';
import type { VoteFact, VoterFacts } from '../../activities/voter-matching/voter-observation.js';
import type { ReviewCandidate, VoterDb } from './voter-tables.js';

/** One voter found for a supporter: the registration, its match keys, and how common its values are in the file. */
export interface VoterCandidate {
  voterId: string;
  keys: MatchKeys;
  facts: VoterFacts;
  name: string;
  address: string | null;
  addressKey: string | null;
  counts: { firstName: number; lastName: number; zip: number; locality: number };
}

export interface CandidateSearch {
  /** The active import, or null before the first import. */
  importId: string | null;
  /** Voters in the current file (N). */
  population: number;
  candidates: VoterCandidate[];
}

interface CandidateRow {
  voter_id: string;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  name_suffix: string | null;
  first_norm: string;
  middle_norm: string;
  last_norm: string;
  last_phonetic: string;
  birth_year: number | null;
  house_number: string | null;
  street_core: string | null;
  res_address: string | null;
  city: string | null;
  city_norm: string | null;
  state: string | null;
  zip5: string | null;
  county: string | null;
  status: string | null;
  party: string | null;
  precinct: string | null;
  registration_date: string | null;
  districts: Record<string, string>;
  first_count: number;
  last_count: number;
  zip_count: number;
  city_count: number;
  import_id: string;
  population: number;
}

/** The address key a move is detected by: house number, street and ZIP (or locality). */
export function addressKeyOf(keys: Pick<MatchKeys, 'houseNumber' | 'streetCore' | 'zip5' | 'locality'>): string | null {
  if (keys.streetCore === undefined && keys.zip5 === undefined) return null;
  return [keys.houseNumber ?? '', keys.streetCore ?? '', keys.zip5 ?? keys.locality ?? ''].join('|');
}

function toCandidate(row: CandidateRow): VoterCandidate {
  const keys: MatchKeys = {
    first: row.first_norm,
    middle: row.middle_norm,
    last: row.last_norm,
    lastPhonetic: row.last_phonetic,
    birthYear: row.birth_year ?? undefined,
    houseNumber: row.house_number ?? undefined,
    streetCore: row.street_core ?? undefined,
    zip5: row.zip5 ?? undefined,
    locality: row.city_norm ?? undefined,
  };
  return {
    voterId: row.voter_id,
    keys,
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
    addressKey: addressKeyOf(keys),
    counts: { firstName: row.first_count, lastName: row.last_count, zip: row.zip_count, locality: row.city_count },
  };
}

/** The columns every candidate query selects, with the frequencies the score needs. */
const candidateColumns = sql`
  v.voter_id, v.first_name, v.middle_name, v.last_name, v.name_suffix, v.first_norm, v.middle_norm, v.last_norm,
  v.last_phonetic, v.birth_year, v.house_number, v.street_core, v.res_address, v.city, v.city_norm, v.state, v.zip5,
  v.county, v.status, v.party, v.precinct, to_char(v.registration_date, 'YYYY-MM-DD') as registration_date, v.districts,
  coalesce(cf.n, 0)::int as first_count, coalesce(cl.n, 0)::int as last_count,
  coalesce(cz.n, 0)::int as zip_count, coalesce(cc.n, 0)::int as city_count,
  f.id::text as import_id, f.voters as population`;

const candidateJoins = sql`
  cross join (select id, voters from voter_imports where state = 'active') f
  left join voter_name_counts cf on cf.kind = 'first' and cf.name = v.first_norm
  left join voter_name_counts cl on cl.kind = 'last' and cl.name = v.last_norm
  left join voter_name_counts cz on cz.kind = 'zip' and cz.name = v.zip5
  left join voter_name_counts cc on cc.kind = 'city' and cc.name = v.city_norm`;

async function activeFile(db: VoterDb): Promise<{ importId: string | null; population: number }> {
  const row = await db.selectFrom('voter_imports').select([sql<string>`id::text`.as('id'), 'voters']).where('state', '=', 'active').executeTakeFirst();
  return { importId: row?.id ?? null, population: row?.voters ?? 0 };
}

function searchOf(rows: CandidateRow[], fallback: { importId: string | null; population: number }): CandidateSearch {
  const first = rows[0];
  return {
    importId: first?.import_id ?? fallback.importId,
    population: first?.population ?? fallback.population,
    candidates: rows.map(toCandidate),
  };
}

/**
 * The locality blocks on only when the supporter gave no ZIP: a city can hold hundreds of thousands of voters
 * (thousands of Smiths in Charlotte), a ZIP some thousands.
 */
const cityBlock = (keys: MatchKeys) => (keys.zip5 === undefined ? (keys.locality ?? null) : null);

/**
 * Stage one of blocking: voters with the supporter's phonetic family name in the same ZIP (or, without a ZIP, the
 * same locality), or anywhere in the file with the same first name and birth year (someone who moved). Each arm has
 * its own index.
 */
export async function findBlockedVoters(db: VoterDb, keys: MatchKeys): Promise<CandidateSearch> {
  const { rows } = await sql<CandidateRow>`
    select ${candidateColumns}
      from voters v ${candidateJoins}
     where (v.zip5 = ${keys.zip5 ?? null} and v.last_phonetic = ${keys.lastPhonetic})
        or (v.city_norm = ${cityBlock(keys)} and v.last_phonetic = ${keys.lastPhonetic})
        or (v.last_phonetic = ${keys.lastPhonetic} and v.birth_year = ${keys.birthYear ?? null} and v.first_norm = ${keys.first})`.execute(db);
  return searchOf(rows, rows.length ? { importId: null, population: 0 } : await activeFile(db));
}

/**
 * Stage two, when stage one found no match: voters in the same ZIP (or locality, without a ZIP) whose family name is
 * trigram-similar to the supporter's (a misspelling that changed the phonetic code: `Smiht`). The similar names come
 * from the trigram index over the file's distinct family names, so the search stays small.
 */
export async function findSimilarNameVoters(db: VoterDb, keys: MatchKeys): Promise<CandidateSearch> {
  if (keys.zip5 === undefined && keys.locality === undefined) return { ...(await activeFile(db)), candidates: [] };
  const { rows } = await sql<CandidateRow>`
    select ${candidateColumns}
      from voters v ${candidateJoins}
     where (v.zip5 = ${keys.zip5 ?? null} or v.city_norm = ${cityBlock(keys)})
       and v.last_norm = any(array(select s.name from voter_name_counts s where s.kind = 'last' and s.name % ${keys.last}))`.execute(db);
  return searchOf(rows, rows.length ? { importId: null, population: 0 } : await activeFile(db));
}

/**
 * The elections each voter took part in, one per election (the file repeats an election when its method label
 * changed), or null when no history file was ever loaded.
 */
export async function findVotes(db: VoterDb, voterIds: string[]): Promise<Map<string, VoteFact[]> | null> {
  const { rows } = await sql<{ loaded: boolean; voter_id: string | null; date: string | null; election: string | null; method: string | null; party: string | null }>`
    select h.loaded, x.voter_id, x.date, x.election, x.method, x.party
      from (select exists (select 1 from voter_votes) as loaded) h
      left join (
        select distinct on (voter_id, coalesce(election_date::text, election))
               voter_id, to_char(election_date, 'YYYY-MM-DD') as date, election, method, party
          from voter_votes
         where voter_id in (select jsonb_array_elements_text(${JSON.stringify(voterIds)}::jsonb))
         order by voter_id, coalesce(election_date::text, election), source_line) x on true`.execute(db);
  if (!rows[0]?.loaded) return null;
  const votes = new Map<string, VoteFact[]>(voterIds.map((id) => [id, []]));
  for (const row of rows) {
    if (row.voter_id !== null) votes.get(row.voter_id)?.push({ date: row.date, election: row.election ?? '', method: row.method, party: row.party });
  }
  return votes;
}

/** What a lookup decided for a contact, to keep as its current state. */
export type VoterDecisionRecord =
  | { state: 'matched'; candidate: VoterCandidate; score: number; importId: string | null }
  | { state: 'ambiguous'; candidates: ReviewCandidate[]; probabilityTopTwo: number; importId: string | null }
  | { state: 'no_match'; importId: string | null };

/**
 * Records the decision as the contact's current state (what the next rematch compares against), and keeps the
 * candidates of an ambiguous one for review; a match or a no-match closes an open review. Idempotent.
 */
export async function recordVoterDecision(db: VoterDb, contactId: string, decision: VoterDecisionRecord, decidedBy: 'lookup' | 'rematch'): Promise<void> {
  const now = new Date();
  const matched = decision.state === 'matched' ? decision : undefined;
  const review = decision.state === 'ambiguous' ? decision : undefined;
  // One statement (the state, and the review opened or closed), so a lookup costs one round trip to record.
  await sql`
    with state as (
      insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
      values (${contactId}, ${decision.state}, ${matched?.candidate.voterId ?? null}, ${matched?.score ?? null}, ${matched?.candidate.addressKey ?? null},
              ${matched?.candidate.facts.precinct ?? null}, ${matched?.candidate.facts.status ?? null}, ${matched?.candidate.facts.party ?? null},
              ${matched?.candidate.facts.registrationDate ?? null}::date, ${matched ? JSON.stringify(matched.candidate.facts.districts) : null}::jsonb,
              ${decision.importId}::bigint, ${decidedBy}, ${now})
      on conflict (contact_id) do update set state = excluded.state, voter_id = excluded.voter_id, score = excluded.score,
        address_key = excluded.address_key, precinct = excluded.precinct, status = excluded.status, party = excluded.party,
        registration_date = excluded.registration_date, districts = excluded.districts, import_id = excluded.import_id,
        decided_by = excluded.decided_by, updated_at = excluded.updated_at
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
}

/** The open review of a contact's voter match, if any. */
export async function findVoterReview(db: VoterDb, contactId: string) {
  return db.selectFrom('voter_match_reviews').selectAll().where('contact_id', '=', contactId).executeTakeFirst();
}
