import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { runningApi } from './running-api.js';
import { openStore } from '../../store/open-store.js';
import { CommandError } from './command-error.js';

export interface StoreReader<T> {
  /** Read straight from the database. */
  fromDb(db: Kysely<Database>): Promise<T>;
  /** The API path (under the dev stack's API) that answers the same, and how to read its JSON. */
  apiPath: string;
  /** Extra request headers for the API (e.g. who the command acts for, for the audit log). */
  apiHeaders?: Record<string, string>;
  fromApi(status: number, body: unknown): T;
  /** What to answer when there is no database yet (a fresh embedded folder). */
  empty: T;
}

/**
 * Reads from the store wherever it is: through the API at `API_URL` when one is configured with `API_TOKEN`; else
 * Postgres when DATABASE_URL is set; through the running `enrich dev` API when that process holds the embedded
 * database (only one process may open it); else the embedded database directly.
 */
export async function readStore<T>(config: Config, reader: StoreReader<T>): Promise<T> {
  const api = await runningApi(config);
  if (api?.apiToken) {
    const response = await fetch(`${api.url}${reader.apiPath}`, {
      headers: { ...reader.apiHeaders, authorization: `Bearer ${api.apiToken}` },
    }).catch((err: unknown) => {
      throw new CommandError(
        `cannot reach the API at ${api.url} (${err instanceof Error ? err.message : String(err)})`,
      );
    });
    if (response.status >= 500 || response.status === 401)
      throw new CommandError(`the API at ${api.url} answered HTTP ${response.status}`);
    return reader.fromApi(response.status, await response.json());
  }
  if (!config.database.url && !existsSync(config.database.pgliteDir)) return reader.empty;
  const database = await openStore(config, undefined, 1);
  try {
    if (database.embedded) await migrateToLatest(database.db);
    return await reader.fromDb(database.db);
  } finally {
    await database.close();
  }
}
