import { sql, type Kysely } from 'kysely';
import { createVoterLookupFunctions } from '../voters/voter-lookup-functions.js';

/**
 * The online lookup's functions again (store/voters/voter-lookup-functions.ts): `voter_match`, the whole lookup in
 * one round trip, and stage one reading its three blocks as three arms, each from its own index, instead of one OR
 * that fetched every candidate's row from the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createVoterLookupFunctions(db);
}

/** `voter_match` goes; the others stay (their results are the same before and after). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists voter_match`.execute(db);
}
