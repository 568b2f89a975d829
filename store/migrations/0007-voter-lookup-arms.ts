import type { Kysely } from 'kysely';
import { createVoterLookupFunctions } from '../voters/voter-lookup-functions.js';

/**
 * Replaces the online lookup's functions (store/voters/voter-lookup-functions.ts): stage one reads its three blocks
 * as three arms, each from its own index, instead of one OR that fetched every candidate's row from the table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await createVoterLookupFunctions(db);
}

/** The functions stay: their results are the same before and after. */
export async function down(): Promise<void> {}
