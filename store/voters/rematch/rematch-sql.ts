import { CompiledQuery, type Transaction } from 'kysely';
import { MATCH_KEY_COLUMNS, type VoterDatabase } from '../voter-tables.js';

/**
 * What every stage of the rematch shares: its transaction, a way to run a statement of set-based SQL on it, and
 * the match key columns its statements list. The stages' temporary tables (`rm_*`, dropped at commit) are not
 * in the database's types, so statements that read them are written as SQL.
 */
export type Trx = Transaction<VoterDatabase>;

/** Runs SQL on one session: the rematch's transaction, or a second session scoring half of the contacts. */
export type Query = <R = Record<string, unknown>>(text: string, params?: unknown[]) => Promise<R[]>;

export async function run<R = Record<string, unknown>>(trx: Trx, text: string, params: unknown[] = []): Promise<R[]> {
  return (await trx.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
}

/** The match key columns, in a fixed order: what is compared to tell a changed key row from an unchanged one. */
export const KEY_COLUMNS = Object.values(MATCH_KEY_COLUMNS);

/** The voter columns a scored pair needs: the match keys. */
export const VOTER_KEYS_SQL = KEY_COLUMNS.map((c) => `v.${c}`).join(', ');

/**
 * Session settings for scoring. The scoring statements are large CASE expressions over many rows: JIT compiling
 * them costs seconds and saves nothing here. The candidate pairs are sorted and windowed per contact: in memory,
 * not in temporary files.
 */
export const SCORING_SETTINGS = ['set local jit = off', `set local work_mem = '256MB'`];

/** The provider the rematch writes as, and the workflow id its observations carry (no workflow runs it). */
export const PROVIDER = 'voterfile';
export const REMATCH_WORKFLOW_ID = 'voters-rematch';
