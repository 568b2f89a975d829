import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/build-api.js';
import { auditedFilters } from '../../store/audit-actors.js';
import { readContact, readContactOsdi } from '../../cli/commands/contact.js';
import { runSegment } from '../../cli/commands/segment.js';
import { writeDevStackInfo } from '../../dev/dev-stack-file.js';
import { createLogger } from '../../logger.js';
import { listAuditForSubject, listAuditSubjects } from '../../store/audit.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { parseSegment } from '../../store/segments.js';
import { keyOf } from '../record/segment-fixtures.js';
import type { TestDatabase } from '../support/postgres.js';
import { noTemporal, startSeededApi, type SeededApi } from '../support/seeded-api.js';
import { testConfig } from '../support/test-config.js';

const API_TOKEN = 'api-token-for-audit-tests';
const auth = { authorization: `Bearer ${API_TOKEN}` };

/** The audit of reads and exports: who, what (contact keys, never emails), when, for what purpose, how many. */
describe('audit of reads and exports', () => {
  let seeded: SeededApi;
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let app: FastifyInstance;
  let dir: string;
  const config = testConfig({ API_TOKEN, SIGNUP_TOKEN: 'signup-token' });
  const audit = () => database.db.selectFrom('audit_log').selectAll().orderBy('id').execute();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-audit-'));
    seeded = await startSeededApi(config);
    ({ testDb, database, app } = seeded);
  });
  afterAll(async () => {
    await seeded?.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await database.db.deleteFrom('audit_log').execute();
  });

  it('audits GET /v1/contacts/:ref with the caller, the contact key, the purpose and whether it was found', async () => {
    const ana = keyOf('ana@example.org');
    const res = await app.inject({
      method: 'GET',
      url: `/v1/contacts/${ana}?purpose=support%20ticket%2042`,
      headers: { ...auth, 'x-audit-actor': 'alice' },
    });
    expect(res.statusCode).toBe(200);
    const missing = await app.inject({
      method: 'GET',
      url: `/v1/contacts/${'0'.repeat(64)}?format=osdi`,
      headers: auth,
    });
    expect(missing.statusCode).toBe(404);

    const rows = await audit();
    expect(rows.map((r) => [r.actor, r.action, r.subject_key, r.purpose, r.detail])).toEqual([
      ['api:alice', 'read_contact', ana, 'support ticket 42', { format: 'json', found: true }],
      ['api', 'read_contact', '0'.repeat(64), null, { format: 'osdi', found: false }],
    ]);
    expect(rows.every((r) => r.at instanceof Date && Date.now() - r.at.getTime() < 60_000)).toBe(true);
  });

  it('refuses an unreadable purpose with a 400, and audits nothing for a request without the token', async () => {
    const ana = keyOf('ana@example.org');
    const bad = await app.inject({
      method: 'GET',
      url: `/v1/contacts/${ana}?purpose=${'x'.repeat(101)}`,
      headers: auth,
    });
    expect(bad.statusCode).toBe(400);
    const anonymous = await app.inject({ method: 'GET', url: `/v1/contacts/${ana}` });
    expect(anonymous.statusCode).toBe(401);
    expect(await audit()).toEqual([]);
  });

  it('audits GET /v1/segments before the first row, then every contact key exported and the count', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/v1/segments?where=location.districts.congressional%3DNC-04&where=email~example.org&purpose=research',
      headers: { ...auth, 'x-audit-actor': 'data-team' },
    });
    expect(res.statusCode).toBe(200);
    const emails = parse<Record<string, string>>(res.body, { columns: true }).map((r) => r.email!);
    expect(emails.length).toBeGreaterThan(1);

    const [entry, ...others] = await audit();
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      actor: 'api:data-team',
      action: 'export_segment',
      subject_key: null,
      purpose: 'research',
      detail: {
        format: 'csv',
        filters: ['location.districts.congressional=NC-04', 'email~[redacted]'],
        count: emails.length,
        complete: true,
      },
    });
    expect(await listAuditSubjects(database.db, entry!.id)).toEqual(emails.map(keyOf).sort());
    // No email anywhere in the audit log: keys only, and filter values that identify a person are redacted.
    expect(JSON.stringify(await audit())).not.toMatch(/@/);
  });

  it('answers who saw a person’s data: reads of their record and the exports that included them', async () => {
    const ana = keyOf('ana@example.org');
    await app.inject({ method: 'GET', url: `/v1/contacts/${ana}?purpose=access%20request`, headers: auth });
    await app.inject({ method: 'GET', url: '/v1/segments?where=work.occupation~physician', headers: auth });
    await app.inject({ method: 'GET', url: '/v1/segments?where=work.occupation~nurse', headers: auth });

    const seen = await listAuditForSubject(database.db, ana);
    expect(seen.map((r) => [r.action, r.purpose])).toEqual([
      ['read_contact', 'access request'],
      ['export_segment', 'outreach'],
    ]);
  });

  it('audits `enrich contact` and `enrich segment` reading the database, as the OS user or --actor', async () => {
    const postgres = testConfig({ DATABASE_URL: testDb.url });
    const view = await readContact(postgres, keyOf('ben@example.org'), { purpose: 'dsar-17' });
    expect(view?.id).toBe(keyOf('ben@example.org'));
    await readContactOsdi(postgres, keyOf('cat@example.org'), { actor: 'dpo@office' });
    const out = join(dir, 'nc04.csv');
    const count = await runSegment(postgres, {
      where: ['location.districts.congressional=NC-04'],
      format: 'csv',
      out,
      purpose: 'outreach',
      actor: 'cli:exporter',
    });

    const rows = await audit();
    expect(rows.map((r) => [r.actor, r.action, r.subject_key, r.purpose])).toEqual([
      [expect.stringMatching(/^cli:/), 'read_contact', keyOf('ben@example.org'), 'dsar-17'],
      ['dpo@office', 'read_contact', keyOf('cat@example.org'), null],
      ['cli:exporter', 'export_segment', null, 'outreach'],
    ]);
    expect(rows[1]!.detail).toEqual({ format: 'osdi', found: true });
    const exported = parse<Record<string, string>>(await readFile(out, 'utf8'), { columns: true }).map((r) => r.email!);
    expect(rows[2]!.detail).toMatchObject({ count, complete: true });
    expect(count).toBe(exported.length);
    expect(await listAuditSubjects(database.db, rows[2]!.id)).toEqual(exported.map(keyOf).sort());
  });

  it('audits `enrich contact` through a running `enrich dev` API, naming who the command acts for', async () => {
    const listening = buildApi({ config, temporal: noTemporal, db: database.db, logger: createLogger('silent') });
    await listening.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = listening.server.address() as { port: number };
      const pgliteDir = join(dir, 'dev', 'pglite');
      await mkdir(join(dir, 'dev'), { recursive: true });
      await writeDevStackInfo(pgliteDir, {
        pid: process.pid,
        apiUrl: `http://127.0.0.1:${address.port}`,
        apiToken: API_TOKEN,
        signupToken: 'x',
      });
      const viaDev = testConfig({ PGLITE_DIR: pgliteDir });

      const view = await readContact(viaDev, keyOf('dan@example.org'), { actor: 'cli:tester', purpose: 'check' });
      expect(view?.id).toBe(keyOf('dan@example.org'));
      const count = await runSegment(viaDev, {
        where: ['profiles.network=mastodon'],
        format: 'jsonl',
        out: join(dir, 'm.jsonl'),
        purpose: 'outreach',
        actor: 'cli:tester',
      });
      expect(count).toBeUndefined();
    } finally {
      await listening.close();
    }
    const rows = await audit();
    expect(rows.map((r) => [r.actor, r.action, r.subject_key, r.purpose])).toEqual([
      ['api:cli:tester', 'read_contact', keyOf('dan@example.org'), 'check'],
      ['api:cli:tester', 'export_segment', null, 'outreach'],
    ]);
    expect(rows[1]!.detail).toMatchObject({ count: 2, complete: true });
  });

  it('keeps filters on districts and work in the log, and redacts values that identify a person', () => {
    const query = parseSegment([
      'email=ana@example.org',
      'name.family~Okafor',
      'profiles.handle=ana@toot.example',
      'voter.matchScore>=0.9',
      'bio?',
    ]);
    expect(auditedFilters(query.conditions)).toEqual([
      'email=[redacted]',
      'name.family~[redacted]',
      'profiles.handle=[redacted]',
      'voter.matchScore>=0.9',
      'bio?',
    ]);
  });
});
