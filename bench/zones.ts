/**
 * `npm run bench:zones [-- --voters N --supporters N --precincts N]`: zone reports at the size of a large county or
 * a small state, on Postgres (TEST_DATABASE_URL, else the local server; a throwaway database is created and
 * dropped). Fills the voter file with N voters (default 1,000,000) in `--precincts` precincts (default 2,700, of
 * skewed sizes, some under the 50-voter threshold) with five elections of history, builds the turnout summary with
 * the import's own SQL (store/voters/turnout-summary.ts; its time is reported), adds supporters (default 100,000,
 * 80% matched to a voter, all geocoded) and writes a boundaries file with one jagged polygon per precinct. Then
 * times `enrich zones` as a user runs it (the built CLI, a process of its own): the ranked table by precinct as CSV,
 * and the HTML report with the boundaries map; and, in this process, the same HTML report's memory growth. Writes
 * `bench/results/zones.json`. Not part of the test suite.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, promisify } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { parseBoundaries } from '../domain/zones/boundaries.js';
import { renderZoneReport } from '../domain/zones/render.js';
import { migrateToLatest } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { parseSegment } from '../store/segments.js';
import { MAINTENANCE_MEMORY } from '../store/voters/import/stage.js';
import { createElectionsSql, createTurnoutSql } from '../store/voters/turnout-summary.js';
import { loadAuditedZoneReport } from '../store/zone-report.js';
import { reportBench } from './support/bench-results.js';

const { values } = parseArgs({
  options: {
    voters: { type: 'string', default: '1000000' },
    supporters: { type: 'string', default: '100000' },
    precincts: { type: 'string', default: '2700' },
  },
});
const VOTERS = Number(values.voters);
const SUPPORTERS = Number(values.supporters);
const PRECINCTS = Number(values.precincts);
if (![VOTERS, SUPPORTERS, PRECINCTS].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: npm run bench:zones -- [--voters N] [--supporters N] [--precincts N]\n');
  process.exit(1);
}
const PER_COUNTY = 27;
const run = promisify(execFile);
const log = (text: string) => process.stderr.write(`${text}\n`);

/** The precinct of a generated voter: skewed sizes (the first precincts are large, the last small). */
const PRECINCT_OF = `floor(${PRECINCTS} * power(random(), 1.4))::int`;
const FILL_VOTERS = `insert into voters (voter_id, source_line, first_name, last_name, first_norm, middle_norm, last_norm,
      last_phonetic, county, status, party, precinct, districts)
  select 'V' || lpad(i::text, 8, '0'), i, 'ZONE', 'VOTER', 'zone', '', 'voter', 'FTR',
         'COUNTY' || lpad((p / ${PER_COUNTY})::text, 3, '0'),
         case when i % 40 = 0 then 'removed' when i % 9 = 0 then 'inactive' else 'active' end,
         case when random() < 0.15 + 0.6 * ((p * 7919) % 100) / 100.0 then 'DEM'
              when random() < 0.7 then 'REP' when random() < 0.8 then 'UNA' else 'LIB' end,
         lpad((p % ${PER_COUNTY})::text, 2, '0'), jsonb_build_object('congressional', (p / 200 + 1)::text)
    from (select i, ${PRECINCT_OF} as p from generate_series(1, $1::int) i) s`;

/** Five elections; each voter votes with their precinct's propensity (half of it in primaries). */
const FILL_VOTES = `insert into voter_votes (voter_id, election_date, election, method, source_line)
  select v.voter_id, e.day, to_char(e.day, 'MM/DD/YYYY') || ' ' || e.kind, 'IN-PERSON', 0
    from voters v
    join lateral (select 0.25 + 0.6 * ((hashtext(v.county || v.precinct) & 1023) / 1023.0) as p) t on true
    cross join (values (date '2024-11-05', 'GENERAL', 1.0), (date '2024-03-05', 'PRIMARY', 0.45),
                       (date '2022-11-08', 'GENERAL', 0.8), (date '2022-05-17', 'PRIMARY', 0.35),
                       (date '2020-11-03', 'GENERAL', 1.0)) e(day, kind, weight)
   where random() < t.p * e.weight`;

const FILL_CONTACTS = `insert into contacts (id, email, signup, status, workflow_id, record)
  select 'c' || i, 'zone' || i || '@example.org', '{}', 'enriched', 'enrich-contact:c' || i,
         jsonb_build_object('location', jsonb_build_object('lon', -84 + random() * 8, 'lat', 34 + random() * 3))
    from generate_series(1, $1::int) i`;

const FILL_MATCHES = `insert into voter_matches (contact_id, state, voter_id, score, decided_by)
  select 'c' || i, 'matched', 'V' || lpad((1 + floor(random() * $2::int))::int::text, 8, '0'), 0.95, 'lookup'
    from generate_series(1, $1::int) i where i % 5 <> 0`;

/** One precinct as a square of a grid with jagged sides (`steps` vertices a side), in degrees around NC. */
function precinctFeature(p: number, columns: number, steps: number) {
  const size = 0.05;
  const [x0, y0] = [-84 + (p % columns) * size, 34 + Math.floor(p / columns) * size];
  const ring: Array<[number, number]> = [];
  const jag = (k: number) => (k % 2 ? size * 0.01 : 0);
  for (let k = 0; k < steps; k++) ring.push([x0 + (size * k) / steps, y0 + jag(k)]);
  for (let k = 0; k < steps; k++) ring.push([x0 + size + jag(k), y0 + (size * k) / steps]);
  for (let k = 0; k < steps; k++) ring.push([x0 + size - (size * k) / steps, y0 + size + jag(k)]);
  for (let k = 0; k < steps; k++) ring.push([x0 + jag(k), y0 + size - (size * k) / steps]);
  ring.push(ring[0]!);
  const county = `COUNTY${String(Math.floor(p / PER_COUNTY)).padStart(3, '0')}`;
  const zone = `${county}:${String(p % PER_COUNTY).padStart(2, '0')}`;
  return { type: 'Feature', properties: { zone }, geometry: { type: 'Polygon', coordinates: [ring.reverse()] } };
}

async function timed<T>(label: string, work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  log(`  ${label}: ${seconds.toFixed(2)} s`);
  return [result, seconds];
}

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `enrich_bench_zones_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const handle = await openDatabase({ url: url.toString(), pgliteDir: 'unused', poolSize: 2 });
const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-zones-'));

try {
  await migrateToLatest(handle.db);
  const db = handle.db;
  log(`filling ${VOTERS} voters in ${PRECINCTS} precincts, five elections, ${SUPPORTERS} supporters…`);
  await sql`select setseed(0.21)`.execute(db);
  await timed('voters', () => sql.raw(FILL_VOTERS.replace('$1::int', String(VOTERS))).execute(db));
  await timed('votes', () => sql.raw(FILL_VOTES).execute(db));
  await timed('supporters', async () => {
    await sql.raw(FILL_CONTACTS.replace('$1::int', String(SUPPORTERS))).execute(db);
    await sql.raw(FILL_MATCHES.replace('$1::int', String(SUPPORTERS)).replace('$2::int', String(VOTERS))).execute(db);
    await sql`analyze`.execute(db);
  });
  const live = { elections: 'voter_elections', turnout: 'voter_turnout' };
  // On one connection with the import's memory settings, as the import's index phase runs it.
  const [, summarySeconds] = await timed('turnout summary (the import step)', () =>
    db.connection().execute(async (connection) => {
      await sql.raw(MAINTENANCE_MEMORY).execute(connection);
      await sql`drop table voter_turnout, voter_elections`.execute(connection);
      await sql.raw(createElectionsSql(live, 'voter_votes')).execute(connection);
      await sql.raw(createTurnoutSql(live, 'voters', 'voter_votes')).execute(connection);
    }),
  );
  const votes = Number((await sql<{ n: string }>`select count(*) as n from voter_votes`.execute(db)).rows[0]!.n);
  const columns = Math.ceil(Math.sqrt(PRECINCTS * 1.5));
  const boundaries = join(dir, 'precincts.geojson');
  const features = Array.from({ length: PRECINCTS }, (_, p) => precinctFeature(p, columns, 40));
  await writeFile(boundaries, JSON.stringify({ type: 'FeatureCollection', features }));
  const boundariesMb = (await readFile(boundaries)).length / 1024 / 1024;
  log(`  ${votes} votes; boundaries file ${boundariesMb.toFixed(1)} MB`);

  const env = { ...process.env, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent' };
  const enrich = (args: string[]) =>
    run('node', ['bin/enrich.js', 'zones', ...args], { env, maxBuffer: 512 * 1024 * 1024 });
  const [table, tableSeconds] = await timed('enrich zones --rank canvass (CSV)', () => enrich(['--rank', 'canvass']));
  const tableRows = table.stdout.trimEnd().split('\n').length - 1;
  const [html, htmlSeconds] = await timed('enrich zones --format html --boundaries', () =>
    enrich(['--rank', 'canvass', '--format', 'html', '--boundaries', boundaries]),
  );
  const shapes = (html.stdout.match(/<path class="zone"/g) ?? []).length;

  // The same HTML report in this process, for its memory: the peak RSS above what it was before.
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const [, inProcessSeconds] = await timed('the same report in this process', async () => {
    const request = {
      level: 'precinct',
      minVoters: 50,
      rank: 'canvass' as const,
      segment: parseSegment([]),
      points: false,
    };
    const loaded = await loadAuditedZoneReport(db, request, { actor: 'bench', format: 'html' });
    const ids = new Set(loaded.report.rows.map((r) => r.zone));
    const parsed = parseBoundaries('precincts.geojson', await readFile(boundaries, 'utf8'), 'zone', ids);
    const page = renderZoneReport(loaded.report, 'html', {
      features: parsed,
      points: [],
      index: 'canvass',
      generatedAt: new Date().toISOString(),
    });
    peak = Math.max(peak, process.memoryUsage().rss);
    return page.length;
  });
  clearInterval(sampler);

  const ok = await reportBench(
    'zones',
    {
      voters: VOTERS,
      votes,
      supporters: SUPPORTERS,
      precincts: PRECINCTS,
      zone_rows: tableRows,
      map_shapes: shapes,
      boundaries_mb: Number(boundariesMb.toFixed(1)),
      summary_build_seconds: Number(summarySeconds.toFixed(2)),
      zone_table_seconds: Number(tableSeconds.toFixed(2)),
      html_report_seconds: Number(htmlSeconds.toFixed(2)),
      in_process_html_seconds: Number(inProcessSeconds.toFixed(2)),
      memory_growth_mb: Number(((peak - before) / 1024 / 1024).toFixed(1)),
    },
    { zone_table_seconds: { max: 5 }, html_report_seconds: { max: 15 }, memory_growth_mb: { max: 300 } },
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  await handle.close();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
}
