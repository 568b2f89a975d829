import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExport } from '../../cli/commands/export.js';
import { actionNetworkPoster, ActionNetworkWriteError } from '../../cli/export/action-network-writer.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { recordListStatuses } from '../../store/list-statuses.js';
import { startActionNetworkDemo, type ActionNetworkDemoServer } from '../../demo/servers/action-network-server.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { testConfig } from '../support/test-config.js';
import { keyOf, seedPeople } from './segment-fixtures.js';

const API_KEY = 'an-api-key-for-tests';

describe('enrich export --to actionnetwork (against the demo Action Network server)', () => {
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let demo: ActionNetworkDemoServer;
  const configFor = (apiKey = API_KEY) =>
    testConfig({
      DATABASE_URL: testDb.url,
      ACTION_NETWORK_API_KEY: apiKey,
      ACTION_NETWORK_API_URL: demo.url,
      ACTION_NETWORK_RPS: '20',
    });

  beforeAll(async () => {
    testDb = await createTestDatabase();
    database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 2 });
    await migrateToLatest(database.db);
    await seedPeople(database.db);
    // Ana: a list said subscribed. Ben: came from Action Network, status unknown. Eve: suppressed. Others: unknown.
    await recordListStatuses(database.db, keyOf('ana@example.org'), [
      { status: 'subscribed', source: 'action_network:email_addresses.status' },
    ]);
    await sql`update contacts set signup = jsonb_set(signup, '{source}', '"action_network:submission"') where id = ${keyOf('ben@example.org')}`.execute(
      database.db,
    );
    demo = await startActionNetworkDemo({ apiKey: API_KEY, limit: { max: 20, windowMs: 1000 } });
  });
  afterAll(async () => {
    await demo?.close();
    await database?.close();
    await testDb?.drop();
  });

  it('plans without posting by default (a dry run)', async () => {
    const summary = await runExport(configFor(), { to: 'actionnetwork', where: [] });
    expect(summary).toMatchObject({ dryRun: true, sent: 2, failed: 0 });
    expect(Object.keys(summary.reasons)).toEqual([
      'list status unknown: Action Network would subscribe a new person sent without one',
    ]);
    expect(demo.requests()).toBe(0);
  });

  it('writes back only people it may, never subscribing one the lists did not say was subscribed', async () => {
    // Ben is already on the list, unsubscribed: a write-back without a status must leave him so.
    await actionNetworkPoster({ apiUrl: demo.url, apiKey: API_KEY, rps: 20 })({
      person: {
        email_addresses: [{ address: 'ben@example.org', primary: true, status: 'unsubscribed' }],
        custom_fields: {},
      },
    });
    const summary = await runExport(configFor(), { to: 'actionnetwork', where: [], send: true });
    expect(summary).toMatchObject({ dryRun: false, sent: 2, failed: 0 });
    const people = demo.people();
    expect(people.get('ana@example.org')?.person.email_addresses[0]?.status).toBe('subscribed');
    expect(people.get('ana@example.org')?.person).toMatchObject({ given_name: 'Ana', family_name: 'Okafor' });
    expect(people.get('ben@example.org')?.person.email_addresses[0]?.status).toBe('unsubscribed');
    expect(people.has('eve@example.org')).toBe(false);
    expect([...people.keys()].sort()).toEqual(['ana@example.org', 'ben@example.org']);
    expect(demo.requestLog().every((r) => r.method === 'POST' && r.url === '/api/v2/people' && r.status === 200)).toBe(
      true,
    );
    expect(demo.violations()).toBe(0);
  });

  it('stops on a refused API key, naming the status', async () => {
    await expect(runExport(configFor('wrong-key'), { to: 'actionnetwork', where: [], send: true })).rejects.toThrow(
      ActionNetworkWriteError,
    );
  });
});
