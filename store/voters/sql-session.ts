import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CompiledQuery, type Compilable, type Kysely } from 'kysely';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * One database session for bulk work: plain SQL with parameters, and (on Postgres) COPY FROM STDIN. Bulk loads
 * need a session of their own: COPY streams over one connection, a session-level advisory lock must stay on the
 * connection that took it, and `begin`…`commit` must not hop between pooled connections.
 */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Streams COPY text lines into `statement` (`COPY t (…) FROM STDIN`); undefined where COPY is not available. */
  copy?: (statement: string, lines: AsyncIterable<string | Buffer>) => Promise<void>;
  /** Runs `work` in a transaction on this session. */
  transaction<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A dedicated connection to real Postgres (not from the pool), with COPY through pg-copy-streams. */
export async function openPostgresSession(url: string): Promise<SqlSession> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // A dropped connection must surface as a failed query, not crash the process.
  client.on('error', () => undefined);
  const query = async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[];
  return {
    query,
    copy: async (statement, lines) => {
      const stream = client.query(copyFrom(statement));
      await pipeline(Readable.from(lines), stream);
    },
    transaction: async (work) => {
      await client.query('begin');
      try {
        const result = await work();
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => undefined);
        throw err;
      }
    },
    close: () => client.end(),
  };
}

/**
 * A session over one connection of a kysely database, held until `close`. On embedded PGlite (one backend in this
 * process) that is the only connection: nothing else reaches the database until the session closes, so no other
 * caller's statement lands inside its transaction, and the caller must not use `db` meanwhile. No COPY: callers
 * insert in batches instead.
 */
export function openKyselySession(db: Kysely<unknown>): Promise<SqlSession> {
  return new Promise<SqlSession>((resolveSession, rejectSession) => {
    let release!: () => void;
    const held = db.connection().execute(async (connection) => {
      const query = async <R>(text: string, params: unknown[] = []) =>
        (await connection.executeQuery<R>(CompiledQuery.raw(text, params))).rows;
      resolveSession({
        query,
        transaction: async (work) => {
          await query('begin');
          try {
            const result = await work();
            await query('commit');
            return result;
          } catch (err) {
            await query('rollback').catch(() => undefined);
            throw err;
          }
        },
        close: async () => {
          release();
          await held;
        },
      });
      await new Promise<void>((resolve) => (release = resolve));
    });
    held.catch(rejectSession);
  });
}

/**
 * Runs a statement built with kysely's query builder on a session: compiled by the database it was built with (the
 * same SQL dialect), executed on the session's own connection.
 */
export async function queryCompiled<R>(session: SqlSession, query: Compilable<R>): Promise<R[]> {
  const compiled = query.compile();
  return session.query<R>(compiled.sql, [...compiled.parameters]);
}
