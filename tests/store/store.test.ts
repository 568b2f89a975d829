import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findContactById, findContactView, upsertContact } from '../../store/contacts.js';
import { listLookups, upsertLookup } from '../../store/lookups.js';
import { migrateToLatest } from '../../store/migrate.js';
import { insertObservations, listObservations } from '../../store/observations.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { sql } from 'kysely';
import { STORE_BACKENDS } from '../support/store-backends.js';

const run = { workflowId: 'enrich-contact:test', runId: 'run-1' };
const KEY = 'a'.repeat(64);

describe.each(STORE_BACKENDS)('store on $name', ({ open }) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, cleanup } = await open());
    await migrateToLatest(handle.db);
  });
  afterAll(async () => cleanup());

  it('migrates idempotently and creates the matching extensions', async () => {
    expect(await migrateToLatest(handle.db)).toEqual([]);
    const { rows } = await sql<{ extname: string }>`select extname from pg_extension order by extname`.execute(
      handle.db,
    );
    expect(rows.map((r) => r.extname)).toEqual(expect.arrayContaining(['fuzzystrmatch', 'pg_trgm', 'unaccent']));
    const { rows: similar } = await sql<{
      s: number;
      m: string;
    }>`select similarity('Ruiz', 'Ruis') as s, dmetaphone('Ruiz') as m`.execute(handle.db);
    expect(similar[0]!.s).toBeGreaterThan(0.2);
    expect(similar[0]!.m).toBe('RS');
  });

  it('upserts a contact and keeps consent when a later signup gives none', async () => {
    const consent = { socialProfiles: true, at: '2026-01-01T00:00:00.000Z' };
    await upsertContact(handle.db, {
      id: KEY,
      signup: { email: 'dana@example.org', givenName: 'Dana', consent },
      ...run,
    });
    await upsertContact(handle.db, { id: KEY, signup: { email: 'dana@example.org', givenName: 'Dana R.' }, ...run });
    const row = await findContactById(handle.db, KEY);
    expect(row?.consent).toEqual(consent);
    expect(row?.signup).toEqual({ email: 'dana@example.org', givenName: 'Dana R.' });
    expect(row?.status).toBe('running');
  });

  it('appends an observation once however often it is reported', async () => {
    const obs = [
      {
        field: 'name.display',
        value: 'Dana Ruiz',
        confidence: 0.9,
        fetchedAt: '2026-01-01T00:00:00.000Z',
        sourceUrl: 'https://gravatar.com/danaruiz',
      },
      {
        field: 'profiles',
        value: { network: 'github', handle: 'druiz', url: 'https://github.com/druiz', verified: true },
        confidence: 0.9,
        fetchedAt: '2026-01-01T00:00:00.000Z',
      },
    ];
    const source = { contactId: KEY, provider: 'gravatar', ...run };
    expect(await insertObservations(handle.db, source, obs)).toBe(2);
    // Same values again (a retry, a replay, a reset), with keys in another order: nothing new.
    const reordered = [
      { ...obs[1]!, value: { verified: true, url: 'https://github.com/druiz', handle: 'druiz', network: 'github' } },
      obs[0]!,
    ];
    expect(await insertObservations(handle.db, { ...source, runId: 'run-2' }, reordered)).toBe(0);
    const stored = await listObservations(handle.db, KEY);
    expect(stored).toHaveLength(2);
    expect(stored.map((o) => o.run_id)).toEqual(['run-1', 'run-1']);
    expect(stored[1]!.value).toEqual(obs[1]!.value);
    expect(stored[0]!.fetched_at.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('keeps the first failure time until a lookup succeeds', async () => {
    const base = { contactId: KEY, provider: 'github', ...run };
    await upsertLookup(handle.db, {
      ...base,
      outcome: 'failed',
      attempts: 3,
      errorType: 'ProviderUnavailable',
      lastError: 'HTTP 500',
      completedAt: '2026-01-01T00:00:00.000Z',
    });
    await upsertLookup(handle.db, {
      ...base,
      outcome: 'failed',
      attempts: 5,
      errorType: 'ProviderUnavailable',
      lastError: 'HTTP 503',
      completedAt: '2026-01-02T00:00:00.000Z',
    });
    let [row] = await listLookups(handle.db, KEY);
    expect(row).toMatchObject({ outcome: 'failed', attempts: 5, last_error: 'HTTP 503' });
    expect(row!.first_failed_at?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(row!.last_failed_at?.toISOString()).toBe('2026-01-02T00:00:00.000Z');

    await upsertLookup(handle.db, {
      ...base,
      outcome: 'matched',
      attempts: 1,
      completedAt: '2026-01-03T00:00:00.000Z',
    });
    [row] = await listLookups(handle.db, KEY);
    expect(row).toMatchObject({
      outcome: 'matched',
      attempts: 1,
      error_type: null,
      last_error: null,
      first_failed_at: null,
    });
    expect(row!.last_failed_at?.toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });

  it('rejects an outcome outside the four the product knows', async () => {
    await expect(
      upsertLookup(handle.db, {
        contactId: KEY,
        provider: 'x',
        outcome: 'maybe' as 'matched',
        attempts: 1,
        completedAt: '2026-01-01T00:00:00.000Z',
        ...run,
      }),
    ).rejects.toThrow(/check constraint|violates/);
  });

  it('shows a contact without a record yet by id and status, and an unknown one as absent', async () => {
    expect(await findContactView(handle.db, KEY)).toEqual({ id: KEY, email: 'dana@example.org', status: 'running' });
    expect(await findContactView(handle.db, 'b'.repeat(64))).toBeUndefined();
  });
});
