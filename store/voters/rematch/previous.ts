import { sql } from 'kysely';
import { nicknameRows } from '../../../domain/voter-matching/nicknames.js';
import { contactWeightsSql, nicknameListsSql } from '../score-sql.js';
import { KEY_COLUMNS, run, type Trx } from './rematch-sql.js';

/*
 * Stage "previous" of the rematch: who is considered and what each had before (`rm_prev`), and what scoring needs
 * of the contacts matched afresh (`rm_query`).
 */

/**
 * Who is considered (every contact with keys, and every contact matched before), with its last state and what was
 * last reported of its voter; `kept` when its voter is still in the file, `has_keys` when it can be matched afresh.
 */
const CREATE_PREVIOUS_SQL = `create temp table rm_prev on commit drop as
  select c.contact_id, m.state as prev_state, m.voter_id as prev_voter, m.score as prev_score, m.address_key, m.precinct,
         m.status, m.party, m.registration_date, m.districts,
         x.contact_id is not null as kept, k.contact_id is not null as has_keys
    from (select contact_id from voter_contact_keys union select contact_id from voter_matches where state = 'matched') c
    left join voter_contact_keys k on k.contact_id = c.contact_id
    left join voter_matches m on m.contact_id = c.contact_id
    left join rm_kept x on x.contact_id = c.contact_id`;

/**
 * The contacts matched afresh, with what scoring needs of their own values: how common each is in a file of
 * `voters` voters (the same four counts the online lookup reads) and their first name's nicknames.
 */
const createQuerySql = (voters: number) => `create temp table rm_query on commit drop as
  select k.*, ${contactWeightsSql(voters)}
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
           where p.has_keys and not p.kept) k`;

/** Makes `voter_nicknames` hold exactly the nickname groups of this version; writes only when they differ. */
async function syncNicknames(trx: Trx): Promise<void> {
  const rows = nicknameRows()
    .map((r) => ({ name: r.name, group_id: r.groupId }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.group_id - b.group_id));
  const wanted = rows.map((r) => `${r.name}:${r.group_id}`).join(',');
  const stored = await trx
    .selectFrom('voter_nicknames')
    .select(
      sql<string>`coalesce(string_agg(name || ':' || group_id, ',' order by name collate "C", group_id), '')`.as(
        'list',
      ),
    )
    .executeTakeFirst();
  if (stored?.list === wanted) return;
  await trx.deleteFrom('voter_nicknames').execute();
  await trx
    .insertInto('voter_nicknames')
    .columns(['name', 'group_id'])
    .expression(
      sql`select name, group_id from json_populate_recordset(null::voter_nicknames, ${JSON.stringify(rows)}::json)`,
    )
    .execute();
}

/** Stage "previous", for a file of `voters` voters: the nickname groups, `rm_prev` and `rm_query`. */
export async function readPrevious(trx: Trx, voters: number): Promise<void> {
  await syncNicknames(trx);
  await run(trx, CREATE_PREVIOUS_SQL);
  await run(trx, createQuerySql(voters));
}
