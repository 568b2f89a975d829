import { roundedBreakdown, roundScore } from '../../../domain/voter-matching/voter-observation.js';
import { REVIEW_MAX_CANDIDATES, REVIEW_MIN_PROBABILITY, type ReviewCandidate } from '../voter-tables.js';
import { breakdownOf, type RankedRow } from './decide.js';
import { run, type Trx } from './rematch-sql.js';

/** Closes the open review of every contact decided here other than ambiguous. */
const CLOSE_REVIEWS_SQL = `delete from voter_match_reviews r using rm_decided d where d.contact_id = r.contact_id and d.outcome <> 'ambiguous'`;

/**
 * The ranked candidates (at most $1 each) of the next page of contacts decided ambiguous (after contact id $2, at
 * most $3), with what a reviewer is shown of each voter.
 */
const REVIEW_PAGE_SQL = `select r.*, concat_ws(' ', nullif(v.first_name, ''), v.middle_name, v.last_name, v.name_suffix) as name,
        nullif(concat_ws(', ', v.res_address, v.city, v.state, v.zip5), '') as address, v.birth_year, d.p_top2
   from rm_ranked r
   join rm_decided d on d.contact_id = r.contact_id and d.outcome = 'ambiguous'
   join voters v on v.voter_id = r.voter_id
  where r.rank <= $1 and r.contact_id in (select contact_id from rm_decided where outcome = 'ambiguous' and contact_id > $2 order by contact_id limit $3)
  order by r.contact_id, r.rank`;

/** Writes reviews (JSON in $1), replacing a contact's open one. */
const UPSERT_REVIEWS_SQL = `insert into voter_match_reviews (contact_id, import_id, candidates, probability_top_two, decided_by, updated_at)
  select contact_id, import_id, candidates, probability_top_two, decided_by, updated_at
    from json_populate_recordset(null::voter_match_reviews, $1::json)
  on conflict (contact_id) do update set import_id = excluded.import_id, candidates = excluded.candidates,
    probability_top_two = excluded.probability_top_two, decided_by = excluded.decided_by, updated_at = excluded.updated_at`;

type ReviewRow = RankedRow & { name: string; address: string | null; birth_year: number | null; p_top2: number };

/** A contact's review, from its ranked candidates (best first): the best two, and any other likely enough. */
function reviewOf(contactId: string, ranked: ReviewRow[], importId: string, now: Date) {
  return {
    contact_id: contactId,
    import_id: importId,
    candidates: ranked
      .filter((c, i) => i < 2 || c.probability >= REVIEW_MIN_PROBABILITY)
      .map((c): ReviewCandidate => ({
        voterId: c.voter_id,
        probability: roundScore(c.probability),
        name: c.name,
        address: c.address,
        birthYear: c.birth_year,
        breakdown: roundedBreakdown(breakdownOf(c)),
      })),
    probability_top_two: ranked[0]!.p_top2,
    decided_by: 'rematch',
    updated_at: now.toISOString(),
  };
}

/**
 * Reviews: every contact decided here other than ambiguous has no open review; the ambiguous get their candidates,
 * built like the online lookup's, a page at a time.
 */
export async function writeReviews(trx: Trx, importId: string, now: Date, pageSize: number): Promise<void> {
  await run(trx, CLOSE_REVIEWS_SQL);
  let after = '';
  for (;;) {
    const rows = await run<ReviewRow>(trx, REVIEW_PAGE_SQL, [REVIEW_MAX_CANDIDATES, after, pageSize]);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.contact_id;
    const byContact = new Map<string, ReviewRow[]>();
    for (const row of rows) byContact.set(row.contact_id, [...(byContact.get(row.contact_id) ?? []), row]);
    const reviews = [...byContact.entries()].map(([contactId, ranked]) => reviewOf(contactId, ranked, importId, now));
    await run(trx, UPSERT_REVIEWS_SQL, [JSON.stringify(reviews)]);
  }
}
