import { sql, type Kysely } from 'kysely';
import { createElectionsSql, createTurnoutSql } from '../voters/turnout-summary.js';

const LIVE = { elections: 'voter_elections', turnout: 'voter_turnout' };

/**
 * The per-voter turnout summary zone reports read (store/voters/turnout-summary.ts, issue #21): `voter_elections`
 * (the newest elections of the history, numbered) and `voter_turnout` (one row per voter: zone keys, party, whether
 * the registration counts, a bitmask of the elections voted in). Every voter import builds both beside the live
 * tables and swaps them in with the rest; this builds them from the file already loaded, so zone reports work
 * without a new import.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw(createElectionsSql(LIVE, 'voter_votes')).execute(db);
  await sql.raw(createTurnoutSql(LIVE, 'voters', 'voter_votes')).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table if exists voter_turnout`.execute(db);
  await sql`drop table if exists voter_elections`.execute(db);
}
