import { openPostgresSession } from '../sql-session.js';
import { run, SCORING_SETTINGS, type Query, type Trx } from './rematch-sql.js';

/** A second session of the rematch: its own connection, in a read-only transaction on the rematch's snapshot. */
export interface SideSession {
  query: Query;
  close(): Promise<void>;
}

/**
 * Opens the rematch's second session: a connection of its own whose transaction imports this one's snapshot, so
 * both read the same voter file and the same states (not what this transaction writes: it is handed what it needs).
 */
export async function openSideSession(trx: Trx, postgresUrl: string): Promise<SideSession> {
  const [exported] = await run<{ snapshot: string }>(trx, 'select pg_export_snapshot() as snapshot');
  const session = await openPostgresSession(postgresUrl);
  try {
    await session.query('begin isolation level repeatable read');
    await session.query(`set transaction snapshot '${exported!.snapshot}'`);
    for (const setting of SCORING_SETTINGS) await session.query(setting);
  } catch (err) {
    await session.close().catch(() => undefined);
    throw err;
  }
  return {
    query: (text, params) => session.query(text, params),
    close: async () => {
      await session.query('rollback').catch(() => undefined);
      await session.close();
    },
  };
}
