import { ADDRESS_KEY_SQL } from '../voter-lookup-functions.js';
import { run, type Trx } from './rematch-sql.js';
import type { SideSession } from './side-session.js';

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

/**
 * Starts reading the kept changes on the second session, as JSON, while the rematch's own transaction brings the
 * keys up to date; they are awaited in the write stage (a failure is told there, not as an unhandled rejection).
 */
export function readKeptChanges(side: SideSession): Promise<Array<{ rows: string }>> {
  const pending = side.query<{ rows: string }>(
    `select coalesce(json_agg(c), '[]')::text as rows from (${KEPT_CHANGES_SQL}) c`,
  );
  pending.catch(() => undefined);
  return pending;
}

/**
 * Temp table `rm_kept_changes`: the kept changes read by the second session meanwhile (`pending`), or, without
 * one, read here.
 */
export async function createKeptChanges(
  trx: Trx,
  pending: Promise<Array<{ rows: string }>> | undefined,
): Promise<void> {
  if (pending) {
    const [kept] = await pending;
    await run(
      trx,
      `create temp table rm_kept_changes on commit drop as select * from json_to_recordset($1::json) as c(${KEPT_CHANGES_COLUMNS})`,
      [kept!.rows],
    );
  } else await run(trx, `create temp table rm_kept_changes on commit drop as ${KEPT_CHANGES_SQL}`);
}
