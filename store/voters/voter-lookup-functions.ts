import { sql, type Kysely } from 'kysely';
import { MATCH_KEY_COLUMNS, VOTER_COLUMNS } from './voter-tables.js';

/**
 * The database functions an online lookup calls (store/voters/voter-lookups.ts), one per round trip. A lookup's
 * statements are small and planning them cost more than running them (0.2 ms against 0.1 ms per call); in a
 * PL/pgSQL function each connection plans them once and keeps the plan (`plan_cache_mode = force_generic_plan`), so
 * a lookup pays only for running them. They read the live tables by name: an import that swaps in new tables
 * invalidates the kept plans, and the next call plans them again.
 *
 * Created by migration 0006 from these definitions; a change to them needs a migration that calls
 * `createVoterLookupFunctions` again.
 */

/** The columns a candidate is read with, in order: the voter id and the match keys. */
export const CANDIDATE_COLUMNS = ['voter_id', ...Object.values(MATCH_KEY_COLUMNS)] as const;

/** The candidates of a search as one JSON array of arrays (one per voter `v`, in CANDIDATE_COLUMNS order). */
const CANDIDATES_JSON = `coalesce(json_agg(json_build_array(${CANDIDATE_COLUMNS.map((c) => `v.${c}`).join(', ')})), '[]'::json)`;

/** The address key a move is detected by (as `addressKeyOf`), for a voter row `v`. */
export const ADDRESS_KEY_SQL = `case when v.street_core is null and v.zip5 is null then null
  else coalesce(v.house_number, '') || '|' || coalesce(v.street_core, '') || '|' || coalesce(v.zip5, v.city_norm, '') end`;

/** The columns of a registration as shown and recorded (the date as text), for a voter row `v`. */
export const DETAIL_COLUMNS_SQL = VOTER_COLUMNS.filter((c) => c !== 'source_line')
  .map((c) => (c === 'registration_date' ? `to_char(v.registration_date, 'YYYY-MM-DD') as registration_date` : `v.${c}`))
  .join(', ');

/**
 * The votes of the voters `where` selects, one per election (the file repeats an election when its method label
 * changed), as rows of voter_id, date, election, method, party.
 */
export const distinctVotesSql = (where: string) => `
  select distinct on (voter_id, coalesce(election_date::text, election))
         voter_id, to_char(election_date, 'YYYY-MM-DD') as date, election, method, party
    from voter_votes
   where ${where}
   order by voter_id, coalesce(election_date::text, election), source_line`;

const UPSERT_MATCH = `on conflict (contact_id) do update set state = excluded.state, voter_id = excluded.voter_id, score = excluded.score,
        address_key = excluded.address_key, precinct = excluded.precinct, status = excluded.status, party = excluded.party,
        registration_date = excluded.registration_date, districts = excluded.districts, import_id = excluded.import_id,
        decided_by = excluded.decided_by, updated_at = excluded.updated_at`;

const CACHED_PLANS = `set plan_cache_mode = force_generic_plan`;

/** The definitions, as `create or replace function` statements. */
export const VOTER_LOOKUP_FUNCTIONS: readonly string[] = [
  // Stage one of blocking, with the active file and the supporter's frequencies (see findBlockedVoters).
  `create or replace function voter_stage_one(p_first text, p_last text, p_phonetic text, p_birth_year integer, p_zip text, p_locality text)
   returns table (import_id text, population integer, first_count integer, last_count integer, zip_count integer, city_count integer, candidates json)
   language plpgsql stable ${CACHED_PLANS} as $fn$
   begin
     return query
     select f.id::text, f.voters,
            coalesce((select c.n from voter_name_counts c where c.kind = 'first' and c.name = nullif(p_first, '')), 0)::integer,
            coalesce((select c.n from voter_name_counts c where c.kind = 'last' and c.name = p_last), 0)::integer,
            coalesce((select c.n from voter_name_counts c where c.kind = 'zip' and c.name = p_zip), 0)::integer,
            coalesce((select c.n from voter_name_counts c where c.kind = 'city' and c.name = p_locality), 0)::integer,
            (select ${CANDIDATES_JSON}
               from voters v
              where (v.zip5 = p_zip and v.last_phonetic = p_phonetic)
                 or (v.city_norm = (case when p_zip is null then p_locality end) and v.last_phonetic = p_phonetic)
                 or (v.last_phonetic = p_phonetic and v.birth_year = p_birth_year and v.first_norm = p_first))
       from voter_imports f where f.state = 'active';
   end $fn$`,
  // Stage two: similar family names in the ZIP (or, without one, the locality) and their voters (see findSimilarNameVoters).
  `create or replace function voter_similar_names(p_last text, p_phonetic text, p_zip text, p_locality text)
   returns json language plpgsql stable ${CACHED_PLANS} as $fn$
   declare found json;
   begin
     if p_zip is not null then
       select ${CANDIDATES_JSON} into found
         from voter_zip_names s
         join voters v on v.zip5 = s.zip5 and v.last_phonetic = s.phonetic and v.last_norm = s.name
        where s.zip5 = p_zip and s.name % p_last and s.phonetic <> p_phonetic;
     elsif p_locality is not null then
       select ${CANDIDATES_JSON} into found
         from voter_name_counts s
         join voters v on v.city_norm = p_locality and v.last_phonetic = s.phonetic and v.last_norm = s.name
        where s.kind = 'last' and s.name % p_last and s.phonetic <> p_phonetic;
     end if;
     return coalesce(found, '[]'::json);
   end $fn$`,
  // A match: the contact's state from the registration, an open review closed, and the registration with its votes
  // returned (null when the voter is not in the file).
  `create or replace function voter_record_match(p_contact text, p_voter text, p_score double precision, p_import bigint, p_by text, p_at timestamptz)
   returns json language plpgsql volatile ${CACHED_PLANS} as $fn$
   declare recorded json;
   begin
     with v as (select * from voters where voter_id = p_voter), state as (
       insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
       select p_contact, 'matched', v.voter_id, p_score, ${ADDRESS_KEY_SQL}, v.precinct, v.status, v.party, v.registration_date, v.districts, p_import, p_by, p_at
         from v
       ${UPSERT_MATCH}
       returning contact_id
     ), closed as (
       delete from voter_match_reviews where contact_id = p_contact and exists (select 1 from v) returning contact_id
     )
     select json_build_object(
              'row', (select row_to_json(d) from (select ${DETAIL_COLUMNS_SQL} from v) d),
              'votesLoaded', exists (select 1 from voter_votes),
              'votes', (select coalesce(json_agg(json_build_array(x.date, x.election, x.method, x.party)), '[]'::json)
                          from (${distinctVotesSql('voter_id = p_voter')}) x))
       into recorded
       from v;
     return recorded;
   end $fn$`,
  // No match, or an ambiguous one with its candidates kept for review (see recordVoterDecision).
  `create or replace function voter_record_decision(p_contact text, p_state text, p_import bigint, p_by text, p_at timestamptz, p_candidates jsonb, p_top_two double precision)
   returns void language plpgsql volatile ${CACHED_PLANS} as $fn$
   begin
     insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
     values (p_contact, p_state, null, null, null, null, null, null, null, null, p_import, p_by, p_at)
     ${UPSERT_MATCH};
     if p_state = 'ambiguous' then
       insert into voter_match_reviews (contact_id, import_id, candidates, probability_top_two, decided_by, updated_at)
       values (p_contact, p_import, p_candidates, p_top_two, p_by, p_at)
       on conflict (contact_id) do update set import_id = excluded.import_id, candidates = excluded.candidates,
         probability_top_two = excluded.probability_top_two, decided_by = excluded.decided_by, updated_at = excluded.updated_at;
     else
       delete from voter_match_reviews where contact_id = p_contact;
     end if;
   end $fn$`,
];

/** Creates (or replaces) the lookup functions. */
export async function createVoterLookupFunctions(db: Kysely<unknown>): Promise<void> {
  for (const definition of VOTER_LOOKUP_FUNCTIONS) await sql.raw(definition).execute(db);
}
