import type { Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../store/database.js';

/** What the HTTP API needs, passed in so tests give it a dev server, a test database and a silent logger. */
export interface ApiDeps {
  config: Config;
  temporal: Client;
  db: Kysely<Database>;
  logger: Logger;
}
