import { sql, type Kysely } from 'kysely';
import { contactWeightsSql, LEVELS_SQL, LOG_ODDS_SQL, WEIGHTS_SQL } from './score-sql.js';
import { MATCH_KEY_COLUMNS, REVIEW_MAX_CANDIDATES, VOTER_COLUMNS } from './voter-tables.js';

/**
 * The database functions an online lookup calls (store/voters/voter-lookups.ts): `voter_match`, the whole lookup in
 * one round trip, and `voter_record_decision` for an ambiguous one's review; `voter_stage_one` and
 * `voter_similar_names` give the candidates the JavaScript reference (`matchVoter`) scores. A lookup's
 * statements are small and planning them cost more than running them (0.2 ms against 0.1 ms per call); in a
 * PL/pgSQL function each connection plans them once and keeps the plan (`plan_cache_mode = force_generic_plan`), so
 * a lookup pays only for running them. They read the live tables by name: an import that swaps in new tables
 * invalidates the kept plans, and the next call plans them again.
 *
 * Created by migration 0006 from these definitions and replaced by 0007 and 0008 (which gave `voter_match` its
 * `p_country`); a change to them needs a migration that calls `createVoterLookupFunctions` again (and drops a
 * function whose arguments change first: `create or replace` cannot change them).
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
  .map((c) =>
    c === 'registration_date' ? `to_char(v.registration_date, 'YYYY-MM-DD') as registration_date` : `v.${c}`,
  )
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

/**
 * A whole online lookup in one round trip (see matchVoterInDatabase): stage one's three blocks, scored; stage two's
 * similar family names when stage one gives no match; the decision (as decideMatch makes it); and for a match or no
 * match, the contact's state recorded; a supporter of another country than the active file's (`p_country`; null =
 * unknown, searched as before) is a no match without a search. Returns the outcome with, for a match, the
 * registration, its votes and the best candidate's levels and weights, and for an ambiguous one the best few with
 * theirs (the lookup records the review). The score is score.ts's, compiled to SQL by score-sql.ts (`k` is the
 * supporter's keys, frequencies and weights, a record of this function; `v` a voter row), as in the rematch.
 */
const VOTER_MATCH_FUNCTION = `create or replace function voter_match(p_contact text, p_first text, p_middle text, p_last text, p_phonetic text,
     p_birth_year integer, p_house text, p_street text, p_zip text, p_locality text, p_nicknames text[],
     p_high double precision, p_low double precision, p_by text, p_at timestamptz, p_country text)
   returns json language plpgsql volatile ${CACHED_PLANS} as $fn$
   #variable_conflict use_column
   declare
     v_import bigint;
     v_country text;
     k record;
     v_ids text[];
     v_los double precision[];
     v_more_ids text[];
     v_more_los double precision[];
     v_total double precision;
     v_best double precision;
     v_top_two double precision;
   begin
     -- What this records is derived state: the contact's current match (which the next rematch compares against),
     -- re-derived by any later lookup or rematch, while the lookup's observation is written apart, durably. So its
     -- commit does not wait for the WAL flush: a crash may lose the last moments of decisions, never corrupt them.
     perform set_config('synchronous_commit', 'off', true);
     select f.id, f.country into v_import, v_country from voter_imports f where f.state = 'active';
     if v_import is null then
       perform voter_record_decision(p_contact, 'no_match', null, p_by, p_at, null, null);
       return json_build_object('outcome', 'no_match', 'importId', null);
     end if;
     -- A signup of another country than the file's has no candidate in it (a code postal may be a US ZIP too).
     if p_country is not null and p_country <> v_country then
       perform voter_record_decision(p_contact, 'no_match', v_import, p_by, p_at, null, null);
       return json_build_object('outcome', 'no_match', 'importId', v_import::text);
     end if;
     -- The supporter's keys, how common its own values are in the file, and the weights that depend on them alone
     -- (OFFSET 0: each count is read once, not once per weight that uses it).
     select k.*, ${contactWeightsSql('k.population')} into k
       from (select p_first::text as first_norm, p_middle::text as middle_norm, p_last::text as last_norm, p_phonetic::text as last_phonetic,
                    p_birth_year::smallint as birth_year, p_house::text as house_number, p_street::text as street_core, p_zip::text as zip5,
                    p_locality::text as city_norm, coalesce(p_nicknames, '{}') as nicknames,
                    (select f.voters from voter_imports f where f.id = v_import) as population,
                    coalesce((select c.n from voter_name_counts c where c.kind = 'first' and c.name = nullif(p_first, '')), 0) as first_n,
                    coalesce((select c.n from voter_name_counts c where c.kind = 'last' and c.name = p_last), 0) as last_n,
                    coalesce((select c.n from voter_name_counts c where c.kind = 'zip' and c.name = p_zip), 0) as zip_n,
                    coalesce((select c.n from voter_name_counts c where c.kind = 'city' and c.name = p_locality), 0) as city_n
               offset 0) k;
     -- Stage one: the three blocks, arms that do not overlap, each through its own index.
     select array_agg(s.voter_id order by s.log_odds desc, s.voter_id collate "C"), array_agg(s.log_odds order by s.log_odds desc, s.voter_id collate "C"),
            coalesce(sum(power(2::float8, s.log_odds)), 0)
       into v_ids, v_los, v_total
       from (select v.voter_id, ${LOG_ODDS_SQL} as log_odds from voters v where v.zip5 = p_zip and v.last_phonetic = p_phonetic
             union all
             select v.voter_id, ${LOG_ODDS_SQL} from voters v where p_zip is null and v.city_norm = p_locality and v.last_phonetic = p_phonetic
             union all
             select v.voter_id, ${LOG_ODDS_SQL} from voters v
              where v.last_phonetic = p_phonetic and v.birth_year = p_birth_year and v.first_norm = p_first
                and v.zip5 is distinct from p_zip and not (p_zip is null and v.city_norm is not distinct from p_locality)) s;
     -- Stage two, when stage one gives no match: family names trigram-similar to the supporter's among its ZIP's (or,
     -- without a ZIP, the file's) with another phonetic code (stage one read those with its own), and their voters.
     if v_ids is null or power(2::float8, v_los[1]) / (1 + v_total) < p_high then
       select array_agg(s.voter_id), array_agg(s.log_odds), coalesce(sum(power(2::float8, s.log_odds)), 0)
         into v_more_ids, v_more_los, v_best
         from (select v.voter_id, ${LOG_ODDS_SQL} as log_odds
                 from voter_zip_names z
                 join voters v on v.zip5 = z.zip5 and v.last_phonetic = z.phonetic and v.last_norm = z.name
                where p_zip is not null and z.zip5 = p_zip and z.name % p_last and z.phonetic <> p_phonetic
               union all
               select v.voter_id, ${LOG_ODDS_SQL}
                 from voter_name_counts z
                 join voters v on v.city_norm = p_locality and v.last_phonetic = z.phonetic and v.last_norm = z.name
                where p_zip is null and z.kind = 'last' and z.name % p_last and z.phonetic <> p_phonetic) s;
       if v_more_ids is not null then
         v_total := v_total + v_best;
         select array_agg(u.id order by u.lo desc, u.id collate "C"), array_agg(u.lo order by u.lo desc, u.id collate "C")
           into v_ids, v_los
           from unnest(coalesce(v_ids, '{}') || v_more_ids, coalesce(v_los, '{}') || v_more_los) as u(id, lo);
       end if;
     end if;
     if v_ids is null then
       perform voter_record_decision(p_contact, 'no_match', v_import, p_by, p_at, null, null);
       return json_build_object('outcome', 'no_match', 'importId', v_import::text);
     end if;
     -- The decision: each candidate's probability is its odds against all of them and against none.
     v_best := power(2::float8, v_los[1]) / (1 + v_total);
     v_top_two := v_best + coalesce(power(2::float8, v_los[2]) / (1 + v_total), 0);
     if v_best >= p_high then
       return json_build_object('outcome', 'matched', 'importId', v_import::text, 'probability', v_best,
         'breakdown', (select row_to_json(b) from (select lv.*, wt.* from voters v
                          cross join lateral (select ${LEVELS_SQL}) lv cross join lateral (select ${WEIGHTS_SQL}) wt
                         where v.voter_id = v_ids[1]) b),
         'recorded', voter_record_match(p_contact, v_ids[1], v_best, v_import, p_by, p_at));
     end if;
     if v_top_two < p_low then
       perform voter_record_decision(p_contact, 'no_match', v_import, p_by, p_at, null, null);
       return json_build_object('outcome', 'no_match', 'importId', v_import::text);
     end if;
     -- Ambiguous: the best few, with their levels, weights and what a reviewer reads of them.
     return json_build_object('outcome', 'ambiguous', 'importId', v_import::text, 'probabilityTopTwo', v_top_two,
       'candidates', (select json_agg(c order by c.rank) from (
          select u.rank, u.voter_id, power(2::float8, u.lo) / (1 + v_total) as probability, lv.*, wt.*,
                 concat_ws(' ', nullif(v.first_name, ''), v.middle_name, v.last_name, v.name_suffix) as name,
                 nullif(concat_ws(', ', v.res_address, v.city, v.state, v.zip5), '') as address, v.birth_year as voter_birth_year
            from unnest(v_ids[1:${REVIEW_MAX_CANDIDATES}], v_los[1:${REVIEW_MAX_CANDIDATES}]) with ordinality as u(voter_id, lo, rank)
            join voters v on v.voter_id = u.voter_id
            cross join lateral (select ${LEVELS_SQL}) lv cross join lateral (select ${WEIGHTS_SQL}) wt) c));
   end $fn$`;

/** The definitions, as `create or replace function` statements. */
export const VOTER_LOOKUP_FUNCTIONS: readonly string[] = [
  // Stage one of blocking, with the active file and the supporter's frequencies (see findBlockedVoters). The three
  // blocks are three arms that do not overlap (as in the rematch), so that each reads its own index: the ZIP block,
  // most of the candidates, from its covering index alone, where one OR of the three read every candidate's row.
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
               from (select ${CANDIDATE_COLUMNS.join(', ')} from voters where zip5 = p_zip and last_phonetic = p_phonetic
                     union all
                     select ${CANDIDATE_COLUMNS.join(', ')} from voters
                      where p_zip is null and city_norm = p_locality and last_phonetic = p_phonetic
                     union all
                     select ${CANDIDATE_COLUMNS.join(', ')} from voters
                      where last_phonetic = p_phonetic and birth_year = p_birth_year and first_norm = p_first
                        and zip5 is distinct from p_zip and not (p_zip is null and city_norm is not distinct from p_locality)) v)
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
  VOTER_MATCH_FUNCTION,
];

/** Creates (or replaces) the lookup functions. */
export async function createVoterLookupFunctions(db: Kysely<unknown>): Promise<void> {
  for (const definition of VOTER_LOOKUP_FUNCTIONS) await sql.raw(definition).execute(db);
}
