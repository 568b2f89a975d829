import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvHeader } from '../../domain/osdi/segment-export.js';
import type { ContactRecord } from '../../schemas/contact-record.js';
import { testConfig } from '../support/test-config.js';
import { startSeededApi, type SeededApi } from '../support/seeded-api.js';
import { AT, keyOf } from './segment-fixtures.js';
import { validOsdiPerson } from '../support/osdi-schema.js';

const API_TOKEN = 'api-token-for-tests';
const config = testConfig({ API_TOKEN, SIGNUP_TOKEN: 'signup-token-for-tests' });
const auth = { authorization: `Bearer ${API_TOKEN}` };

describe('GET /v1/segments and GET /v1/contacts/:ref?format=osdi', () => {
  let seeded: SeededApi;
  let app: FastifyInstance;

  beforeAll(async () => {
    seeded = await startSeededApi(config);
    ({ app } = seeded);
  });
  afterAll(() => seeded?.close());

  const segments = (query: string, headers: Record<string, string> = auth) =>
    app.inject({ method: 'GET', url: `/v1/segments?${query}`, headers });

  it('streams the matching contacts as CSV by default, all filters applying', async () => {
    const res = await segments('where=work.occupation~physician&where=location.districts.congressional%3DNC-04');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = parse<Record<string, string>>(res.body, { columns: true });
    expect(rows.map((r) => r.email)).toEqual(['ana@example.org']);
    expect(Object.keys(rows[0]!)).toEqual(csvHeader('outreach'));
    // A bio that is a spreadsheet formula is neutralised.
    expect(rows[0]!.bio).toBe(`'=HYPERLINK("https://evil.example")`);
  });

  it('includes FEC-derived contacts and columns only for purpose=research', async () => {
    const res = await segments(
      'where=work.occupation~physician&where=location.districts.congressional%3DNC-04&purpose=research',
    );
    const rows = parse<Record<string, string>>(res.body, { columns: true });
    expect(rows.map((r) => [r.email, r['work.occupation'], r['donations.total']])).toEqual([
      ['ana@example.org', 'Family Physician', ''],
      ['ben@example.org', 'Physician', '750'],
    ]);
  });

  it('streams JSON Lines and OSDI', async () => {
    const jsonl = await segments('where=profiles.network%3Dmastodon&format=jsonl');
    expect(jsonl.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const records = jsonl.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as ContactRecord);
    expect(records.map((r) => r.email).sort()).toEqual(['ana@example.org', 'dan@example.org']);

    const osdi = await segments('where=voter.party%3DDEM&format=osdi');
    expect(osdi.headers['content-type']).toBe('application/hal+json; charset=utf-8');
    const people = osdi.json<{ _embedded: { 'osdi:people': Array<{ identifiers: string[]; parties: unknown }> } }>()
      ._embedded['osdi:people'];
    expect(people).toHaveLength(1);
    expect(people[0]!.identifiers).toEqual([`enrich:${keyOf('ana@example.org')}`, 'voterfile-us-nc:NCDEM05-07']);
    expect(people[0]!.parties).toEqual([{ identification: 'Democratic', last_verified_date: AT, active: true }]);
    for (const person of people) expect(validOsdiPerson(person), JSON.stringify(validOsdiPerson.errors)).toBe(true);
  });

  it('answers 400 naming each bad filter before streaming anything', async () => {
    const res = await segments('where=occupation~physician&where=donations.total%3E%3D500&where=voter.party%3DDEM');
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; issues: Array<{ expression: string; message: string }> }>();
    expect(body.error).toBe('invalid segment filter');
    expect(body.issues.map((i) => i.expression)).toEqual(['occupation~physician', 'donations.total>=500']);
    expect(body.issues[0]!.message).toMatch(/^unknown field "occupation"; allowed: /);
    expect(body.issues[1]!.message).toMatch(/--purpose research/);
    expect((await segments('format=xlsx')).json()).toMatchObject({ error: 'format must be one of csv, jsonl, osdi' });
    expect((await segments('purpose=fundraising')).statusCode).toBe(400);
  });

  it('refuses a missing or wrong token', async () => {
    expect((await segments('', {})).statusCode).toBe(401);
    expect((await segments('', { authorization: 'Bearer nope' })).statusCode).toBe(401);
  });

  it('serves a contact as an OSDI person with ?format=osdi, without FEC data', async () => {
    const res = await app.inject({
      method: 'GET',
      url: `/v1/contacts/${keyOf('ben@example.org')}?format=osdi`,
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/hal+json; charset=utf-8');
    const person = res.json<Record<string, unknown>>();
    expect(person).toMatchObject({
      identifiers: [`enrich:${keyOf('ben@example.org')}`],
      given_name: 'Ben',
      profiles: [{ provider: 'GitHub', handle: 'benj' }],
    });
    expect(person).not.toHaveProperty('occupation');
    expect(person).not.toHaveProperty('employer');

    const record = await app.inject({ method: 'GET', url: `/v1/contacts/${keyOf('ben@example.org')}`, headers: auth });
    expect(record.json()).toMatchObject({ schemaVersion: 2, work: { occupation: 'Physician' }, voter: null });
    expect(
      (await app.inject({ method: 'GET', url: `/v1/contacts/${keyOf('ben@example.org')}?format=xml`, headers: auth }))
        .statusCode,
    ).toBe(400);
    expect(
      (await app.inject({ method: 'GET', url: '/v1/contacts/nobody@example.org?format=osdi', headers: auth }))
        .statusCode,
    ).toBe(404);
  });
});
