import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { createTestDatabase } from './postgres.js';

/** One of the stores the product supports, opened fresh for a suite. */
export interface StoreBackend {
  name: 'Postgres' | 'PGlite';
  embedded: boolean;
  /** A new, empty store (not migrated); `url` is the Postgres database's, for COPY and second sessions. */
  open: () => Promise<{ handle: DatabaseHandle; url?: string; cleanup: () => Promise<void> }>;
}

/** For suites that run on both: real Postgres (a throwaway database) and embedded PGlite (in memory). */
export const STORE_BACKENDS: StoreBackend[] = [
  {
    name: 'Postgres',
    embedded: false,
    open: async () => {
      const testDb = await createTestDatabase();
      const handle = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 4 });
      return { handle, url: testDb.url, cleanup: async () => (await handle.close(), await testDb.drop()) };
    },
  },
  {
    name: 'PGlite',
    embedded: true,
    open: async () => {
      const handle = await openDatabase({ pgliteDir: 'memory://' });
      return { handle, cleanup: () => handle.close() };
    },
  },
];
