import { LOG_ODDS_SQL } from '../score-sql.js';
import { REVIEW_MAX_CANDIDATES } from '../voter-tables.js';
import { run, VOTER_KEYS_SQL, type Query, type Trx } from './rematch-sql.js';
import type { SideSession } from './side-session.js';

/*
 * Stage "scoring" of the rematch: stages one and two of blocking, with each candidate's log-odds, for the contacts
 * in `source` (a table with rm_query's columns): each contact's best few of stage one in temp table `rm_top`, and of
 * stage two in `rm_extra`, each row with the sum over all the contact's candidates of that stage (`total`).
 */

/**
 * Stage one: the three blocks, each through its own index (the arms do not overlap, so nothing is scored twice; the
 * ZIP block is read from its index alone). Candidates are scored by their log-odds alone (no levels as text; the
 * contact's own weights were computed once in rm_query) and ranked per contact, in a lateral: a small sort per
 * contact rather than one of every pair. $1: the candidates kept per contact.
 */
const createTopSql = (source: string) => `create temp table rm_top on commit drop as
  select k.contact_id, s.voter_id, s.log_odds, s.total, s.rank
    from ${source} k
   cross join lateral (
     select s.voter_id, s.log_odds, sum(power(2::float8, s.log_odds)) over () as total,
            row_number() over (order by s.log_odds desc, s.voter_id collate "C") as rank
       from (select v.voter_id, ${LOG_ODDS_SQL} as log_odds
               from voters v where v.zip5 = k.zip5 and v.last_phonetic = k.last_phonetic
             union all
             select v.voter_id, ${LOG_ODDS_SQL}
               from voters v where k.zip5 is null and v.city_norm = k.city_norm and v.last_phonetic = k.last_phonetic
             union all
             select v.voter_id, ${LOG_ODDS_SQL}
               from voters v where v.last_phonetic = k.last_phonetic and v.birth_year = k.birth_year and v.first_norm = k.first_norm
                and v.zip5 is distinct from k.zip5 and not (k.zip5 is null and v.city_norm is not distinct from k.city_norm)) s) s
   where s.rank <= $1`;

/** The contacts stage one did not match: no candidate, or a best one below the high threshold ($1). */
const createStageTwoSql = (source: string) => `create temp table rm_stage2 on commit drop as
  select q.contact_id
    from ${source} q
    left join rm_top t on t.contact_id = q.contact_id and t.rank = 1
   where t.contact_id is null or power(2::float8, t.log_odds) / (1 + t.total) < $1`;

/**
 * Stage two, for contacts stage one did not match: family names trigram-similar to theirs among their ZIP's (one
 * partition of voter_zip_names each) or, without a ZIP, the file's, and those names' voters in the ZIP (or
 * locality) through the blocking indexes. A similar name with the contact's own phonetic code has its voters there
 * already (stage one's ZIP or locality arm), so only the others are added. The lookups are lateral (and fenced with
 * OFFSET 0) so that each contact reads its own partition and index entries. $1: the candidates kept per contact.
 */
const createExtraSql = (source: string) => `create temp table rm_extra on commit drop as
  select k.contact_id, s.voter_id, s.log_odds, s.total, s.rank
    from rm_stage2 t join ${source} k on k.contact_id = t.contact_id
   cross join lateral (
     select s.voter_id, s.log_odds, sum(power(2::float8, s.log_odds)) over () as total,
            row_number() over (order by s.log_odds desc, s.voter_id collate "C") as rank
       from (select v.voter_id, ${LOG_ODDS_SQL} as log_odds
               from (select z.name, z.phonetic from voter_zip_names z
                      where z.zip5 = k.zip5 and z.name % k.last_norm and z.phonetic <> k.last_phonetic offset 0) n
              cross join lateral (select v.voter_id, ${VOTER_KEYS_SQL} from voters v
                                   where v.zip5 = k.zip5 and v.last_phonetic = n.phonetic and v.last_norm = n.name offset 0) v
             union all
             select v.voter_id, ${LOG_ODDS_SQL}
               from (select c.name, c.phonetic from voter_name_counts c
                      where k.zip5 is null and c.kind = 'last' and c.name % k.last_norm and c.phonetic <> k.last_phonetic offset 0) n
              cross join lateral (select v.voter_id, ${VOTER_KEYS_SQL} from voters v
                                   where v.city_norm = k.city_norm and v.last_phonetic = n.phonetic and v.last_norm = n.name offset 0) v) s) s
   where s.rank <= $1`;

/** Fills rm_top and rm_extra for the contacts of `source`, on one session, stage one and then stage two. */
async function scoreBlocks(query: Query, source: string, high: number): Promise<void> {
  await query(createTopSql(source), [REVIEW_MAX_CANDIDATES]);
  await query(createStageTwoSql(source), [high]);
  await query(createExtraSql(source), [REVIEW_MAX_CANDIDATES]);
}

/** The halves: every other contact, so that both get their share of the costly ones (those without a match). */
const CREATE_HALVES_SQL = `create temp table rm_half on commit drop as
    select q.*, row_number() over (order by q.contact_id collate "C") % 2 = 0 as other from rm_query q`;

/** The other half's contacts as JSON, and rm_query's column list (to rebuild it on the second session). */
const OTHER_HALF_SQL = `select (select coalesce(json_agg(h), '[]')::text from rm_half h where h.other) as rows,
        (select string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
           from pg_attribute where attrelid = 'rm_query'::regclass and attnum > 0 and not attisdropped) as columns`;

/** The second session's scored candidates, as JSON, to copy back. */
const SCORED_ROWS_SQL = `select (select coalesce(json_agg(t), '[]')::text from rm_top t) as top,
        (select coalesce(json_agg(e), '[]')::text from rm_extra e) as extra`;

/** Scores the other half on the second session, and returns its rm_top and rm_extra as JSON. */
async function scoreOtherHalf(
  side: SideSession,
  other: { rows: string; columns: string },
  high: number,
): Promise<{ top: string; extra: string }> {
  await side.query(
    `create temp table rm_query on commit drop as select * from json_to_recordset($1::json) as q(${other.columns})`,
    [other.rows],
  );
  await scoreBlocks(side.query, 'rm_query', high);
  const [rows] = await side.query<{ top: string; extra: string }>(SCORED_ROWS_SQL);
  return rows!;
}

/**
 * Stage "scoring": fills rm_top and rm_extra for every contact of rm_query. With a second session the contacts are
 * split in two: this transaction scores one half while the other scores the rest, whose rows are copied back here.
 * Without one (embedded PGlite has a single connection) this transaction scores them all. The two stages are most of
 * the rematch's time, each contact is scored on its own, and a second core halves them.
 */
export async function scoreAcrossSessions(trx: Trx, side: SideSession | undefined, high: number): Promise<void> {
  const main: Query = (text, params) => run(trx, text, params);
  if (!side) return scoreBlocks(main, 'rm_query', high);
  await main(CREATE_HALVES_SQL);
  const [other] = await main<{ rows: string; columns: string }>(OTHER_HALF_SQL);
  const [, copied] = await Promise.all([
    scoreBlocks(main, '(select * from rm_half where not other)', high),
    scoreOtherHalf(side, other!, high),
  ]);
  await main(`insert into rm_top select * from json_populate_recordset(null::rm_top, $1::json)`, [copied.top]);
  await main(`insert into rm_extra select * from json_populate_recordset(null::rm_extra, $1::json)`, [copied.extra]);
}
