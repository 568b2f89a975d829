import { sql } from 'kysely';
import { MATCH_KEYS_VERSION, supporterMatchKeys } from '../../../domain/voter-matching/normalise.js';
import { US_ZIP } from '../../../schemas/address-country.js';
import { matchKeyColumns, type MatchKeyColumns } from '../voter-tables.js';
import { KEY_COLUMNS, run, type Trx } from './rematch-sql.js';

/*
 * Stage "keys" of the rematch: which contacts keep their voter, and the match keys of every other contact brought
 * up to date with its signup.
 */

/** The contacts matched to a voter still in the file: they keep it (the voter id alone, from the index). */
const CREATE_KEPT_SQL = `create temp table rm_kept on commit drop as
  select m.contact_id, m.voter_id from voter_matches m
   where m.state = 'matched' and exists (select 1 from voters v where v.voter_id = m.voter_id)`;

/**
 * Whether the contacts row `c` is matched to a voter still in the file (in `rm_kept`): the rematch keeps that voter and reads none
 * of the contact's keys, so they are not brought up to date (nor counted) until the contact is matched afresh.
 */
const KEPT_SQL = `exists (select 1 from rm_kept x where x.contact_id = c.id)`;

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

/** Drops the keys of every contact matched afresh whose signup is of another country than the file's ($1). */
const DROP_OTHER_COUNTRY_KEYS_SQL = `delete from voter_contact_keys k using contacts c
  where c.id = k.contact_id and not ${KEPT_SQL} and ${otherCountrySql('$1::text')}`;

/**
 * The next page (after contact id $1, at most $2) of contacts matched afresh, of the file's country ($3), whose keys
 * are missing or were computed from another signup than theirs: the signup fields and the stored keys.
 */
const STALE_KEYS_PAGE_SQL = `select c.id, c.signup->'givenName' as signup_given_name, c.signup->'familyName' as signup_family_name,
        c.signup->'birthYear' as signup_birth_year, c.signup->'postalAddress'->'lines'->0 as signup_street,
        c.signup->'postalAddress'->'postalCode' as signup_postal_code, c.signup->'postalAddress'->'locality' as signup_locality,
        c.signup_hash, k.contact_id is not null as has_keys, ${KEY_COLUMNS.map((col) => `k.${col}`).join(', ')}
   from (select c.id, c.signup, ${SIGNUP_HASH_SQL} as signup_hash from contacts c
          where c.id > $1 and not ${KEPT_SQL} and not ${otherCountrySql('$3::text')}) c
   left join voter_contact_keys k on k.contact_id = c.id
  where k.signup_hash is distinct from c.signup_hash
  order by c.id limit $2`;

const KEY_ROW_COLUMNS = ['contact_id', ...KEY_COLUMNS, 'signup_hash'].join(', ');

/**
 * Writes key rows (JSON in $1), each with the digest of its signup; `updated_at` moves only when the keys changed.
 */
const UPSERT_KEYS_SQL = `insert into voter_contact_keys (${KEY_ROW_COLUMNS}, updated_at)
         select ${KEY_ROW_COLUMNS}, now() from json_populate_recordset(null::voter_contact_keys, $1::json)
         on conflict (contact_id) do update set ${[...KEY_COLUMNS, 'signup_hash'].map((col) => `${col} = excluded.${col}`).join(', ')},
           updated_at = case when (${KEY_COLUMNS.map((col) => `voter_contact_keys.${col}`).join(', ')}) is not distinct from (${KEY_COLUMNS.map((col) => `excluded.${col}`).join(', ')})
                             then voter_contact_keys.updated_at else excluded.updated_at end`;

/** How many contacts matched afresh have keys, and how many have too little to match on. */
const KEY_COUNTS_SQL = `select count(k.contact_id)::int as keyed, count(*) filter (where k.contact_id is null)::int as skipped
       from contacts c left join voter_contact_keys k on k.contact_id = c.id
      where not ${KEPT_SQL}`;

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

type StaleKeyRow = SignupFields & { id: string; signup_hash: string } & (
    { has_keys: false } | ({ has_keys: true } & MatchKeyColumns)
  );
type KeyRow = MatchKeyColumns & { contact_id: string; signup_hash: string };

const asText = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * The keys of a page of contacts, computed here (the same folding as the online lookup): the rows to write, and
 * the contacts whose signup now has too little to match on and whose old keys must go.
 */
function keysOfPage(page: StaleKeyRow[]): { changed: KeyRow[]; gone: string[] } {
  const changed: KeyRow[] = [];
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
  return { changed, gone };
}

async function writeKeys(trx: Trx, { changed, gone }: { changed: KeyRow[]; gone: string[] }): Promise<void> {
  if (changed.length) await run(trx, UPSERT_KEYS_SQL, [JSON.stringify(changed)]);
  if (gone.length) {
    await trx
      .deleteFrom('voter_contact_keys')
      .where('contact_id', 'in', sql<string>`(select json_array_elements_text(${JSON.stringify(gone)}::json))`)
      .execute();
  }
}

/**
 * Brings the match keys of every contact matched afresh (all but those matched to a voter still in the file) up to
 * date with its signup, a page at a time: only contacts whose signup changed since their keys were computed (by the
 * digest stored beside them) or that have no keys are read; their keys are computed here and only the rows that
 * changed are written, so a rematch after a new file reads and writes nothing for contacts whose signup did not
 * change. A contact whose signup is of another country than the file's (`country`) is one with too little: its keys
 * are dropped (one statement) and none are computed. Returns how many have keys and how many have too little.
 */
async function refreshContactKeys(
  trx: Trx,
  pageSize: number,
  country: string | null,
): Promise<{ keyed: number; skipped: number }> {
  await run(trx, DROP_OTHER_COUNTRY_KEYS_SQL, [country]);
  let after = '';
  for (;;) {
    const page = await run<StaleKeyRow>(trx, STALE_KEYS_PAGE_SQL, [after, pageSize, country]);
    if (page.length === 0) break;
    after = page[page.length - 1]!.id;
    await writeKeys(trx, keysOfPage(page));
  }
  const [counts] = await run<{ keyed: number; skipped: number }>(trx, KEY_COUNTS_SQL);
  return { keyed: counts?.keyed ?? 0, skipped: counts?.skipped ?? 0 };
}

/**
 * Stage "keys": sets the contacts that keep their voter apart (`rm_kept`), then brings every other contact's keys
 * up to date (see refreshContactKeys) for a file of `country` (null without one).
 */
export async function refreshKeys(
  trx: Trx,
  pageSize: number,
  country: string | null,
): Promise<{ keyed: number; skipped: number }> {
  await run(trx, CREATE_KEPT_SQL);
  await run(trx, 'analyze rm_kept (contact_id)');
  return refreshContactKeys(trx, pageSize, country);
}
