import { sql, type Kysely } from 'kysely';

/**
 * The phonetic code of each family name in `voter_name_counts` (issue #5). The trigram stage of voter matching finds
 * family names similar to a supporter's among the file's distinct names; with each name's phonetic code it reaches
 * their voters through the ZIP and locality blocking indexes (`zip5, last_phonetic, last_norm`) instead of scanning a
 * whole ZIP. Imports build the column themselves; this adds it to the live table and fills it from the live file,
 * so a file imported before the upgrade keeps matching.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voter_name_counts add column if not exists phonetic text`.execute(db);
  await sql`
    update voter_name_counts c set phonetic = d.last_phonetic
      from (select distinct on (last_norm) last_norm, last_phonetic from voters order by last_norm) d
     where c.kind = 'last' and c.name = d.last_norm`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table voter_name_counts drop column if exists phonetic`.execute(db);
}
