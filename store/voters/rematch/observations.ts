import {
  roundedBreakdown,
  roundScore,
  voterObservationValue,
  type VoterChangeKind,
} from '../../../domain/voter-matching/voter-observation.js';
import type { JsonValue } from '../../../schemas/lookup.js';
import { hashValue } from '../../observations.js';
import { findVotes, voterFactsOf } from '../voter-lookups.js';
import { breakdownOf, type RankedRow } from './decide.js';
import { PROVIDER, REMATCH_WORKFLOW_ID, run, type Trx } from './rematch-sql.js';

/** A change of `rm_changes`, with its voter as the file has it now and, for a fresh match, its scored pair. */
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

/** The next page of changes (after contact id $1, at most $2), as ChangeRow reads them. */
const CHANGES_PAGE_SQL = `select c.contact_id, c.kind, c.voter_id, c.previous_voter_id, c.score, c.from_precinct, v.voter_id is not null as present,
        v.status, v.party, v.precinct, to_char(v.registration_date, 'YYYY-MM-DD') as registration_date, v.districts, v.county,
        r.first_level, r.last_level, r.address_level, r.birth_level, r.first_weight, r.last_weight, r.address_weight,
        r.birth_weight, r.prior, r.log_odds, r.probability
   from rm_changes c
   left join voters v on v.voter_id = c.voter_id
   left join rm_ranked r on c.kind in ('new_match', 'other_voter') and r.contact_id = c.contact_id and r.rank = 1
  where c.contact_id > $1
  order by c.contact_id
  limit $2`;

/** The `voter` observation's value: the registration as it is now, or `dropped` for a voter gone from the file. */
function voterValueOf(row: ChangeRow, votes: Awaited<ReturnType<typeof findVotes>>): JsonValue {
  if (!row.present) {
    return {
      voterId: row.voter_id!,
      status: 'dropped',
      party: null,
      precinct: null,
      registrationDate: null,
      matchScore: roundScore(row.score ?? 0),
    };
  }
  const fresh = row.kind === 'new_match' || row.kind === 'other_voter';
  return voterObservationValue(
    voterFactsOf({ ...row, voter_id: row.voter_id! }),
    votes?.get(row.voter_id!) ?? null,
    row.score,
    fresh && row.log_odds !== undefined ? roundedBreakdown(breakdownOf(row as RankedRow)) : null,
  );
}

/** The `voter.change` observation's value: what happened. */
function changeValueOf(row: ChangeRow, importId: string): JsonValue {
  return {
    kind: row.kind,
    voterId: row.voter_id,
    ...(row.previous_voter_id && row.previous_voter_id !== row.voter_id
      ? { previousVoterId: row.previous_voter_id }
      : {}),
    ...(row.kind === 'moved' ? { fromPrecinct: row.from_precinct, toPrecinct: row.precinct } : {}),
    importId,
  };
}

/** Where and when the rematch's observations were made: the same for all of them. */
interface ObservationRun {
  importId: string;
  fetchedAt: string;
  runId: string;
}

/** A change's two observations, as `observations` rows. */
function observationsOf(row: ChangeRow, votes: Awaited<ReturnType<typeof findVotes>>, at: ObservationRun) {
  return [
    { field: 'voter', value: voterValueOf(row, votes) },
    { field: 'voter.change', value: changeValueOf(row, at.importId) },
  ].map((o) => ({
    contact_id: row.contact_id,
    provider: PROVIDER,
    field: o.field,
    value: JSON.stringify(o.value),
    value_hash: hashValue(o.value),
    confidence: roundScore(row.score ?? 0),
    source_url: null,
    fetched_at: at.fetchedAt,
    workflow_id: REMATCH_WORKFLOW_ID,
    run_id: at.runId,
  }));
}

/**
 * Writes the `voter` and `voter.change` observations of every change of `rm_changes`, a page at a time, counting
 * each change in `counts` by its kind; returns the contacts.
 */
export async function writeChangeObservations(
  trx: Trx,
  importId: string,
  now: Date,
  runId: string,
  pageSize: number,
  counts: Record<VoterChangeKind, number>,
): Promise<string[]> {
  const contacts: string[] = [];
  const at: ObservationRun = { importId, fetchedAt: now.toISOString(), runId };
  let after = '';
  for (;;) {
    const rows = await run<ChangeRow>(trx, CHANGES_PAGE_SQL, [after, pageSize]);
    if (rows.length === 0) return contacts;
    after = rows[rows.length - 1]!.contact_id;
    const votes = await findVotes(
      trx,
      rows.flatMap((r) => (r.present && r.voter_id ? [r.voter_id] : [])),
    );
    const observations = rows.flatMap((row) => {
      counts[row.kind]++;
      contacts.push(row.contact_id);
      return observationsOf(row, votes, at);
    });
    await trx
      .insertInto('observations')
      .values(observations)
      .onConflict((oc) => oc.constraint('observations_identity').doNothing())
      .execute();
  }
}
