import { sql, type Kysely } from 'kysely';
import { createVoterLookupFunctions } from '../voters/voter-lookup-functions.js';

/** Partitions of `voter_zip_names` (by a hash of the ZIP): each is small, so is each trigram index. */
const ZIP_NAME_PARTITIONS = 64;

/**
 * What the trigram stage of voter matching searches (issue #5): a supporter's misspelt family name (`Smiht`) is
 * looked up among the family names of their own ZIP, not among every name of the state.
 *
 * - `voter_zip_names`: each ZIP's distinct family names with their phonetic code, hash-partitioned by ZIP, with a
 *   trigram index per partition; a lookup reads one partition, and the phonetic code leads to the voters through the
 *   ZIP blocking index (`zip5, last_phonetic, last_norm`).
 * - `voter_name_counts.phonetic`: the same for the whole file, for a supporter who gave a locality and no ZIP.
 *
 * Imports build both themselves (store/voters/import-voter-file.ts); this adds them to the live copy and fills them
 * from the live file, so a file imported before the upgrade keeps matching.
 *
 * - `voter_contact_keys.signup_hash`: what a contact's keys were computed from, so a rematch keys again only the
 *   contacts whose signup changed (store/voters/rematch-voters.ts).
 * - The functions an online lookup calls (store/voters/voter-lookup-functions.ts), whose plans each connection keeps.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voter_contact_keys add column if not exists signup_hash text`.execute(db);
  await sql`alter table voter_name_counts add column if not exists phonetic text`.execute(db);
  await sql`
    update voter_name_counts c set phonetic = d.last_phonetic
      from (select distinct on (last_norm) last_norm, last_phonetic from voters order by last_norm) d
     where c.kind = 'last' and c.name = d.last_norm`.execute(db);
  await sql`create table voter_zip_names (zip5 text not null, name text not null, phonetic text not null) partition by hash (zip5)`.execute(
    db,
  );
  for (let i = 0; i < ZIP_NAME_PARTITIONS; i++) {
    await sql
      .raw(
        `create table voter_zip_names_p${i} partition of voter_zip_names for values with (modulus ${ZIP_NAME_PARTITIONS}, remainder ${i})`,
      )
      .execute(db);
  }
  await sql`insert into voter_zip_names (zip5, name, phonetic) select distinct zip5, last_norm, last_phonetic from voters where zip5 is not null`.execute(
    db,
  );
  await sql`create index voter_zip_names_trgm on voter_zip_names using gin (name gin_trgm_ops)`.execute(db);
  await createVoterLookupFunctions(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const fn of ['voter_stage_one', 'voter_similar_names', 'voter_record_match', 'voter_record_decision']) {
    await sql.raw(`drop function if exists ${fn}`).execute(db);
  }
  await sql`drop table if exists voter_zip_names`.execute(db);
  await sql`alter table voter_name_counts drop column if exists phonetic`.execute(db);
  await sql`alter table voter_contact_keys drop column if exists signup_hash`.execute(db);
}
