import { sql, type Kysely } from 'kysely';
import { queryCompiled, type SqlSession } from '../sql-session.js';
import type { VoterDatabase } from '../voter-tables.js';
import type { LoadTables } from './stage.js';

/** What the import's row records once it is live. */
export interface ImportCounts {
  /** Data rows read from the voter file. */
  rows: number;
  /** Rows not loaded from either file: rejected and duplicates of a voter id. */
  rejected: number;
  voters: number;
  historyRows: number | null;
}

/**
 * Stage "swap": in one transaction, the voter id's unique index becomes the primary key, the live tables are
 * locked, each is renamed away and dropped as the new one is renamed over it, and the import becomes the active one.
 * A lookup sees the old file or the new one, never half of one.
 */
export async function swapIn(
  session: SqlSession,
  db: Kysely<VoterDatabase>,
  id: string,
  tables: LoadTables,
  withHistory: boolean,
  counts: ImportCounts,
): Promise<void> {
  await session.transaction(async () => {
    const swapped: Array<[string, string]> = [
      ['voters', tables.voters],
      ['voter_name_counts', tables.counts],
      ['voter_zip_names', tables.zipNames],
      ['voter_elections', tables.elections],
      ['voter_turnout', tables.turnout],
      ...(withHistory ? [['voter_votes', tables.votes] as [string, string]] : []),
    ];
    await session.query(
      `alter table ${tables.voters} add constraint voters_${id}_pkey primary key using index voters_${id}_pkey`,
    );
    await session.query(`lock table ${swapped.map(([live]) => live).join(', ')} in access exclusive mode`);
    for (const [live, next] of swapped) {
      await session.query(`alter table ${live} rename to ${live}_old_${id}`);
      await session.query(`alter table ${next} rename to ${live}`);
      await session.query(`drop table ${live}_old_${id}`);
    }
    await queryCompiled(
      session,
      db.updateTable('voter_imports').set({ state: 'replaced' }).where('state', '=', 'active'),
    );
    await queryCompiled(
      session,
      db
        .updateTable('voter_imports')
        .set({
          state: 'active',
          rows: counts.rows,
          rejected: counts.rejected,
          voters: counts.voters,
          history_rows: counts.historyRows,
          finished_at: sql`now()`,
        })
        .where('id', '=', id),
    );
  });
}
