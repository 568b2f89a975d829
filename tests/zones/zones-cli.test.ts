import { execFile } from 'node:child_process';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/build-api.js';
import { createLogger } from '../../logger.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { noTemporal } from '../support/seeded-api.js';
import { testConfig } from '../support/test-config.js';
import { importZoneFixture, seedZoneSupporters } from './zone-fixture.js';

const run = promisify(execFile);

/** The real `enrich` binary, as a user runs it. */
async function enrich(args: string[], env: Record<string, string>) {
  const { DATABASE_URL: _inherited, ...base } = process.env;
  try {
    const { stdout, stderr } = await run('node', ['bin/enrich.js', ...args], {
      env: { ...base, LOG_LEVEL: 'silent', ...env },
      timeout: 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A square zone of 0.01° at column `i`, as a boundaries file's feature. */
const square = (zone: string, i: number) => ({
  type: 'Feature',
  properties: { precinct_key: zone },
  geometry: {
    type: 'Polygon',
    coordinates: [
      [
        [-79 + i * 0.01, 36],
        [-79 + i * 0.01, 36.01],
        [-78.99 + i * 0.01, 36.01],
        [-78.99 + i * 0.01, 36],
        [-79 + i * 0.01, 36],
      ],
    ],
  },
});

describe('enrich zones and GET /v1/zones', () => {
  let dir: string;
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-zones-cli-'));
    testDb = await createTestDatabase();
    database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 2 });
    await migrateToLatest(database.db);
    await importZoneFixture(database.db, testDb.url);
    await seedZoneSupporters(database.db);
    env = { DATABASE_URL: testDb.url };
    const zones = ['ALPHA:01', 'ALPHA:02', 'ALPHA:03', 'BETA:01'].map(square);
    await writeFile(join(dir, 'zones.geojson'), JSON.stringify({ type: 'FeatureCollection', features: zones }));
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the ranked CSV, and audits who asked for which zones', async () => {
    const { code, stdout } = await enrich(['zones', '--rank', 'canvass', '--elections', '3', '--actor', 't'], env);
    expect(code).toBe(0);
    const rows = parse<Record<string, string>>(stdout, { columns: true });
    expect(rows.map((r) => [r.rank, r.zone, r.registered, r.canvass_score, r.share_DEM])).toEqual([
      ['1', 'ALPHA:01', '60', '129.7', '0.5'],
      ['2', 'ALPHA:02', '50', '68', '0.2'],
      ['3', '(small zones merged)', '55', '59.9', '0.2727'],
    ]);
    const { rows: audit } = await sql<{ actor: string; action: string; detail: Record<string, unknown> }>`
      select actor, action, detail from audit_log where action = 'zone_report'`.execute(database.db);
    expect(audit).toEqual([
      {
        actor: 't',
        action: 'zone_report',
        detail: expect.objectContaining({ zone: 'precinct', format: 'csv', rows: 3, complete: true }) as unknown,
      },
    ]);
  });

  it('draws one shape per zone of the boundaries file, coloured or grey, with a legend', async () => {
    const args = ['zones', '--format', 'html', '--boundaries', join(dir, 'zones.geojson')];
    const { code, stdout } = await enrich([...args, '--boundary-id', 'precinct_key', '--rank', 'canvass'], env);
    expect(code).toBe(0);
    expect(stdout).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const shapes = [...stdout.matchAll(/<path class="zone" data-zone="([^"]+)" d="M[^"]+" fill="([^"]+)"/g)];
    expect(shapes.map((s) => s[1])).toEqual(['ALPHA:01', 'ALPHA:02', 'ALPHA:03', 'BETA:01']);
    // the two small zones have no row of their own: grey
    expect(shapes.map((s) => s[2] === '#d9d9d9')).toEqual([false, false, true, true]);
    expect(stdout).toContain('<g class="legend"');
    expect(stdout).toContain('Canvass score (100 = average)');
    expect([...stdout.matchAll(/<tr class="(zone-row|merged)"/g)]).toHaveLength(3);
  });

  it("without boundaries, plots the supporters' points in the zones shown", async () => {
    const { code, stdout } = await enrich(['zones', '--format', 'html'], env);
    expect(code).toBe(0);
    expect([...stdout.matchAll(/<circle class="supporter" data-zone="ALPHA:01"/g)]).toHaveLength(12);
    const subjects = await sql<{ n: string }>`
      select count(*) as n from audit_subjects s join audit_log a on a.id = s.audit_id
       where a.action = 'zone_report' and a.detail ->> 'format' = 'html'`.execute(database.db);
    expect(Number(subjects.rows[0]!.n)).toBe(12);
  });

  it('says in one line what is wrong with a bad --boundaries file', async () => {
    const html = (file: string, ...more: string[]) =>
      enrich(['zones', '--format', 'html', '--boundaries', join(dir, file), ...more], env);
    await writeFile(join(dir, 'text.geojson'), 'precinct,shape\n01,square\n');
    await writeFile(join(dir, 'point.geojson'), JSON.stringify({ type: 'Point', coordinates: [0, 0] }));
    await writeFile(join(dir, 'huge.geojson'), '');
    await truncate(join(dir, 'huge.geojson'), 65 * 1024 * 1024);
    const cases: Array<[Awaited<ReturnType<typeof html>>, RegExp]> = [
      [await html('text.geojson'), /^enrich: zones: --boundaries text\.geojson: not GeoJSON, the file is not JSON \(/],
      [
        await html('point.geojson'),
        /^enrich: zones: --boundaries point\.geojson: not GeoJSON, expected a FeatureCollection/,
      ],
      [
        await html('zones.geojson'),
        /^enrich: zones: --boundaries zones\.geojson: no feature's "zone" matches a zone id \(zones look like ALPHA:01, ALPHA:02; no feature has that property\); choose the property with --boundary-id\n$/,
      ],
      [
        await html('huge.geojson'),
        /^enrich: zones: --boundaries huge\.geojson: the file is 65 MB, over the 64 MB limit/,
      ],
      [await html('missing.geojson'), /^enrich: zones: --boundaries missing\.geojson: cannot be read \(ENOENT\)\n$/],
    ];
    for (const [result, message] of cases) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });

  it('names a bad option or filter in one line', async () => {
    const bad = [
      [['--where', 'occupation~x'], /--where "occupation~x": unknown field/],
      [['--election', '1999-01-01'], /--election "1999-01-01" is not in the vote history/],
      [['--min-voters', '0'], /--min-voters must be a whole number of at least 1/],
      [['--zone', 'no such!'], /--zone "no such!" is not a district name/],
    ] as const;
    for (const [args, message] of bad) {
      const result = await enrich(['zones', ...args], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  });

  it('serves the same report on GET /v1/zones for the API token only', async () => {
    const config = testConfig({ API_TOKEN: 'api-token-for-tests', SIGNUP_TOKEN: 'signup-token-for-tests' });
    const app = buildApi({ config, temporal: noTemporal, db: database.db, logger: createLogger('silent') });
    await app.ready();
    try {
      const auth = { authorization: 'Bearer api-token-for-tests' };
      expect((await app.inject({ method: 'GET', url: '/v1/zones' })).statusCode).toBe(401);
      const csv = await app.inject({ method: 'GET', url: '/v1/zones?rank=canvass&elections=3', headers: auth });
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(parse<Record<string, string>>(csv.body, { columns: true }).map((r) => r.zone)).toEqual([
        'ALPHA:01',
        'ALPHA:02',
        '(small zones merged)',
      ]);
      const badFilter = await app.inject({ method: 'GET', url: '/v1/zones?where=nope%3Dx', headers: auth });
      expect(badFilter.statusCode).toBe(400);
      const html = await app.inject({ method: 'GET', url: '/v1/zones?format=html&minVoters=20', headers: auth });
      expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(html.body).toContain('<svg class="zone-map"');
    } finally {
      await app.close();
    }
  });
});
