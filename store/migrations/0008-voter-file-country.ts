import { sql, type Kysely } from 'kysely';
import { createVoterLookupFunctions } from '../voters/voter-lookup-functions.js';

/** `voter_match`'s argument types as 0007 created it, before `p_country`. */
const VOTER_MATCH_0007_ARGUMENTS = sql.raw(
  'text, text, text, text, text, integer, text, text, text, text, text[], double precision, double precision, text, timestamptz',
);

/**
 * A voter file has a country (its mapping's `country`; every file loaded before was US), and the online lookup
 * (`voter_match`, one more argument: the supporter's country) answers no match for a supporter of another one.
 * `create or replace` cannot change a function's arguments, so 0007's `voter_match` is dropped first.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists voter_match(${VOTER_MATCH_0007_ARGUMENTS})`.execute(db);
  await sql`alter table voter_imports add column country text not null default 'US'`.execute(db);
  await createVoterLookupFunctions(db);
}

/** The column and the new `voter_match` go (0007's comes back only by running 0007's `up` again). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists voter_match(${VOTER_MATCH_0007_ARGUMENTS}, text)`.execute(db);
  await sql`alter table voter_imports drop column country`.execute(db);
}
