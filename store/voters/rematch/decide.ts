import type { MatchThresholds, ScoreBreakdown } from '../../../domain/voter-matching/score.js';
import { breakdownOfColumns, scorePairsSql, type ScoreColumns } from '../score-sql.js';
import { REVIEW_MAX_CANDIDATES } from '../voter-tables.js';
import { run, VOTER_KEYS_SQL, type Trx } from './rematch-sql.js';

/*
 * Stage "decide" of the rematch: the decision, as decideMatch makes it, over both scoring stages' candidates
 * (`rm_best`, `rm_decided`), and the candidates shown or recorded scored again in full (`rm_ranked`).
 */

/**
 * Each contact's best few candidates ($1) of both stages (the best few of the union are among each stage's best
 * few), each weighed against every candidate of its contact (both stages' totals).
 */
const CREATE_BEST_SQL = `create temp table rm_best on commit drop as
  select * from (
    select u.contact_id, u.voter_id, power(2::float8, u.log_odds) / (1 + n.total) as probability,
           row_number() over (partition by u.contact_id collate "C" order by u.log_odds desc, u.voter_id collate "C") as rank
      from (select contact_id, voter_id, log_odds from rm_top union all select contact_id, voter_id, log_odds from rm_extra) u
      join (select q.contact_id, coalesce(t.total, 0) + coalesce(e.total, 0) as total
              from rm_query q
              left join rm_top t on t.contact_id = q.contact_id and t.rank = 1
              left join rm_extra e on e.contact_id = q.contact_id and e.rank = 1) n on n.contact_id = u.contact_id) r
   where rank <= $1`;

/** Each contact's outcome: matched at or above the high threshold ($1), ambiguous when its best two reach the low ($2). */
const CREATE_DECIDED_SQL = `create temp table rm_decided on commit drop as
  select q.contact_id,
         case when b.p_best >= $1 then 'matched' when b.p_top2 >= $2 then 'ambiguous' else 'no_match' end as outcome,
         b.best_voter, b.p_best, b.p_top2
    from rm_query q
    left join (select contact_id,
                      max(voter_id) filter (where rank = 1) as best_voter,
                      max(probability) filter (where rank = 1) as p_best,
                      sum(probability) filter (where rank <= 2) as p_top2
                 from rm_best group by contact_id) b on b.contact_id = q.contact_id`;

/** The candidates of `rm_best` shown or recorded: the best of a contact matched, the best few of one to review. */
const RANKED_SQL = `select b.* from rm_best b join rm_decided d on d.contact_id = b.contact_id
  where (d.outcome = 'matched' and b.rank = 1) or d.outcome = 'ambiguous'`;

/** Those candidates scored again in full, with their levels and weights. */
const CREATE_RANKED_SQL = `create temp table rm_ranked on commit drop as
  select s.*, b.probability, b.rank
    from (${RANKED_SQL}) b
    join (${scorePairsSql(`select b.contact_id, v.voter_id, ${VOTER_KEYS_SQL} from (${RANKED_SQL}) b join voters v on v.voter_id = b.voter_id`, 'rm_query')}) s
      on s.contact_id = b.contact_id and s.voter_id = b.voter_id`;

/** A scored pair as read back from `rm_ranked` for observations and reviews. */
export interface RankedRow extends ScoreColumns {
  contact_id: string;
  voter_id: string;
  probability: number;
  log_odds: number;
}

export const breakdownOf = (row: RankedRow): ScoreBreakdown => breakdownOfColumns(row, row.log_odds);

/** Stage "decide": `rm_best`, `rm_decided` and `rm_ranked`, with the thresholds of the online lookup. */
export async function decideMatches(trx: Trx, { high, low }: MatchThresholds): Promise<void> {
  await run(trx, CREATE_BEST_SQL, [REVIEW_MAX_CANDIDATES]);
  await run(trx, CREATE_DECIDED_SQL, [high, low]);
  await run(trx, CREATE_RANKED_SQL);
}
