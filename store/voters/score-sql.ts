import {
  FIXED_WEIGHTS,
  MATCH_MODEL,
  type AddressLevel,
  type BirthYearLevel,
  type FirstNameLevel,
  type LastNameLevel,
  type ScoreBreakdown,
} from '../../domain/voter-matching/score.js';

/**
 * The score of domain/voter-matching/score.ts, compiled to SQL for the set-based rematch: the same levels, in
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
/** N, the file's voters, filled in by `contactWeightsSql`. */
const POPULATION = ':population';

/**
 * isTypo: one edit apart, two for names of five letters or more. `levenshtein_less_equal` gives the distance when it
 * is at most the limit and stops counting past it (more than the limit otherwise): the same answer, for less work.
 */
const typo = (a: string, b: string) => {
  const limit = `case when least(length(${a}), length(${b})) >= 5 then 2 else 1 end`;
  return `(${a} <> '' and ${b} <> '' and ${a} <> ${b} and levenshtein_less_equal(${a}, ${b}, ${limit}) <= ${limit})`;
};

const m = MATCH_MODEL;
const w = FIXED_WEIGHTS;

/**
 * The weights that depend on the contact alone (its frequencies and N), computed once per contact rather than once
 * per candidate: columns `w_first_exact`, `w_last_exact`, `w_addr_exact`, `w_street_zip`, `w_street_city`, `w_zip`,
 * `w_city` and `w_prior`, from `k` (see above). The same expressions as before, so the same float8 values.
 */
export const CONTACT_WEIGHTS_SQL = `
  ${bits(`${num(m.firstName.exact.m)} / ${share('k.first_n', m.firstName.exact.minU)}`)} as w_first_exact,
  ${bits(`${num(m.lastName.exact.m)} / ${share('k.last_n', m.lastName.exact.minU)}`)} as w_last_exact,
  ${bits(`${num(m.address.exact.m)} / (${num(m.household)} / ${POPULATION})`)} as w_addr_exact,
  ${bits(`${num(m.address.street.m)} / (${num(m.streetShare)} * ${share('k.zip_n', m.address.zip.minU)})`)} as w_street_zip,
  ${bits(`${num(m.address.street.m)} / (${num(m.streetShare)} * ${share('k.city_n', m.address.city.minU)})`)} as w_street_city,
  ${bits(`${num(m.address.zip.m)} / ${share('k.zip_n', m.address.zip.minU)}`)} as w_zip,
  ${bits(`${num(m.address.city.m)} / ${share('k.city_n', m.address.city.minU)}`)} as w_city,
  -${bits(POPULATION)} as w_prior`;

/**
 * The contact weights as `CONTACT_WEIGHTS_SQL` gives them, for a file of `population` voters (a number, or an SQL
 * expression giving it).
 */
export const contactWeightsSql = (population: number | string) =>
  CONTACT_WEIGHTS_SQL.replaceAll(
    POPULATION,
    `greatest(${typeof population === 'number' ? Math.trunc(population) : population}, 1)::float8`,
  );

/** One factor: its levels in order of precedence, each with its condition and its weight (in bits). */
type Factor = {
  levels: Array<[condition: string, level: string, weight: string]>;
  otherwise: [level: string, weight: string];
};

const FIRST: Factor = {
  levels: [
    [`k.first_norm = '' or v.first_norm = ''`, 'unknown', '0::float8'],
    ['k.first_norm = v.first_norm', 'exact', 'k.w_first_exact'],
    ['v.first_norm = any(k.nicknames)', 'nickname', num(w.firstName.nickname)],
    [`v.middle_norm <> '' and k.first_norm = v.middle_norm`, 'middle', num(w.firstName.middle)],
    [typo('k.first_norm', 'v.first_norm'), 'typo', num(w.firstName.typo)],
    [
      '(length(k.first_norm) = 1 or length(v.first_norm) = 1) and left(k.first_norm, 1) = left(v.first_norm, 1)',
      'initial',
      num(w.firstName.initial),
    ],
  ],
  otherwise: ['mismatch', num(w.firstName.mismatch)],
};
const LAST: Factor = {
  levels: [
    ['k.last_norm = v.last_norm', 'exact', 'k.w_last_exact'],
    [typo('k.last_norm', 'v.last_norm'), 'typo', num(w.lastName.typo)],
  ],
  otherwise: ['mismatch', num(w.lastName.mismatch)],
};
const ADDRESS: Factor = {
  levels: [
    ['k.zip5 is null and k.city_norm is null and k.street_core is null', 'unknown', '0::float8'],
    [
      '(k.zip5 = v.zip5 or k.city_norm = v.city_norm) and k.street_core = v.street_core and k.house_number = v.house_number',
      'exact',
      'k.w_addr_exact',
    ],
    [
      '(k.zip5 = v.zip5 or k.city_norm = v.city_norm) and k.street_core = v.street_core',
      'street',
      'case when k.zip5 = v.zip5 then k.w_street_zip else k.w_street_city end',
    ],
    ['k.zip5 = v.zip5', 'zip', 'k.w_zip'],
    ['k.city_norm = v.city_norm', 'city', 'k.w_city'],
  ],
  otherwise: ['none', num(w.address.none)],
};
const BIRTH: Factor = {
  levels: [
    ['k.birth_year is null or v.birth_year is null', 'unknown', '0::float8'],
    ['k.birth_year = v.birth_year', 'exact', num(w.birthYear.exact)],
    ['abs(k.birth_year - v.birth_year) = 1', 'near', num(w.birthYear.near)],
  ],
  otherwise: ['mismatch', num(w.birthYear.mismatch)],
};
const FACTORS = { first: FIRST, last: LAST, address: ADDRESS, birth: BIRTH };

const levelOf = (f: Factor) =>
  `case ${f.levels.map(([c, level]) => `when ${c} then '${level}'`).join(' ')} else '${f.otherwise[0]}' end`;
const weightOf = (f: Factor) =>
  `case ${f.levels.map(([c, , weight]) => `when ${c} then ${weight}`).join(' ')} else ${f.otherwise[1]} end`;
const weightOfLevel = (f: Factor, level: string) =>
  `case ${level} ${f.levels.map(([, l, weight]) => `when '${l}' then ${weight}`).join(' ')} else ${f.otherwise[1]} end`;

/** The levels, as text columns `first_level`, `last_level`, `address_level`, `birth_level`. */
export const LEVELS_SQL = Object.entries(FACTORS)
  .map(([name, f]) => `${levelOf(f)} as ${name}_level`)
  .join(',\n  ');

/** The weights, in bits, from the levels of `lv` (as columns `first_weight` … `birth_weight`, and `prior`). */
export const WEIGHTS_SQL = `${Object.entries(FACTORS)
  .map(([name, f]) => `${weightOfLevel(f, `lv.${name}_level`)} as ${name}_weight`)
  .join(',\n  ')},
  k.w_prior as prior`;

/**
 * A pair's log-odds straight from the keys, without the levels as text: the same conditions and weights, added in
 * the same order as `scorePairsSql` adds them (prior, first, last, address, birth), so the same float8.
 */
export const LOG_ODDS_SQL = `k.w_prior + ${weightOf(FIRST)} + ${weightOf(LAST)} + ${weightOf(ADDRESS)} + ${weightOf(BIRTH)}`;

/**
 * Each given name with the given names that are nicknames of it (`name`, `nicknames` as a text array), from
 * `voter_nicknames`: joined on the contact's first name (a name with none has no row; use an empty array).
 */
export const nicknameListsSql = `select na.name, array_agg(distinct nb.name) as nicknames
  from voter_nicknames na join voter_nicknames nb on nb.group_id = na.group_id and nb.name <> na.name
  group by na.name`;

/**
 * Scores pairs: a select over `pairs` (a query giving contact_id, voter_id and the voter's match key columns)
 * against the contacts' keys in `keys` (see above, with the contact weights of `contactWeightsSql`), giving each
 * pair's levels, weights and log-odds.
 */
export function scorePairsSql(pairs: string, keys: string): string {
  return `
    select v.contact_id, v.voter_id, lv.first_level, lv.last_level, lv.address_level, lv.birth_level,
           wt.first_weight, wt.last_weight, wt.address_weight, wt.birth_weight, wt.prior,
           wt.prior + wt.first_weight + wt.last_weight + wt.address_weight + wt.birth_weight as log_odds
      from (${pairs}) v
      join ${keys} k on k.contact_id = v.contact_id
      cross join lateral (select ${LEVELS_SQL}) lv
      cross join lateral (select ${WEIGHTS_SQL}) wt`;
}

/** The columns `LEVELS_SQL` and `WEIGHTS_SQL` give a scored pair. */
export interface ScoreColumns {
  first_level: FirstNameLevel;
  last_level: LastNameLevel;
  address_level: AddressLevel;
  birth_level: BirthYearLevel;
  first_weight: number;
  last_weight: number;
  address_weight: number;
  birth_weight: number;
  prior: number;
}

/**
 * A scored pair's columns as score.ts's breakdown. The log-odds, when not read with them, is their sum in the order
 * `scorePairsSql` and `LOG_ODDS_SQL` add them, so the same float.
 */
export function breakdownOfColumns(row: ScoreColumns, logOdds?: number): ScoreBreakdown {
  return {
    prior: row.prior,
    firstName: { level: row.first_level, weight: row.first_weight },
    lastName: { level: row.last_level, weight: row.last_weight },
    address: { level: row.address_level, weight: row.address_weight },
    birthYear: { level: row.birth_level, weight: row.birth_weight },
    logOdds: logOdds ?? row.prior + row.first_weight + row.last_weight + row.address_weight + row.birth_weight,
  };
}
