import type { Client } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import type { Config } from '../../config.js';
import { createLogger } from '../../logger.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { seedPeople } from '../record/segment-fixtures.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';

/** The read routes never reach Temporal; a client they would fail loudly on if they did. */
export const noTemporal = {} as Client;

export interface SeededApi {
  testDb: TestDatabase;
  database: DatabaseHandle;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** A migrated database of its own seeded with the segment fixtures' people, and the API over it (no Temporal). */
export async function startSeededApi(config: Config): Promise<SeededApi> {
  const testDb = await createTestDatabase();
  const database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 3 });
  await migrateToLatest(database.db);
  await seedPeople(database.db);
  const app = buildApi({ config, temporal: noTemporal, db: database.db, logger: createLogger('silent') });
  await app.ready();
  return {
    testDb,
    database,
    app,
    async close() {
      await app.close();
      await database.close();
      await testDb.drop();
    },
  };
}
