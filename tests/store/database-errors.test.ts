import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { upsertContact } from '../../store/contacts.js';
import { describeDatabaseError, isUnstorableValue, sqlState } from '../../store/database-errors.js';
import { migrateToLatest } from '../../store/migrate.js';
import { insertObservations } from '../../store/observations.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { STORE_BACKENDS } from '../support/store-backends.js';

const run = { workflowId: 'enrich-contact:test', runId: 'run-1' };
const KEY = 'b'.repeat(64);
const SECRET_NAME = 'Zyxwvutsrq';

/** The error a call rejects with (fails the test if it succeeds). */
async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe.each(STORE_BACKENDS)('database errors on $name', ({ open }) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, cleanup } = await open());
    await migrateToLatest(handle.db);
    await upsertContact(handle.db, { id: KEY, signup: { email: 'ada@example.org' }, ...run });
  });
  afterAll(async () => cleanup());

  const observation = (value: unknown) => [
    { field: 'name.display', value: value as string, confidence: 0.9, fetchedAt: '2026-12-01T00:00:00.000Z' },
  ];

  it('a NUL in a value is refused for good, and described without the value', async () => {
    const err = await failure(() =>
      insertObservations(
        handle.db,
        { contactId: KEY, provider: 'gravatar', ...run },
        observation(`${SECRET_NAME}\u0000`),
      ),
    );
    expect(sqlState(err)).toBe('22P05');
    expect(isUnstorableValue(err)).toBe(true);
    // The driver's own error carries the row: that is why it is never passed on as it is.
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).toContain(SECRET_NAME);
    const described = describeDatabaseError(err);
    expect(described).toMatch(/^SQLSTATE 22P05 untranslatable_character/);
    expect(described).not.toContain(SECRET_NAME);
  });

  it('a lone surrogate in a jsonb value is refused for good', async () => {
    const err = await failure(() =>
      insertObservations(
        handle.db,
        { contactId: KEY, provider: 'gravatar', ...run },
        observation(`${SECRET_NAME}\ud800`),
      ),
    );
    expect(sqlState(err)?.slice(0, 2)).toBe('22');
    expect(isUnstorableValue(err)).toBe(true);
    expect(describeDatabaseError(err)).not.toContain(SECRET_NAME);
  });

  it('a row whose contact is gone (foreign key) is refused for good, named by its constraint', async () => {
    const err = await failure(() =>
      insertObservations(
        handle.db,
        { contactId: 'c'.repeat(64), provider: 'gravatar', ...run },
        observation(SECRET_NAME),
      ),
    );
    expect(sqlState(err)).toBe('23503');
    expect(isUnstorableValue(err)).toBe(true);
    expect(describeDatabaseError(err)).toMatch(
      /^SQLSTATE 23503 foreign_key_violation \(table observations, constraint \w+\)$/,
    );
  });

  it('a unique key taken by a concurrent writer and a missing table may heal: retried', async () => {
    const duplicate = await failure(() =>
      sql`insert into contacts select * from contacts where id = ${KEY}`.execute(handle.db),
    );
    expect(sqlState(duplicate)).toBe('23505');
    expect(isUnstorableValue(duplicate)).toBe(false);
    const missing = await failure(() => sql`select * from no_such_table`.execute(handle.db));
    expect(sqlState(missing)).toBe('42P01');
    expect(isUnstorableValue(missing)).toBe(false);
  });
});

describe('errors that are not from Postgres', () => {
  it('a refused connection has no SQLSTATE and is retried', async () => {
    const client = new pg.Client({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
      connectionTimeoutMillis: 2000,
    });
    const err = await failure(() => client.connect());
    expect(sqlState(err)).toBeUndefined();
    expect(isUnstorableValue(err)).toBe(false);
    expect(describeDatabaseError(err)).toBe('not a database error');
  });
});
