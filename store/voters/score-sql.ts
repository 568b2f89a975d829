import { FIXED_WEIGHTS, MATCH_MODEL } from '../../activities/voter-matching/score.js';

/**
 * The score of activities/voter-matching/score.ts, compiled to SQL for the set-based rematch: the same levels, in
 * the same order of precedence, and the same weights (the constants come from MATCH_MODEL, so the two cannot drift
 * apart; tests/voters check that both give the same numbers). Every literal is a float8, as JavaScript numbers are.
 *
 * Expects these relations in scope: `k` (a contact's match keys, as in voter_contact_keys, plus `nicknames`, the
 * given names that are nicknames of its own, and `first_n`, `last_n`, `zip_n`, `city_n`, how many voters of the file
 * have its first name, family name, ZIP and locality) and `v` (a voter's match keys). A frequency is read only where
 * the voter has the contact's own value (an exact name, the same ZIP or locality), so the contact's counts serve
 * every candidate, as in the online lookup.
 */
const num = (x: number) => `(${String(x)})::float8`;
const bits = (expr: string) => `(ln(${expr}) / ln(2::float8))`;
const share = (count: string, minU: number) => `greatest(coalesce(${count}, 0)::float8 / ${POPULATION}, ${num(minU)})`;
/** N, the file's voters, filled in by `scorePairsSql`. */
const POPULATION = ':population';

const typo = (a: string, b: string) => `(${a} <> '' and ${b} <> '' and ${a} <> ${b} and levenshtein(${a}, ${b}) <= case when least(length(${a}), length(${b})) >= 5 then 2 else 1 end)`;

/** The levels, as text columns `first_level`, `last_level`, `address_level`, `birth_level`. */
export const LEVELS_SQL = `
  case
    when k.first_norm = '' or v.first_norm = '' then 'unknown'
    when k.first_norm = v.first_norm then 'exact'
    when v.first_norm = any(k.nicknames) then 'nickname'
    when v.middle_norm <> '' and k.first_norm = v.middle_norm then 'middle'
    when ${typo('k.first_norm', 'v.first_norm')} then 'typo'
    when (length(k.first_norm) = 1 or length(v.first_norm) = 1) and left(k.first_norm, 1) = left(v.first_norm, 1) then 'initial'
    else 'mismatch'
  end as first_level,
  case
    when k.last_norm = v.last_norm then 'exact'
    when ${typo('k.last_norm', 'v.last_norm')} then 'typo'
    else 'mismatch'
  end as last_level,
  case
    when k.zip5 is null and k.city_norm is null and k.street_core is null then 'unknown'
    when (k.zip5 = v.zip5 or k.city_norm = v.city_norm) and k.street_core = v.street_core and k.house_number = v.house_number then 'exact'
    when (k.zip5 = v.zip5 or k.city_norm = v.city_norm) and k.street_core = v.street_core then 'street'
    when k.zip5 = v.zip5 then 'zip'
    when k.city_norm = v.city_norm then 'city'
    else 'none'
  end as address_level,
  case
    when k.birth_year is null or v.birth_year is null then 'unknown'
    when k.birth_year = v.birth_year then 'exact'
    when abs(k.birth_year - v.birth_year) = 1 then 'near'
    else 'mismatch'
  end as birth_level`;

const m = MATCH_MODEL;
const w = FIXED_WEIGHTS;

/** The weights, in bits, from the levels of `lv` (as columns `first_weight` … `birth_weight`, and `prior`). */
export const WEIGHTS_SQL = `
  case lv.first_level
    when 'exact' then ${bits(`${num(m.firstName.exact.m)} / ${share('k.first_n', m.firstName.exact.minU)}`)}
    when 'nickname' then ${num(w.firstName.nickname)}
    when 'middle' then ${num(w.firstName.middle)}
    when 'typo' then ${num(w.firstName.typo)}
    when 'initial' then ${num(w.firstName.initial)}
    when 'mismatch' then ${num(w.firstName.mismatch)}
    else 0::float8
  end as first_weight,
  case lv.last_level
    when 'exact' then ${bits(`${num(m.lastName.exact.m)} / ${share('k.last_n', m.lastName.exact.minU)}`)}
    when 'typo' then ${num(w.lastName.typo)}
    else ${num(w.lastName.mismatch)}
  end as last_weight,
  case lv.address_level
    when 'exact' then ${bits(`${num(m.address.exact.m)} / (${num(m.household)} / ${POPULATION})`)}
    when 'street' then ${bits(
      `${num(m.address.street.m)} / (${num(m.streetShare)} * case when k.zip5 = v.zip5 then ${share('k.zip_n', m.address.zip.minU)} else ${share('k.city_n', m.address.city.minU)} end)`,
    )}
    when 'zip' then ${bits(`${num(m.address.zip.m)} / ${share('k.zip_n', m.address.zip.minU)}`)}
    when 'city' then ${bits(`${num(m.address.city.m)} / ${share('k.city_n', m.address.city.minU)}`)}
    when 'none' then ${num(w.address.none)}
    else 0::float8
  end as address_weight,
  case lv.birth_level
    when 'exact' then ${num(w.birthYear.exact)}
    when 'near' then ${num(w.birthYear.near)}
    when 'mismatch' then ${num(w.birthYear.mismatch)}
    else 0::float8
  end as birth_weight,
  -${bits(POPULATION)} as prior`;

/** The given names that are nicknames of `first` (a text expression), from `voter_nicknames`, as a text array. */
export const nicknamesSql = (first: string) => `array(select distinct nb.name from voter_nicknames na join voter_nicknames nb on nb.group_id = na.group_id
  where na.name = ${first} and nb.name <> na.name)`;

/** The columns of a scored pair, as `scorePairsSql` gives them. */
export const SCORE_COLUMNS = [
  'contact_id', 'voter_id', 'first_level', 'last_level', 'address_level', 'birth_level',
  'first_weight', 'last_weight', 'address_weight', 'birth_weight', 'prior', 'log_odds',
] as const;

/**
 * Scores pairs: a select over `pairs` (a query giving contact_id, voter_id and the voter's match key columns)
 * against the contacts' keys in `keys` (see above), in a file of `population` voters, giving each pair's levels,
 * weights and log-odds.
 */
export function scorePairsSql(pairs: string, keys: string, population: number): string {
  const n = `greatest(${Math.trunc(population)}, 1)::float8`;
  return `
    select v.contact_id, v.voter_id, lv.first_level, lv.last_level, lv.address_level, lv.birth_level,
           wt.first_weight, wt.last_weight, wt.address_weight, wt.birth_weight, wt.prior,
           wt.prior + wt.first_weight + wt.last_weight + wt.address_weight + wt.birth_weight as log_odds
      from (${pairs}) v
      join ${keys} k on k.contact_id = v.contact_id
      cross join lateral (select ${LEVELS_SQL}) lv
      cross join lateral (select ${WEIGHTS_SQL.replaceAll(POPULATION, n)}) wt`;
}
