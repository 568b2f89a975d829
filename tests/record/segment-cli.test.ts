import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/build-api.js';
import { writeDevStackInfo } from '../../dev/dev-stack-file.js';
import { createLogger } from '../../logger.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { testConfig } from '../support/test-config.js';
import { keyOf, seedPeople } from './segment-fixtures.js';

const run = promisify(execFile);

/** The real `enrich` binary, as a user runs it; resolves with its exit code and both outputs. */
async function enrich(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { DATABASE_URL: _inherited, ...base } = process.env;
  try {
    const { stdout, stderr } = await run('node', ['bin/enrich.js', ...args], {
      env: { ...base, LOG_LEVEL: 'silent', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const physiciansInNc04 = [
  'segment',
  '--where',
  'work.occupation~physician',
  '--where',
  'location.districts.congressional=NC-04',
];

describe('enrich segment, remerge and contact --format osdi (the commands)', () => {
  let dir: string;
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let postgres: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-segment-cli-'));
    testDb = await createTestDatabase();
    database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 2 });
    await migrateToLatest(database.db);
    await seedPeople(database.db);
    postgres = { DATABASE_URL: testDb.url };
  });
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a CSV segment to --out and says how many contacts on stderr', async () => {
    const out = join(dir, 'physicians.csv');
    const { code, stdout, stderr } = await enrich([...physiciansInNc04, '--out', out], postgres);
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '', stderr: `segment: 1 contact written to ${out}\n` });
    const rows = parse<Record<string, string>>(await readFile(out, 'utf8'), { columns: true });
    expect(rows.map((r) => r.email)).toEqual(['ana@example.org']);
    await expect(stat(`${out}.partial`)).rejects.toThrow();
  });

  it('streams OSDI and JSONL to stdout, FEC-derived contacts only with --purpose research', async () => {
    const osdi = await enrich([...physiciansInNc04, '--format', 'osdi', '--purpose', 'research'], postgres);
    expect(osdi.code).toBe(0);
    const people = (
      JSON.parse(osdi.stdout) as {
        _embedded: { 'osdi:people': Array<{ email_addresses: Array<{ address: string }> }> };
      }
    )._embedded['osdi:people'];
    expect(people.map((p) => p.email_addresses[0]!.address)).toEqual(['ana@example.org', 'ben@example.org']);

    const jsonl = await enrich(['segment', '--where', 'profiles.network=mastodon', '--format', 'jsonl'], postgres);
    // In contact id order.
    const byId = ['ana@example.org', 'dan@example.org'].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1));
    expect(
      jsonl.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { email: string }).email),
    ).toEqual(byId);
  });

  it('exits 1 with a one-line reason for a bad filter, and refuses an unknown format or purpose', async () => {
    const bad = await enrich(['segment', '--where', 'occupation~physician', '--out', join(dir, 'never.csv')], postgres);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^enrich: segment: --where "occupation~physician": unknown field "occupation"; allowed: email, .*\n$/,
    );
    await expect(stat(join(dir, 'never.csv'))).rejects.toThrow();

    const restricted = await enrich(['segment', '--where', 'donations.total>=500'], postgres);
    expect(restricted.code).toBe(1);
    expect(restricted.stderr).toMatch(/filter on it only with --purpose research\n$/);

    expect((await enrich(['segment', '--format', 'xlsx'], postgres)).code).toBe(1);
    expect((await enrich(['segment', '--purpose', 'fundraising'], postgres)).code).toBe(1);
  });

  it('prints a contact as an OSDI person with --format osdi', async () => {
    const { code, stdout } = await enrich(['contact', keyOf('ana@example.org'), '--format', 'osdi'], postgres);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      identifiers: [`enrich:${keyOf('ana@example.org')}`, 'voterfile-us-nc:NCDEM05-07'],
      given_name: 'Ana',
    });
    expect((await enrich(['contact', 'f'.repeat(64), '--format', 'osdi'], postgres)).code).toBe(2);
  });

  it('re-derives records with `enrich remerge` and prints how many changed', async () => {
    const stale = await enrich(['remerge'], postgres);
    expect({ code: stale.code, stdout: stale.stdout }).toEqual({ code: 0, stdout: '{"examined":0,"changed":0}\n' });
    const all = await enrich(['remerge', '--all', '--batch', '2'], postgres);
    expect(JSON.parse(all.stdout)).toEqual({ examined: 6, changed: 0 });
    const bad = await enrich(['remerge', '--batch', '0'], postgres);
    expect(bad).toMatchObject({ code: 1, stderr: 'enrich: remerge: --batch must be a whole number of at least 1\n' });
  });

  it('exports through the running dev stack when it holds the embedded database', async () => {
    const apiToken = 'dev-api-token';
    const app: FastifyInstance = buildApi({
      config: testConfig({ API_TOKEN: apiToken }),
      temporal: {} as Client,
      db: database.db,
      logger: createLogger('silent'),
    });
    const apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const pgliteDir = join(dir, 'pglite');
      await writeDevStackInfo(pgliteDir, { pid: process.pid, apiUrl, apiToken, signupToken: 'unused' });
      const env = { PGLITE_DIR: pgliteDir };
      const out = join(dir, 'through-api.csv');
      const { code, stderr } = await enrich([...physiciansInNc04, '--out', out], env);
      expect({ code, stderr }).toEqual({ code: 0, stderr: `segment: contacts written to ${out}\n` });
      expect(parse<{ email: string }>(await readFile(out, 'utf8'), { columns: true }).map((r) => r.email)).toEqual([
        'ana@example.org',
      ]);

      const bad = await enrich(['segment', '--where', 'voter.matchScore>x'], env);
      expect(bad).toMatchObject({
        code: 1,
        stderr: 'enrich: segment: --where "voter.matchScore>x": "x" is not a number\n',
      });
      expect((await enrich(['remerge'], env)).stderr).toMatch(/enrich dev` holds the embedded database/);
    } finally {
      await app.close();
    }
  });
});
