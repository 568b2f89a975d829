import { FIXED_WEIGHTS, MATCH_MODEL } from '../../activities/voter-matching/score.js';

/**
 * The score of activities/voter-matching/score.ts, compiled to SQL for the set-based rematch: the same levels, in
 * the same order of precedence, and the same weights (the constants come from MATCH_MODEL, so the two cannot drift
 * apart; tests/voters check that both give the same numbers). Every literal is a float8, as JavaScript numbers are.
 *
 * Expects these relations in scope: `k` (voter_contact_keys), `v` (voters), `cf`/`cl`/`cz`/`cc` (voter_name_counts
 * of v's first name, family name, ZIP and locality, possibly null) and `f` (the active voter_imports row).
 */
const num = (x: number) => `(${String(x)})::float8`;
const bits = (expr: string) => `(ln(${expr}) / ln(2::float8))`;
const share = (count: string, minU: number) => `greatest(coalesce(${count}, 0)::float8 / ${POPULATION}, ${num(minU)})`;
const POPULATION = 'greatest(f.voters, 1)::float8';

const typo = (a: string, b: string) => `(${a} <> '' and ${b} <> '' and ${a} <> ${b} and levenshtein(${a}, ${b}) <= case when least(length(${a}), length(${b})) >= 5 then 2 else 1 end)`;

/** The levels, as text columns `first_level`, `last_level`, `address_level`, `birth_level`. */
export const LEVELS_SQL = `
  case
    when k.first_norm = '' or v.first_norm = '' then 'unknown'
    when k.first_norm = v.first_norm then 'exact'
    when exists (select 1 from voter_nicknames na join voter_nicknames nb on nb.group_id = na.group_id
                  where na.name = k.first_norm and nb.name = v.first_norm) then 'nickname'
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
    when 'exact' then ${bits(`${num(m.firstName.exact.m)} / ${share('cf.n', m.firstName.exact.minU)}`)}
    when 'nickname' then ${num(w.firstName.nickname)}
    when 'middle' then ${num(w.firstName.middle)}
    when 'typo' then ${num(w.firstName.typo)}
    when 'initial' then ${num(w.firstName.initial)}
    when 'mismatch' then ${num(w.firstName.mismatch)}
    else 0::float8
  end as first_weight,
  case lv.last_level
    when 'exact' then ${bits(`${num(m.lastName.exact.m)} / ${share('cl.n', m.lastName.exact.minU)}`)}
    when 'typo' then ${num(w.lastName.typo)}
    else ${num(w.lastName.mismatch)}
  end as last_weight,
  case lv.address_level
    when 'exact' then ${bits(`${num(m.address.exact.m)} / (${num(m.household)} / ${POPULATION})`)}
    when 'street' then ${bits(
      `${num(m.address.street.m)} / (${num(m.streetShare)} * case when k.zip5 = v.zip5 then ${share('cz.n', m.address.zip.minU)} else ${share('cc.n', m.address.city.minU)} end)`,
    )}
    when 'zip' then ${bits(`${num(m.address.zip.m)} / ${share('cz.n', m.address.zip.minU)}`)}
    when 'city' then ${bits(`${num(m.address.city.m)} / ${share('cc.n', m.address.city.minU)}`)}
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

/** The joins that bring `f`, `cf`, `cl`, `cz` and `cc` into scope for `v`. */
export const FREQUENCY_JOINS_SQL = `
  cross join (select id, voters from voter_imports where state = 'active') f
  left join voter_name_counts cf on cf.kind = 'first' and cf.name = v.first_norm
  left join voter_name_counts cl on cl.kind = 'last' and cl.name = v.last_norm
  left join voter_name_counts cz on cz.kind = 'zip' and cz.name = v.zip5
  left join voter_name_counts cc on cc.kind = 'city' and cc.name = v.city_norm`;

/**
 * Scores pairs: a select over `pairs` (a relation with contact_id and voter_id) giving each pair's levels,
 * weights and log-odds.
 */
export function scorePairsSql(pairs: string): string {
  return `
    select p.contact_id, p.voter_id, lv.first_level, lv.last_level, lv.address_level, lv.birth_level,
           wt.first_weight, wt.last_weight, wt.address_weight, wt.birth_weight, wt.prior,
           wt.prior + wt.first_weight + wt.last_weight + wt.address_weight + wt.birth_weight as log_odds
      from ${pairs} p
      join voter_contact_keys k on k.contact_id = p.contact_id
      join voters v on v.voter_id = p.voter_id
      ${FREQUENCY_JOINS_SQL}
      cross join lateral (select ${LEVELS_SQL}) lv
      cross join lateral (select ${WEIGHTS_SQL}) wt`;
}
