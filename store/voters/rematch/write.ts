import type { VoterChangeKind } from '../../../domain/voter-matching/voter-observation.js';
import { ADDRESS_KEY_SQL } from '../voter-lookup-functions.js';
import { createKeptChanges } from './kept-changes.js';
import { writeChangeObservations } from './observations.js';
import { PROVIDER, REMATCH_WORKFLOW_ID, run, type Trx } from './rematch-sql.js';
import { writeReviews } from './reviews.js';

/*
 * Stage "write" of the rematch: what changed (`rm_changes`), each contact's new `voter_matches` state, its review,
 * its `voterfile` lookup row and the observations of every change.
 */

/** Most contacts whose observations (two each, ten parameters apiece) go in one INSERT: well under 65,535 parameters. */
const WRITE_PAGE = 2_000;

const CHANGE_KINDS: VoterChangeKind[] = ['new_match', 'moved', 'updated', 'dropped', 'other_voter'];

/** Every kind of change, counted zero times. */
export const noChanges = () => Object.fromEntries(CHANGE_KINDS.map((k) => [k, 0])) as Record<VoterChangeKind, number>;

/**
 * What changed: each contact matched afresh that matched (`new_match`, or `other_voter` after a voter that left the
 * file) or that had a match and now has none (`dropped`), each contact whose voter left the file and that has no
 * keys to match on (`dropped`), and the kept registrations that changed.
 */
const CREATE_CHANGES_SQL = `create temp table rm_changes on commit drop as
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
  select contact_id, kind, voter_id, voter_id, score, precinct from rm_kept_changes`;

/**
 * The new state of each contact whose outcome changed (a match always did: the contact had no kept voter), with
 * the import ($1) and the time ($2). An unchanged one (most often no match, again) keeps its row as it was: when
 * and by what that outcome was set.
 */
const WRITE_DECIDED_STATES_SQL = `insert into voter_matches (contact_id, state, voter_id, score, address_key, precinct, status, party, registration_date, districts, import_id, decided_by, updated_at)
  select d.contact_id, d.outcome, v.voter_id, case when d.outcome = 'matched' then d.p_best end,
         case when v.voter_id is not null then ${ADDRESS_KEY_SQL} end, v.precinct, v.status, v.party, v.registration_date, v.districts,
         $1::bigint, 'rematch', $2::timestamptz
    from rm_decided d join rm_prev p on p.contact_id = d.contact_id
    left join voters v on d.outcome = 'matched' and v.voter_id = d.best_voter
   where d.outcome = 'matched' or d.outcome is distinct from p.prev_state
  on conflict (contact_id) do update set state = excluded.state, voter_id = excluded.voter_id, score = excluded.score,
    address_key = excluded.address_key, precinct = excluded.precinct, status = excluded.status, party = excluded.party,
    registration_date = excluded.registration_date, districts = excluded.districts, import_id = excluded.import_id,
    decided_by = excluded.decided_by, updated_at = excluded.updated_at`;

/** What is reported of each kept registration that changed, as the file has it now. */
const WRITE_KEPT_STATES_SQL = `update voter_matches m set address_key = ${ADDRESS_KEY_SQL}, precinct = v.precinct, status = v.status, party = v.party,
         registration_date = v.registration_date, districts = v.districts, import_id = $1::bigint, decided_by = 'rematch', updated_at = $2::timestamptz
    from rm_changes c join voters v on v.voter_id = c.voter_id
   where m.contact_id = c.contact_id and c.kind in ('moved', 'updated', 'dropped') and m.state = 'matched' and m.voter_id = c.voter_id`;

/** No match for each contact whose voter left the file and that has no keys to be matched afresh on. */
const WRITE_LEFT_STATES_SQL = `update voter_matches m set state = 'no_match', voter_id = null, score = null, import_id = $1::bigint, decided_by = 'rematch', updated_at = $2::timestamptz
    from rm_prev p where p.contact_id = m.contact_id and p.prev_state = 'matched' and not p.kept and not p.has_keys`;

/**
 * The `voterfile` lookup ($1) of each contact whose outcome changed (not for contacts that merely stay unmatched),
 * at $2, with the workflow ($3) and run ($4) ids the rematch's rows carry; returns the contacts.
 */
const WRITE_LOOKUPS_SQL = `insert into lookups (contact_id, provider, outcome, reason, attempts, error_type, last_error, first_failed_at, last_failed_at, completed_at, workflow_id, run_id)
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
  returning contact_id`;

/** How the contacts considered stand now. */
const TOTALS_SQL = `select count(*) filter (where m.state = 'matched')::int as matched, count(*) filter (where m.state = 'ambiguous')::int as ambiguous,
        count(*) filter (where m.state is distinct from 'matched' and m.state is distinct from 'ambiguous')::int as no_match,
        count(*)::int as contacts
   from rm_prev p left join voter_matches m on m.contact_id = p.contact_id`;

export interface WriteInput {
  importId: string;
  now: Date;
  pageSize: number;
  /** The kept changes, when a second session reads them (see readKeptChanges). */
  keptChanges: Promise<Array<{ rows: string }>> | undefined;
}

export interface Written {
  contacts: number;
  matched: number;
  ambiguous: number;
  noMatch: number;
  changes: Record<VoterChangeKind, number>;
  /** Contacts with new observations or a changed voter-file lookup, sorted. */
  changedContactIds: string[];
}

/** Stage "write": records every change and the new states, and counts how the contacts stand. */
export async function writeChanges(trx: Trx, { importId, now, pageSize, keptChanges }: WriteInput): Promise<Written> {
  await createKeptChanges(trx, keptChanges);
  await run(trx, CREATE_CHANGES_SQL);
  for (const statement of [WRITE_DECIDED_STATES_SQL, WRITE_KEPT_STATES_SQL, WRITE_LEFT_STATES_SQL])
    await run(trx, statement, [importId, now]);
  await writeReviews(trx, importId, now, Math.min(pageSize, WRITE_PAGE));
  const runId = `rematch:${importId}:${now.toISOString()}`;
  const lookupChanged = await run<{ contact_id: string }>(trx, WRITE_LOOKUPS_SQL, [
    PROVIDER,
    now,
    REMATCH_WORKFLOW_ID,
    runId,
  ]);
  const changes = noChanges();
  const observed = await writeChangeObservations(trx, importId, now, runId, Math.min(pageSize, WRITE_PAGE), changes);
  const [totals] = await run<{ matched: number; ambiguous: number; no_match: number; contacts: number }>(
    trx,
    TOTALS_SQL,
  );
  return {
    contacts: totals?.contacts ?? 0,
    matched: totals?.matched ?? 0,
    ambiguous: totals?.ambiguous ?? 0,
    noMatch: totals?.no_match ?? 0,
    changes,
    changedContactIds: [...new Set([...observed, ...lookupChanged.map((r) => r.contact_id)])].sort(),
  };
}
