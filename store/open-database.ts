import { mkdir } from 'node:fs/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch';
import { unaccent } from '@electric-sql/pglite/contrib/unaccent';
import type { Database } from './database.js';
import { PGliteDialect } from './pglite-dialect.js';

export interface OpenDatabaseOptions {
  /** A postgres:// URL; when absent the embedded PGlite database in `pgliteDir` is used. */
  url?: string | undefined;
  /** A folder, or `memory://` for a throwaway database. */
  pgliteDir: string;
  poolSize?: number;
  /** Told about idle connections the server closed (they are replaced on next use). */
  onIdleError?: (err: Error) => void;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** True when this process holds the embedded PGlite database (no other process may open it meanwhile). */
  embedded: boolean;
  close(): Promise<void>;
}

/** Opens the store: real Postgres through a `pg` pool, or embedded PGlite with the same extensions. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle connection dropped by the server (a Postgres restart, a terminated backend) must not crash the
    // process: the pool discards that client and the next query opens a new one; activities retry meanwhile.
    pool.on('error', (err) => options.onIdleError?.(err));
    // A connection the server drops while it is checked out (a restart during a query or a transaction) emits
    // 'error' too, where the pool listens no more; unheard, that event would crash the process. The query in
    // flight fails on its own (its activity retries), and the pool discards the broken connection on release.
    pool.on('connect', (client) => client.on('error', () => undefined));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, embedded: false, close: () => db.destroy() };
  }
  if (!options.pgliteDir.startsWith('memory://')) await mkdir(options.pgliteDir, { recursive: true });
  const pglite = await PGlite.create(options.pgliteDir, { extensions: { pg_trgm, fuzzystrmatch, unaccent } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return { db, embedded: true, close: () => db.destroy() };
}
