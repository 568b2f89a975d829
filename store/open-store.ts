import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openDatabase, type DatabaseHandle } from './open-database.js';

/** Opens the configured store (Postgres, or embedded PGlite), logging dropped idle connections rather than crashing. */
export function openStore(
  config: Config,
  logger?: Logger,
  poolSize = config.database.poolSize,
): Promise<DatabaseHandle> {
  return openDatabase({
    url: config.database.url,
    pgliteDir: config.database.pgliteDir,
    poolSize,
    onIdleError: (err) => logger?.warn({ err: err.message }, 'postgres closed an idle connection; it will be replaced'),
  });
}
