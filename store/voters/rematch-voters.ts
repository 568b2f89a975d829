import { CompiledQuery, type Kysely, type Transaction } from 'kysely';
import { MATCH_KEYS_VERSION, supporterMatchKeys } from '../../domain/voter-matching/normalise.js';
import { nicknameRows } from '../../domain/voter-matching/nicknames.js';
import type { MatchThresholds, ScoreBreakdown } from '../../domain/voter-matching/score.js';
import { roundedBreakdown, roundScore, voterObservationValue, type VoterChangeKind } from '../../domain/voter-matching/voter-observation.js';
import { US_ZIP } from '../../schemas/address-country.js';
import type { JsonValue } from '../../schemas/lookup.js';
import type { Database } from '../database.js';
import { hashValue } from '../observations.js';
import { breakdownOfColumns, contactWeightsSql, LOG_ODDS_SQL, nicknameListsSql, scorePairsSql, type ScoreColumns } from './score-sql.js';
import { openPostgresSession } from './sql-session.js';
import { ADDRESS_KEY_SQL } from './voter-lookup-functions.js';
import { findVotes, voterFactsOf } from './voter-lookups.js';
import {
  MATCH_KEY_COLUMNS,
  matchKeyColumns,
  REVIEW_MAX_CANDIDATES,
  REVIEW_MIN_PROBABILITY,
  withVoterTables,
  type MatchKeyColumns,
  type ReviewCandidate,
  type VoterDatabase,
} from './voter-tables.js';

export interface RematchOptions {
  thresholds: MatchThresholds;
  /** Contacts read per round trip (default 20,000); observations and reviews are written WRITE_PAGE contacts at a time at most. */
  pageSize?: number;
  /**
   * The database's postgres:// URL, when it is real Postgres: half of the contacts are then scored on a second
   * connection of the rematch's own, in parallel (see scoreAcrossSessions). Without it, one connection scores all.
   */
  postgresUrl?: string | undefined;
}

/** The counts `enrich voters rematch` reports. */
export interface RematchResult {
  importId: string | null;
  /** Contacts considered: those with enough to match on, plus those matched before. */
  contacts: number;
  /**
   * Contacts whose signup has too little to match on (no given name, family name, or ZIP/locality) or is of another
   * country than the file's, among those matched afresh (a contact matched to a voter still in the file keeps it;
   * its signup is not read).
   */
  skipped: number;
  matched: number;
  ambiguous: number;
  noMatch: number;
  changes: Record<VoterChangeKind, number>;
  /** Contacts with new observations or a changed voter-file lookup: the records to re-merge. */
  changedContactIds: string[];
  elapsedMs: number;
  /** Milliseconds per stage (keys, previous, scoring, decide, write), to see where the time goes. */
  timings: Record<string, number>;
}

/** The provider the rematch writes as, and the workflow id its observations carry (no workflow runs it). */
const PROVIDER = 'voterfile';
const REMATCH_WORKFLOW_ID = 'voters-rematch';
/** Most contacts whose observations (two each, ten parameters apiece) go in one INSERT: well under 65,535 parameters. */
const WRITE_PAGE = 2_000;

const CHANGE_KINDS: VoterChangeKind[] = ['new_match', 'moved', 'updated', 'dropped', 'other_voter'];

type Trx = Transaction<VoterDatabase>;

async function run<R = Record<string, unknown>>(trx: Trx, text: string, params: unknown[] = []): Promise<R[]> {
  return (await trx.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

/**
 * The signup fields matching reads, as stored in `contacts.signup` (each read out of the JSON on its own; named
 * apart from the key columns read beside them).
 */
interface SignupFields {
  signup_given_name: unknown;
  signup_family_name: unknown;
  signup_birth_year: unknown;
  signup_street: unknown;
  signup_postal_code: unknown;
  signup_locality: unknown;
}

/** The match key columns, in a fixed order: what is compared to tell a changed key row from an unchanged one. */
const KEY_COLUMNS = Object.values(MATCH_KEY_COLUMNS);

const asText = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * A digest of the signup fields keys are computed from and of its country (and of the key version), for a contacts
 * row `c`: a contact whose digest is the one stored beside its keys needs no new keys.
 */
const SIGNUP_HASH_SQL = `md5('${MATCH_KEYS_VERSION}:' || jsonb_build_array(c.signup->'givenName', c.signup->'familyName', c.signup->'birthYear',
  c.signup->'postalAddress'->'lines'->0, c.signup->'postalAddress'->'postalCode', c.signup->'postalAddress'->'locality',
  c.signup->'postalAddress'->'country')::text)`;

/**
 * Whether the signup of the contacts row `c` is of another country than `country` (a parameter; null before the first
 * import): its address's own, else US for a five-digit ZIP, as `countryOfAddress` reads it; unknown is not another.
 */
const otherCountrySql = (country: string) => `coalesce(coalesce(c.signup->'postalAddress'->>'country',
  case when c.signup->'postalAddress'->>'postalCode' ~ '${US_ZIP.source}' then 'US' end) <> ${country}, false)`;

/**
 * Whether the contacts row `c` is matched to a voter still in the file (in `rm_kept`): the rematch keeps that voter and reads none
 * of the contact's keys, so they are not brought up to date (nor counted) until the contact is matched afresh.
 */
const KEPT_SQL = `exists (select 1 from rm_kept x where x.contact_id = c.id)`;

/**
 * Brings the match keys of every contact matched afresh (all but those matched to a voter still in the file) up to
 * date with its signup, a page at a time: only contacts whose signup changed since their keys were computed (by the
 * digest stored beside them) or that have no keys are read; their keys are
 * computed here (the same folding as the online lookup) and only the rows that changed are written, so a rematch
 * after a new file reads and writes nothing for contacts whose signup did not change. A contact whose signup is of
 * another country than the file's (`country`) is one with too little: its keys are dropped (one statement) and none
 * are computed. Returns how many have keys and how many have too little.
 */
async function refreshContactKeys(trx: Trx, pageSize: number, country: string | null): Promise<{ keyed: number; skipped: number }> {
  await run(
    trx,
    `delete from voter_contact_keys k using contacts c where c.id = k.contact_id and not ${KEPT_SQL} and ${otherCountrySql('$1::text')}`,
    [country],
  );
  let after = '';
  for (;;) {
    const page = await run<SignupFields & { id: string; signup_hash: string } & ({ has_keys: false } | ({ has_keys: true } & MatchKeyColumns))>(
      trx,
      `select c.id, c.signup->'givenName' as signup_given_name, c.signup->'familyName' as signup_family_name,
              c.signup->'birthYear' as signup_birth_year, c.signup->'postalAddress'->'lines'->0 as signup_street,
              c.signup->'postalAddress'->'postalCode' as signup_postal_code, c.signup->'postalAddress'->'locality' as signup_locality,
              c.signup_hash, k.contact_id is not null as has_keys, ${KEY_COLUMNS.map((col) => `k.${col}`).join(', ')}
         from (select c.id, c.signup, ${SIGNUP_HASH_SQL} as signup_hash from contacts c
                where c.id > $1 and not ${KEPT_SQL} and not ${otherCountrySql('$3::text')}) c
         left join voter_contact_keys k on k.contact_id = c.id
        where k.signup_hash is distinct from c.signup_hash
        order by c.id limit $2`,
      [after, pageSize, country],
    );
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    const changed: Array<MatchKeyColumns & { contact_id: string; signup_hash: string }> = [];
    const gone: string[] = [];
    for (const row of page) {
      const keys = supporterMatchKeys({
        givenName: asText(row.signup_given_name),
        familyName: asText(row.signup_family_name),
        birthYear: typeof row.signup_birth_year === 'number' ? row.signup_birth_year : undefined,
        street: asText(row.signup_street),
        postalCode: asText(row.signup_postal_code),
        locality: asText(row.signup_locality),
      });
      if (!keys) {
        if (row.has_keys) gone.push(row.id);
        continue;
      }
      // Written even when the keys are the same, for the digest: the next rematch skips the contact.
      changed.push({ contact_id: row.id, signup_hash: row.signup_hash, ...matchKeyColumns(keys) });
    }
    if (changed.length) {
      const list = ['contact_id', ...KEY_COLUMNS, 'signup_hash'].join(', ');
      await run(
        trx,
        `insert into voter_contact_keys (${list}, updated_at)
         select ${list}, now() from json_populate_recordset(null::voter_contact_keys, $1::json)
         on conflict (contact_id) do update set ${[...KEY_COLUMNS, 'signup_hash'].map((col) => `${col} = excluded.${col}`).join(', ')},
           updated_at = case when (${KEY_COLUMNS.map((col) => `voter_contact_keys.${col}`).join(', ')}) is not distinct from (${KEY_COLUMNS.map((col) => `excluded.${col}`).join(', ')})
                             then voter_contact_keys.updated_at else excluded.updated_at end`,
        [JSON.stringify(changed)],
      );
    }
    if (gone.length) await run(trx, `delete from voter_contact_keys where contact_id in (select json_array_elements_text($1::json))`, [JSON.stringify(gone)]);
  }
  const [counts] = await run<{ keyed: number; skipped: number }>(
    trx,
    `select count(k.contact_id)::int as keyed, count(*) filter (where k.contact_id is null)::int as skipped
       from contacts c left join voter_contact_keys k on k.contact_id = c.id
      where not ${KEPT_SQL}`,
  );
  return { keyed: counts?.keyed ?? 0, skipped: counts?.skipped ?? 0 };
}

/** Makes `voter_nicknames` hold exactly the nickname groups of this version; writes only when they differ. */
async function syncNicknames(trx: Trx): Promise<void> {
  const rows = nicknameRows()
    .map((r) => ({ name: r.name, group_id: r.groupId }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.group_id - b.group_id));
  const wanted = rows.map((r) => `${r.name}:${r.group_id}`).join(',');
  const [stored] = await run<{ list: string }>(
    trx,
    `select coalesce(string_agg(name || ':' || group_id, ',' order by name collate "C", group_id), '') as list from voter_nicknames`,
  );
  if (stored?.list === wanted) return;
  await run(trx, 'delete from voter_nicknames');
  await run(trx, `insert into voter_nicknames (name, group_id) select name, group_id from json_populate_recordset(null::voter_nicknames, $1::json)`, [JSON.stringify(rows)]);
}

/** The voter columns a scored pair needs: the match keys. */
const VOTER_KEYS_SQL = KEY_COLUMNS.map((c) => `v.${c}`).join(', ');

/** The candidates of `rm_best` shown or recorded: the best of a contact matched, the best few of one to review. */
const RANKED_SQL = `select b.* from rm_best b join rm_decided d on d.contact_id = b.contact_id
  where (d.outcome = 'matched' and b.rank = 1) or d.outcome = 'ambiguous'`;

/** A scored pair as read back for observations and reviews. */
interface RankedRow extends ScoreColumns {
  contact_id: string;
  voter_id: string;
  probability: number;
  log_odds: number;
}

const breakdownOf = (row: RankedRow): ScoreBreakdown => breakdownOfColumns(row, row.log_odds);

interface ChangeRow extends Omit<Partial<RankedRow>, 'voter_id' | 'contact_id'> {
  contact_id: string;
  kind: VoterChangeKind;
  voter_id: string | null;
  previous_voter_id: string | null;
  score: number;
  from_precinct: string | null;
  present: boolean;
  status: string | null;
  party: string | null;
  precinct: string | null;
  registration_date: string | null;
  districts: Record<string, string> | null;
  county: string | null;
}

/**
 * Re-matches every contact against the current voter file, in set-based SQL inside one transaction (the same
 * blocks, levels, weights and decision as the online lookup; see score-sql.ts), and records what changed:
 *
 * - A contact already matched keeps its voter while that voter id is in the file (the id is stable; the person
 *   may have moved since signing up). Its registration is compared with what was last reported: a new address
 *   or precinct is `moved`; a status that became removed or denied is `dropped`; another status, party,
 *   registration date or district is `updated`.
 * - Every other contact (never matched, ambiguous, no match, or whose voter left the file) is matched afresh:
 *   `new_match`, or `other_voter` when its old voter left the file and another fits; `dropped` when its voter
 *   left the file and nothing fits. An ambiguous outcome replaces the contact's review.
 *
 * Each change is written as observations of provider `voterfile` (`voter` with the registration as it is now,
 * and `voter.change` with what happened), the contact's `voter_matches` state is updated, and its `voterfile`
 * lookup row follows the new outcome. Records are not re-merged here: `changedContactIds` lists who to re-merge.
 */
export async function rematchVoters(db: Kysely<Database>, options: RematchOptions): Promise<RematchResult> {
  const started = Date.now();
  const pageSize = options.pageSize ?? 20_000;
  const { high, low } = options.thresholds;
  const now = new Date();
  const timings: Record<string, number> = {};
  let mark = Date.now();
  /** Closes a stage: the time since the previous one ended goes to `name`. */
  const lap = (name: string) => {
    const at = Date.now();
    timings[name] = (timings[name] ?? 0) + at - mark;
    mark = at;
  };
  let side: SideSession | undefined;
  return withVoterTables(db)
    .transaction()
    .execute(async (trx) => {
      // The scoring statements are large CASE expressions over many rows: JIT compiling them costs seconds and saves
      // nothing here. The candidate pairs are sorted and windowed per contact: in memory, not in temporary files.
      for (const setting of SCORING_SETTINGS) await run(trx, setting);
      const [file] = await run<{ id: string; voters: number; country: string }>(trx, `select id::text as id, voters, country from voter_imports where state = 'active'`);
      // A second session, on Postgres: it reads what changed in the kept registrations (below) while this one brings
      // the keys up to date, then scores half of the contacts.
      side = options.postgresUrl ? await openSideSession(trx, options.postgresUrl) : undefined;
      const keptChanges = side?.query<{ rows: string }>(`select coalesce(json_agg(c), '[]')::text as rows from (${KEPT_CHANGES_SQL}) c`);
      keptChanges?.catch(() => undefined);
      // The contacts matched to a voter still in the file: they keep it (the voter id alone, from the index).
      await run(
        trx,
        `create temp table rm_kept on commit drop as
         select m.contact_id, m.voter_id from voter_matches m
          where m.state = 'matched' and exists (select 1 from voters v where v.voter_id = m.voter_id)`,
      );
      await run(trx, 'analyze rm_kept (contact_id)');
      const { keyed, skipped } = await refreshContactKeys(trx, pageSize, file?.country ?? null);
      lap('keys');
      const changes = Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<VoterChangeKind, number>;
      if (!file) {
        return {
          importId: null,
          contacts: keyed,
          skipped,
          matched: 0,
          ambiguous: 0,
          noMatch: keyed,
          changes,
          changedContactIds: [],
          elapsedMs: Date.now() - started,
          timings,
        };
      }
      await syncNicknames(trx);

      // Who is considered, and what each had before.
      await run(
        trx,
        `create temp table rm_prev on commit drop as
         select c.contact_id, m.state as prev_state, m.voter_id as prev_voter, m.score as prev_score, m.address_key, m.precinct,
                m.status, m.party, m.registration_date, m.districts,
                x.contact_id is not null as kept, k.contact_id is not null as has_keys
           from (select contact_id from voter_contact_keys union select contact_id from voter_matches where state = 'matched') c
           left join voter_contact_keys k on k.contact_id = c.contact_id
           left join voter_matches m on m.contact_id = c.contact_id
           left join rm_kept x on x.contact_id = c.contact_id`,
      );
      // The contacts matched afresh, with what scoring needs of their own values: how common each is in the file
      // (the same four counts the online lookup reads) and their first name's nicknames.
      await run(
        trx,
        `create temp table rm_query on commit drop as
         select k.*, ${contactWeightsSql(file.voters)}
           from (select k.contact_id, ${KEY_COLUMNS.map((c) => `k.${c}`).join(', ')},
                        coalesce(cf.n, 0) as first_n, coalesce(cl.n, 0) as last_n, coalesce(cz.n, 0) as zip_n, coalesce(cc.n, 0) as city_n,
                        coalesce(nn.nicknames, '{}') as nicknames
                   from rm_prev p
                   join voter_contact_keys k on k.contact_id = p.contact_id
                   left join voter_name_counts cf on cf.kind = 'first' and cf.name = k.first_norm
                   left join voter_name_counts cl on cl.kind = 'last' and cl.name = k.last_norm
                   left join voter_name_counts cz on cz.kind = 'zip' and cz.name = k.zip5
                   left join voter_name_counts cc on cc.kind = 'city' and cc.name = k.city_norm
                   left join (${nicknameListsSql}) nn on nn.name = k.first_norm
                  where p.has_keys and not p.kept) k`,
      );
      lap('previous');

      // Stages one and two, split between this transaction and a second session when there is one: the two are
      // most of the rematch's time, each contact is scored on its own, and a second core halves them.
      await scoreAcrossSessions(trx, side, high);
      lap('scoring');

      // The decision, as decideMatch makes it, over both stages' candidates: each stage's best few (the best few of
      // the union are among them), each weighed against every candidate of its contact (both stages' totals).
      await run(
        trx,
        `create temp table rm_best on commit drop as
         select * from (
           select u.contact_id, u.voter_id, power(2::float8, u.log_odds) / (1 + n.total) as probability,
                  row_number() over (partition by u.contact_id collate "C" order by u.log_odds desc, u.voter_id collate "C") as rank
             from (select contact_id, voter_id, log_odds from rm_top union all select contact_id, voter_id, log_odds from rm_extra) u
             join (select q.contact_id, coalesce(t.total, 0) + coalesce(e.total, 0) as total
                     from rm_query q
                     left join rm_top t on t.contact_id = q.contact_id and t.rank = 1
                     left join rm_extra e on e.contact_id = q.contact_id and e.rank = 1) n on n.contact_id = u.contact_id) r
          where rank <= $1`,
        [REVIEW_MAX_CANDIDATES],
      );
      await run(
        trx,
        `create temp table rm_decided on commit drop as
         select q.contact_id,
                case when b.p_best >= $1 then 'matched' when b.p_top2 >= $2 then 'ambiguous' else 'no_match' end as outcome,
                b.best_voter, b.p_best, b.p_top2
           from rm_query q
           left join (select contact_id,
                             max(voter_id) filter (where rank = 1) as best_voter,
                             max(probability) filter (where rank = 1) as p_best,
                             sum(probability) filter (where rank <= 2) as p_top2
                        from rm_best group by contact_id) b on b.contact_id = q.contact_id`,
        [high, low],
      );
      // The candidates whose levels and weights are shown or recorded are scored again in full: the best of each
      // contact matched, and the best few of each contact to review.
      await run(
        trx,
        `create temp table rm_ranked on commit drop as
         select s.*, b.probability, b.rank
           from (${RANKED_SQL}) b
           join (${scorePairsSql(`select b.contact_id, v.voter_id, ${VOTER_KEYS_SQL} from (${RANKED_SQL}) b join voters v on v.voter_id = b.voter_id`, 'rm_query')}) s
             on s.contact_id = b.contact_id and s.voter_id = b.voter_id`,
      );
      lap('decide');

      // What changed: the kept registrations that did (read by the second session meanwhile, or here), and the rest.
      if (keptChanges) {
        const [kept] = await keptChanges;
        await run(trx, `create temp table rm_kept_changes on commit drop as select * from json_to_recordset($1::json) as c(${KEPT_CHANGES_COLUMNS})`, [kept!.rows]);
      } else await run(trx, `create temp table rm_kept_changes on commit drop as ${KEPT_CHANGES_SQL}`);
      await run(
        trx,
        `create temp table rm_changes on commit drop as
         select d.contact_id,
                case when d.outcome = 'matched' and p.prev_state = 'matched' then 'other_voter'
                     when d.outcome = 'matched' then 'new_match'
                     else 'dropped' end as kind,
                case when d.outcome = 'matched' then d.best_voter else p.prev_voter end as voter_id,
                case when p.prev_state = 'matched' then p.prev_voter end as previous_voter_id,
                case when d.outcome = 'matched' then d.p_best else p.prev_score end as score,
                p.precinct as from_precinct
           from rm_decided d join rm_prev p on p.contact_id = d.contact_id
          where d.outcome = 'matched' or p.prev_state = 'matched'
         union all
         select p.contact_id, 'dropped', p.prev_voter, p.prev_voter, p.prev_score, p.precinct
           from rm_prev p where p.prev_state = 'matched' and not p.kept and not p.has_keys
         union all
         select contact_id, kind, voter_id, voter_id, score, precinct from rm_kept_changes`,
      );

      // The new state of each contact whose outcome changed (a match always did: the contact had no kept voter). An
      // unchanged one (most often no match, again) keeps its row as it was: when and by what that outcome was set.
      await run(
        trx,
        `insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
         select d.contact_id, d.outcome, v.voter_id, case when d.outcome = 'matched' then d.p_best end,
                case when v.voter_id is not null then ${ADDRESS_KEY_SQL} end, v.precinct, v.status, v.party, v.registration_date, v.districts,
                $1::bigint, 'rematch', $2::timestamptz
           from rm_decided d join rm_prev p on p.contact_id = d.contact_id
           left join voters v on d.outcome = 'matched' and v.voter_id = d.best_voter
          where d.outcome = 'matched' or d.outcome is distinct from p.prev_state
         on conflict (contact_id) do update set state = excluded.state, voter_id = excluded.voter_id, score = excluded.score,
           address_key = excluded.address_key, precinct = excluded.precinct, status = excluded.status, party = excluded.party,
           registration_date = excluded.registration_date, districts = excluded.districts, import_id = excluded.import_id,
           decided_by = excluded.decided_by, updated_at = excluded.updated_at`,
        [file.id, now],
      );
      await run(
        trx,
        `update voter_matches m set address_key = ${ADDRESS_KEY_SQL}, precinct = v.precinct, status = v.status, party = v.party,
                registration_date = v.registration_date, districts = v.districts, import_id = $1::bigint, decided_by = 'rematch', updated_at = $2::timestamptz
           from rm_changes c join voters v on v.voter_id = c.voter_id
          where m.contact_id = c.contact_id and c.kind in ('moved', 'updated', 'dropped') and m.state = 'matched' and m.voter_id = c.voter_id`,
        [file.id, now],
      );
      await run(
        trx,
        `update voter_matches m set state = 'no_match', voter_id = null, score = null, import_id = $1::bigint, decided_by = 'rematch', updated_at = $2::timestamptz
           from rm_prev p where p.contact_id = m.contact_id and p.prev_state = 'matched' and not p.kept and not p.has_keys`,
        [file.id, now],
      );

      // Reviews: the ambiguous get their candidates; everyone else decided here has no open review.
      await run(trx, `delete from voter_match_reviews r using rm_decided d where d.contact_id = r.contact_id and d.outcome <> 'ambiguous'`);
      await writeReviews(trx, file.id, now, Math.min(pageSize, WRITE_PAGE));

      // The voterfile lookup of each contact whose outcome changed (not for contacts that merely stay unmatched).
      const runId = `rematch:${file.id}:${now.toISOString()}`;
      const lookupChanged = await run<{ contact_id: string }>(
        trx,
        `insert into lookups (contact_id, provider, outcome, reason, attempts, error_type, last_error, first_failed_at, last_failed_at, completed_at, workflow_id, run_id)
         select d.contact_id, $1, case d.outcome when 'ambiguous' then 'failed' else d.outcome end, null, 1,
                case when d.outcome = 'ambiguous' then 'AmbiguousMatch' end,
                case when d.outcome = 'ambiguous' then 'voterfile: several registrations could be this supporter (rematch); kept for review' end,
                case when d.outcome = 'ambiguous' then $2::timestamptz end, case when d.outcome = 'ambiguous' then $2::timestamptz end,
                $2::timestamptz, $3, $4
           from rm_decided d join rm_prev p on p.contact_id = d.contact_id
          where d.outcome is distinct from coalesce(p.prev_state, 'no_match') or (d.outcome = 'matched' and p.prev_state = 'matched')
         on conflict (contact_id, provider) do update set outcome = excluded.outcome, reason = null, attempts = excluded.attempts,
           error_type = excluded.error_type, last_error = excluded.last_error,
           first_failed_at = case when excluded.outcome = 'failed' then coalesce(lookups.first_failed_at, excluded.first_failed_at) end,
           last_failed_at = case when excluded.outcome = 'failed' then excluded.last_failed_at else lookups.last_failed_at end,
           completed_at = excluded.completed_at, workflow_id = excluded.workflow_id, run_id = excluded.run_id
         returning contact_id`,
        [PROVIDER, now, REMATCH_WORKFLOW_ID, runId],
      );

      const observed = await writeChangeObservations(trx, file.id, now, runId, Math.min(pageSize, WRITE_PAGE), changes);

      const [totals] = await run<{ matched: number; ambiguous: number; no_match: number; contacts: number }>(
        trx,
        `select count(*) filter (where m.state = 'matched')::int as matched, count(*) filter (where m.state = 'ambiguous')::int as ambiguous,
                count(*) filter (where m.state is distinct from 'matched' and m.state is distinct from 'ambiguous')::int as no_match,
                count(*)::int as contacts
           from rm_prev p left join voter_matches m on m.contact_id = p.contact_id`,
      );
      const changedContactIds = [...new Set([...observed, ...lookupChanged.map((r) => r.contact_id)])].sort();
      lap('write');
      return {
        importId: file.id,
        contacts: totals?.contacts ?? 0,
        skipped,
        matched: totals?.matched ?? 0,
        ambiguous: totals?.ambiguous ?? 0,
        noMatch: totals?.no_match ?? 0,
        changes,
        changedContactIds,
        elapsedMs: Date.now() - started,
        timings,
      };
    })
    .finally(() => side?.close());
}

/**
 * The kept registrations that changed since they were last reported, each with what happened (`dropped`: removed or
 * denied since; `moved`: another address or precinct; `updated`: another party, status, registration date or
 * district), from the contact's `voter_matches` state and the voter as the file has it now.
 */
const KEPT_CHANGES_SQL = `
  select m.contact_id,
         case when v.status in ('removed', 'denied') and m.status is distinct from v.status then 'dropped'
              when m.address_key is distinct from (${ADDRESS_KEY_SQL}) or m.precinct is distinct from v.precinct then 'moved'
              else 'updated' end as kind,
         m.voter_id, m.score, m.precinct
    from voter_matches m join voters v on v.voter_id = m.voter_id
   where m.state = 'matched'
     and (m.address_key is distinct from (${ADDRESS_KEY_SQL}) or m.precinct is distinct from v.precinct
          or m.status is distinct from v.status or m.party is distinct from v.party
          or m.registration_date is distinct from v.registration_date or coalesce(m.districts, '{}'::jsonb) <> v.districts)`;
const KEPT_CHANGES_COLUMNS = 'contact_id text, kind text, voter_id text, score double precision, precinct text';

/** Runs SQL on one session: the rematch's transaction, or a second session scoring half of the contacts. */
type Query = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

/**
 * Stages one and two of blocking, with each candidate's log-odds, for the contacts in `source` (a table with
 * rm_query's columns): each contact's best few of stage one in temp table `rm_top`, and of stage two in `rm_extra`,
 * each row with the sum over all the contact's candidates of that stage (`total`).
 *
 * Stage one: the three blocks, each through its own index (the arms do not overlap, so nothing is scored twice; the
 * ZIP block is read from its index alone). Candidates are scored by their log-odds alone (no levels as text; the
 * contact's own weights were computed once in rm_query) and ranked per contact, in a lateral: a small sort per
 * contact rather than one of every pair.
 *
 * Stage two, for contacts stage one did not match: family names trigram-similar to theirs among their ZIP's (one
 * partition of voter_zip_names each) or, without a ZIP, the file's, and those names' voters in the ZIP (or
 * locality) through the blocking indexes. A similar name with the contact's own phonetic code has its voters there
 * already (stage one's ZIP or locality arm), so only the others are added. The lookups are lateral (and fenced with
 * OFFSET 0) so that each contact reads its own partition and index entries.
 */
async function scoreBlocks(query: Query, source: string, high: number): Promise<void> {
  await query(
    `create temp table rm_top on commit drop as
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
      where s.rank <= $1`,
    [REVIEW_MAX_CANDIDATES],
  );
  await query(
    `create temp table rm_stage2 on commit drop as
     select q.contact_id
       from ${source} q
       left join rm_top t on t.contact_id = q.contact_id and t.rank = 1
      where t.contact_id is null or power(2::float8, t.log_odds) / (1 + t.total) < $1`,
    [high],
  );
  await query(
    `create temp table rm_extra on commit drop as
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
      where s.rank <= $1`,
    [REVIEW_MAX_CANDIDATES],
  );
}

/** Session settings for scoring: see rematchVoters. */
const SCORING_SETTINGS = ['set local jit = off', `set local work_mem = '256MB'`];

/** A second session of the rematch: its own connection, in a read-only transaction on the rematch's snapshot. */
interface SideSession {
  query: Query;
  close(): Promise<void>;
}

/**
 * Opens the rematch's second session: a connection of its own whose transaction imports this one's snapshot, so
 * both read the same voter file and the same states (not what this transaction writes: it is handed what it needs).
 */
async function openSideSession(trx: Trx, postgresUrl: string): Promise<SideSession> {
  const [exported] = await run<{ snapshot: string }>(trx, 'select pg_export_snapshot() as snapshot');
  const session = await openPostgresSession(postgresUrl);
  try {
    await session.query('begin isolation level repeatable read');
    await session.query(`set transaction snapshot '${exported!.snapshot}'`);
    for (const setting of SCORING_SETTINGS) await session.query(setting);
  } catch (err) {
    await session.close().catch(() => undefined);
    throw err;
  }
  return {
    query: (text, params) => session.query(text, params),
    close: async () => {
      await session.query('rollback').catch(() => undefined);
      await session.close();
    },
  };
}

/**
 * Fills rm_top and rm_extra (see scoreBlocks) for every contact of rm_query. With a second session the contacts are
 * split in two: this transaction scores one half while the other scores the rest, whose rows are copied back here.
 * Without one (embedded PGlite has a single connection) this transaction scores them all.
 */
async function scoreAcrossSessions(trx: Trx, side: SideSession | undefined, high: number): Promise<void> {
  const main: Query = (text, params) => run(trx, text, params);
  if (!side) return scoreBlocks(main, 'rm_query', high);
  // The halves: every other contact, so that both get their share of the costly ones (those without a match).
  await main(`create temp table rm_half on commit drop as
    select q.*, row_number() over (order by q.contact_id collate "C") % 2 = 0 as other from rm_query q`);
  const [other] = await main<{ rows: string; columns: string }>(
    `select (select coalesce(json_agg(h), '[]')::text from rm_half h where h.other) as rows,
            (select string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' order by attnum)
               from pg_attribute where attrelid = 'rm_query'::regclass and attnum > 0 and not attisdropped) as columns`,
  );
  const [, copied] = await Promise.all([
    scoreBlocks(main, '(select * from rm_half where not other)', high),
    (async () => {
      await side.query(`create temp table rm_query on commit drop as select * from json_to_recordset($1::json) as q(${other!.columns})`, [other!.rows]);
      await scoreBlocks(side.query, 'rm_query', high);
      const [rows] = await side.query<{ top: string; extra: string }>(
        `select (select coalesce(json_agg(t), '[]')::text from rm_top t) as top, (select coalesce(json_agg(e), '[]')::text from rm_extra e) as extra`,
      );
      return rows!;
    })(),
  ]);
  await main(`insert into rm_top select * from json_populate_recordset(null::rm_top, $1::json)`, [copied.top]);
  await main(`insert into rm_extra select * from json_populate_recordset(null::rm_extra, $1::json)`, [copied.extra]);
}

/** Review candidates for the contacts decided ambiguous, built like the online lookup's. */
async function writeReviews(trx: Trx, importId: string, now: Date, pageSize: number): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await run<RankedRow & { name: string; address: string | null; birth_year: number | null; p_top2: number }>(
      trx,
      `select r.*, concat_ws(' ', nullif(v.first_name, ''), v.middle_name, v.last_name, v.name_suffix) as name,
              nullif(concat_ws(', ', v.res_address, v.city, v.state, v.zip5), '') as address, v.birth_year, d.p_top2
         from rm_ranked r
         join rm_decided d on d.contact_id = r.contact_id and d.outcome = 'ambiguous'
         join voters v on v.voter_id = r.voter_id
        where r.rank <= $1 and r.contact_id in (select contact_id from rm_decided where outcome = 'ambiguous' and contact_id > $2 order by contact_id limit $3)
        order by r.contact_id, r.rank`,
      [REVIEW_MAX_CANDIDATES, after, pageSize],
    );
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.contact_id;
    const byContact = new Map<string, typeof rows>();
    for (const row of rows) byContact.set(row.contact_id, [...(byContact.get(row.contact_id) ?? []), row]);
    const reviews = [...byContact.entries()].map(([contactId, ranked]) => ({
      contact_id: contactId,
      import_id: importId,
      candidates: ranked
        .filter((c, i) => i < 2 || c.probability >= REVIEW_MIN_PROBABILITY)
        .map(
          (c): ReviewCandidate => ({
            voterId: c.voter_id,
            probability: roundScore(c.probability),
            name: c.name,
            address: c.address,
            birthYear: c.birth_year,
            breakdown: roundedBreakdown(breakdownOf(c)),
          }),
        ),
      probability_top_two: ranked[0]!.p_top2,
      decided_by: 'rematch',
      updated_at: now.toISOString(),
    }));
    await run(
      trx,
      `insert into voter_match_reviews (contact_id, import_id, candidates, probability_top_two, decided_by, updated_at)
       select contact_id, import_id, candidates, probability_top_two, decided_by, updated_at
         from json_populate_recordset(null::voter_match_reviews, $1::json)
       on conflict (contact_id) do update set import_id = excluded.import_id, candidates = excluded.candidates,
         probability_top_two = excluded.probability_top_two, decided_by = excluded.decided_by, updated_at = excluded.updated_at`,
      [JSON.stringify(reviews)],
    );
  }
}

/** Writes the `voter` and `voter.change` observations of every change, a page at a time; returns the contacts. */
async function writeChangeObservations(trx: Trx, importId: string, now: Date, runId: string, pageSize: number, counts: Record<VoterChangeKind, number>): Promise<string[]> {
  const contacts: string[] = [];
  const fetchedAt = now.toISOString();
  let after = '';
  for (;;) {
    const rows = await run<ChangeRow>(
      trx,
      `select c.contact_id, c.kind, c.voter_id, c.previous_voter_id, c.score, c.from_precinct, v.voter_id is not null as present,
              v.status, v.party, v.precinct, to_char(v.registration_date, 'YYYY-MM-DD') as registration_date, v.districts, v.county,
              r.first_level, r.last_level, r.address_level, r.birth_level, r.first_weight, r.last_weight, r.address_weight,
              r.birth_weight, r.prior, r.log_odds, r.probability
         from rm_changes c
         left join voters v on v.voter_id = c.voter_id
         left join rm_ranked r on c.kind in ('new_match', 'other_voter') and r.contact_id = c.contact_id and r.rank = 1
        where c.contact_id > $1
        order by c.contact_id
        limit $2`,
      [after, pageSize],
    );
    if (rows.length === 0) return contacts;
    after = rows[rows.length - 1]!.contact_id;
    const votes = await findVotes(trx, rows.flatMap((r) => (r.present && r.voter_id ? [r.voter_id] : [])));
    const observations = rows.flatMap((row) => {
      counts[row.kind]++;
      contacts.push(row.contact_id);
      const score = roundScore(row.score ?? 0);
      const fresh = row.kind === 'new_match' || row.kind === 'other_voter';
      const voterValue: JsonValue = row.present
        ? voterObservationValue(
            voterFactsOf({ ...row, voter_id: row.voter_id! }),
            votes?.get(row.voter_id!) ?? null,
            row.score,
            fresh && row.log_odds !== undefined ? roundedBreakdown(breakdownOf(row as RankedRow)) : null,
          )
        : { voterId: row.voter_id!, status: 'dropped', party: null, precinct: null, registrationDate: null, matchScore: score };
      const change: JsonValue = {
        kind: row.kind,
        voterId: row.voter_id,
        ...(row.previous_voter_id && row.previous_voter_id !== row.voter_id ? { previousVoterId: row.previous_voter_id } : {}),
        ...(row.kind === 'moved' ? { fromPrecinct: row.from_precinct, toPrecinct: row.precinct } : {}),
        importId,
      };
      return [
        { field: 'voter', value: voterValue },
        { field: 'voter.change', value: change },
      ].map((o) => ({
        contact_id: row.contact_id,
        provider: PROVIDER,
        field: o.field,
        value: JSON.stringify(o.value),
        value_hash: hashValue(o.value),
        confidence: score,
        source_url: null,
        fetched_at: fetchedAt,
        workflow_id: REMATCH_WORKFLOW_ID,
        run_id: runId,
      }));
    });
    await trx
      .insertInto('observations')
      .values(observations)
      .onConflict((oc) => oc.constraint('observations_identity').doNothing())
      .execute();
  }
}
