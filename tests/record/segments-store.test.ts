import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remergeContacts } from '../../cli/commands/remerge.js';
import { RECORD_SCHEMA_VERSION, type ContactRecord } from '../../schemas/contact-record.js';
import { findContactRecord, findContactView, recordColumns, updateContactRecord } from '../../store/contacts.js';
import { migrateToLatest } from '../../store/migrate.js';
import { backfillRecordColumns } from '../../store/migrations/0002-record-columns.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import {
  countSegment,
  isEmbeddedDatabase,
  parseSegment,
  SegmentFilterError,
  streamSegment,
  type StreamSegmentOptions,
} from '../../store/segments.js';
import { keyOf, mergeStored, seedPeople } from './segment-fixtures.js';
import { STORE_BACKENDS } from '../support/store-backends.js';

const emailOf = (id: string) =>
  Object.fromEntries(['ana', 'ben', 'cat', 'dan', 'eve', 'gil'].map((n) => [keyOf(`${n}@example.org`), n]))[id] ?? id;

describe.each(STORE_BACKENDS)('segments on $name', ({ open, embedded }) => {
  let handle: DatabaseHandle;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ handle, cleanup } = await open());
    await migrateToLatest(handle.db);
    await seedPeople(handle.db);
  });
  afterAll(async () => cleanup());

  async function collect(
    where: string[],
    purpose: 'outreach' | 'research' = 'outreach',
    options: StreamSegmentOptions = {},
  ): Promise<ContactRecord[]> {
    const records: ContactRecord[] = [];
    for await (const record of streamSegment(handle.db, parseSegment(where, purpose), options)) records.push(record);
    return records;
  }
  const who = async (where: string[], purpose: 'outreach' | 'research' = 'outreach') =>
    (await collect(where, purpose)).map((r) => emailOf(r.id)).sort();

  it('fills the selection columns from the record, with networks and the FEC-decided fields', async () => {
    const rows = await handle.db
      .selectFrom('contacts')
      .select([
        'id',
        'occupation',
        'employer',
        'postal_code',
        'locality',
        'congressional',
        'county',
        'party',
        'precinct',
        'voter_status',
        'networks',
        'restricted_fields',
      ])
      .where('id', 'in', [keyOf('ana@example.org'), keyOf('ben@example.org')])
      .execute();
    const byName = Object.fromEntries(rows.map((r) => [emailOf(r.id), r]));
    expect(byName.ana).toMatchObject({
      occupation: 'Family Physician',
      postal_code: '27705',
      locality: 'Durham',
      congressional: 'NC-04',
      county: 'Durham County',
      party: 'DEM',
      precinct: '05-07',
      voter_status: 'A',
      networks: ['mastodon'],
      restricted_fields: [],
    });
    expect(byName.ben).toMatchObject({
      occupation: 'Physician',
      employer: 'Duke Health',
      networks: ['github'],
      restricted_fields: ['donations', 'work.employer', 'work.occupation'],
    });
  });

  it('exports "occupation contains physician in NC-04": not the FEC-only physician unless for research, never the suppressed one', async () => {
    const where = ['work.occupation~physician', 'location.districts.congressional=NC-04'];
    expect(await who(where)).toEqual(['ana']);
    expect(await who(where, 'research')).toEqual(['ana', 'ben']);
    expect(await countSegment(handle.db, parseSegment(where, 'research'))).toBe(2);
  });

  it('matches text case-insensitively: equality, substring, presence', async () => {
    expect(await who(['location.districts.congressional=nc-04'])).toEqual(['ana', 'ben', 'cat']);
    expect(await who(['work.occupation=physician assistant'])).toEqual(['dan']);
    expect(await who(['work.occupation~PHYSICIAN'])).toEqual(['ana', 'dan']);
    expect(await who(['location.districts.tract?'])).toEqual(['ana']);
    expect(await who(['name.given=ana'])).toEqual(['ana']);
    expect(await who(['status=flagged'])).toEqual(['cat']);
  });

  it('filters on the voter file: party, status, precinct, match score, registration date', async () => {
    expect(await who(['voter.party=dem'])).toEqual(['ana']);
    expect(await who(['voter.party?'])).toEqual(['ana', 'cat']);
    expect(await who(['voter.status=i'])).toEqual(['cat']);
    expect(await who(['voter.precinct=05-07'])).toEqual(['ana']);
    expect(await who(['voter.matchScore>=0.93'])).toEqual(['ana']);
    expect(await who(['voter.registrationDate<2013-01-01', 'voter.registrationDate>2012-09-30'])).toEqual([
      'ana',
      'cat',
    ]);
    expect(await who(['voter.registrationDate=2012-10-01'])).toEqual(['ana', 'cat']);
  });

  it('filters on profiles: network equality and substring, handles', async () => {
    expect(await who(['profiles.network=mastodon'])).toEqual(['ana', 'dan']);
    expect(await who(['profiles.network=Mastodon', 'profiles.network=bluesky'])).toEqual(['dan']);
    expect(await who(['profiles.network~git'])).toEqual(['ben']);
    expect(await who(['profiles.handle=BENJ'])).toEqual(['ben']);
    expect(await who(['profiles.handle~bsky'])).toEqual(['dan']);
    expect(await who(['profiles.network?'])).toEqual(['ana', 'ben', 'dan']);
  });

  it('filters on numbers and dates, donations only for research', async () => {
    expect(await who(['donations.total>=500'], 'research')).toEqual(['ben']);
    expect(await who(['donations.total>750'], 'research')).toEqual([]);
    expect(await who(['donations.count=3', 'donations.lastDate>=2025-10-14'], 'research')).toEqual(['ben']);
    expect(await who(['donations.lastDate>2025-10-14'], 'research')).toEqual([]);
    expect(() => parseSegment(['donations.total>=500'])).toThrow(SegmentFilterError);
    // Records are as recent as their contact's creation (now) at least.
    expect(await who(['updatedAt<2000-01-01'])).toEqual([]);
    expect(await who(['updatedAt>=2000-01-01', 'work.occupation?'])).toEqual(['ana', 'cat', 'dan', 'gil']);
    expect(await who(['updatedAt<=2000-01-01T00:00:00+02:00'])).toEqual([]);
  });

  it('treats a value as data: LIKE metacharacters match themselves, SQL in a value matches nothing', async () => {
    expect(await who(['work.occupation~100%'])).toEqual(['gil']);
    expect(await who(['work.occupation~r_i'])).toEqual(['gil']);
    expect(await who(['work.occupation~%'])).toEqual(['gil']);
    expect(await who([`work.occupation=x' or '1'='1`])).toEqual([]);
    expect(await who([`location.districts.congressional=NC-04'; drop table contacts; --`])).toEqual([]);
    expect(await countSegment(handle.db, parseSegment([]))).toBe(5);
  });

  it('leaves FEC data out of what it exports unless for research', async () => {
    const [outreach] = await collect(['email=ben@example.org']);
    const [research] = await collect(['email=ben@example.org'], 'research');
    expect(outreach!.donations).toBeNull();
    expect(outreach!.work).toEqual({ employer: null, occupation: null, title: null });
    expect(Object.keys(outreach!.provenance).sort()).toEqual(
      ['name.given', 'location.districts.congressional', 'profiles'].sort(),
    );
    expect(research!.donations).toEqual({ count: 3, total: 750, lastDate: '2025-10-14', restricted: true });
    expect(research!.work.occupation).toBe('Physician');
  });

  it.each([
    ['cursor', 2],
    ['keyset', 2],
    ['cursor', 1],
    ['keyset', 500],
  ] as const)('streams every page in id order (%s paging, %i per page)', async (paging, pageSize) => {
    const all = await collect([], 'outreach');
    const paged = await collect([], 'outreach', { paging, pageSize });
    expect(paged.map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect(paged.map((r) => r.id)).toEqual([...paged.map((r) => r.id)].sort());
    expect(paged).toHaveLength(5);
  });

  it('pages by keyset on PGlite and by cursor on Postgres, and frees the connection when the reader stops early', async () => {
    expect(await isEmbeddedDatabase(handle.db)).toBe(embedded);
    for (const paging of ['cursor', 'keyset'] as const) {
      for await (const record of streamSegment(handle.db, parseSegment([]), { paging, pageSize: 1 })) {
        expect(record.id).toBeTruthy();
        break;
      }
      // Not left inside the export's transaction: a write commits and is seen.
      await sql`update contacts set workflow_id = workflow_id where id = ${keyOf('ana@example.org')}`.execute(
        handle.db,
      );
      expect(await countSegment(handle.db, parseSegment(['voter.party=dem']))).toBe(1);
    }
  });

  it('keeps a suppressed contact suppressed when a merge without suppression writes its record', async () => {
    const id = keyOf('eve@example.org');
    const record = (await findContactRecord(handle.db, id))!;
    await updateContactRecord(handle.db, id, { ...record, status: 'enriched' });
    const row = await handle.db
      .selectFrom('contacts')
      .select(['status', 'record'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('suppressed');
    expect((row.record as ContactRecord).status).toBe('suppressed');
  });

  it('fills the columns of records stored before migration 0002 as the store does', async () => {
    const before = await handle.db
      .selectFrom('contacts')
      .selectAll()
      .where('record', 'is not', null)
      .orderBy('id')
      .execute();
    await sql`update contacts set occupation = null, employer = null, congressional = null, party = null, networks = '{}', restricted_fields = '{}'`.execute(
      handle.db,
    );
    await backfillRecordColumns(handle.db);
    const after = await handle.db
      .selectFrom('contacts')
      .selectAll()
      .where('record', 'is not', null)
      .orderBy('id')
      .execute();
    expect(after.map((r) => ({ id: r.id, ...recordColumns(r.record as ContactRecord) }))).toEqual(
      before.map((r) => ({ id: r.id, ...recordColumns(r.record as ContactRecord) })),
    );
    for (const row of after) {
      const expected = recordColumns(row.record as ContactRecord);
      expect(Object.fromEntries(Object.keys(expected).map((k) => [k, row[k as keyof typeof row]]))).toEqual(expected);
    }
  });

  it('reads a record stored under schema 1, exports it, and `remerge` brings it to the current schema', async () => {
    const id = keyOf('dan@example.org');
    const current = (await findContactRecord(handle.db, id))!;
    const { voter: _voter, ...v1 } = { ...current, schemaVersion: 1 };
    await sql`update contacts set record = ${JSON.stringify(v1)}::jsonb, record_version = 1 where id = ${id}`.execute(
      handle.db,
    );

    expect(await findContactView(handle.db, id)).toMatchObject({
      schemaVersion: RECORD_SCHEMA_VERSION,
      voter: null,
      id,
    });
    expect(await who(['profiles.network=bluesky'])).toEqual(['dan']);

    const observationsBefore = await handle.db
      .selectFrom('observations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(await remergeContacts(handle.db, { all: false, batch: 2 })).toEqual({ examined: 1, changed: 1 });
    const row = await handle.db
      .selectFrom('contacts')
      .select(['record_version', 'record'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.record_version).toBe(RECORD_SCHEMA_VERSION);
    expect(row.record).toEqual(current);

    // Everything current: nothing changes, even re-deriving all of it; observations are only read.
    expect(await remergeContacts(handle.db, { all: true, batch: 2 })).toEqual({ examined: 6, changed: 0 });
    const observationsAfter = await handle.db
      .selectFrom('observations')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(observationsAfter.n).toBe(observationsBefore.n);
  });

  it('`remerge --all` rewrites a record the current rules derive differently, and counts it', async () => {
    const id = keyOf('cat@example.org');
    const record = (await findContactRecord(handle.db, id))!;
    await updateContactRecord(handle.db, id, { ...record, work: { ...record.work, occupation: 'Stale rule output' } });
    expect(await who(['work.occupation~stale'])).toEqual(['cat']);

    expect(await remergeContacts(handle.db, { all: true, batch: 4 })).toEqual({ examined: 6, changed: 1 });
    expect(await who(['work.occupation~stale'])).toEqual([]);
    expect(await findContactRecord(handle.db, id)).toEqual(await mergeStored(handle.db, id));
  });
});
