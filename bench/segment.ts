/**
 * `npm run bench:segment [-- --contacts N --backend postgres|pglite]`: how fast `enrich segment` exports from a
 * realistic store. Builds N contacts (default 100,000) by merging generated observations (the real merge, so the
 * records have provenance, conflicts and FEC data) and bulk-inserting the records with their selection columns
 * (no workflows), then times a few exports — "occupation contains physician in NC-04" as CSV and OSDI, for research
 * and for outreach, a JSONL of Democrats on Mastodon, and a large CSV — checks each exported exactly the contacts it
 * should, and writes `bench/results/segment.json`. Postgres: a throwaway database on `BENCH_DATABASE_URL` (default:
 * the tests' server). Not part of the test suite.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { buildContactRecord, SIGNUP_PROVIDER, type MergeObservation } from '../domain/merge/build-contact-record.js';
import type { ExportPurpose } from '../domain/merge/restricted-fields.js';
import { counted, encodeSegment, type SegmentFormat } from '../domain/osdi/segment-export.js';
import { recordColumns } from '../store/contacts.js';
import { migrateToLatest } from '../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../store/open-database.js';
import { parseSegment, streamSegment } from '../store/segments.js';
import { reportBench, type Target } from './support/bench-results.js';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '100000' },
    backend: { type: 'string', default: 'postgres' },
  },
});
const total = Number(values.contacts);
const backend = values.backend;
if (!Number.isInteger(total) || total < 1 || (backend !== 'postgres' && backend !== 'pglite')) {
  process.stderr.write('usage: npm run bench:segment -- [--contacts N] [--backend postgres|pglite]\n');
  process.exit(1);
}

/** mulberry32: the same store every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = seededRandom(2026);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const OCCUPATIONS = [
  'Physician',
  'Family Physician',
  'Physician Assistant',
  'Nurse',
  'Registered Nurse',
  'Teacher',
  'Professor',
  'Software Engineer',
  'Attorney',
  'Retired',
  'Student',
  'Organizer',
  'Pharmacist',
  'Electrician',
  'Carpenter',
  'Accountant',
  'Social Worker',
  'Farmer',
  'Librarian',
  'Chef',
  'Pastor',
  'Firefighter',
  'Dentist',
  'Veterinarian',
  'Writer',
  'Designer',
  'Sales Manager',
  'Consultant',
];
const STATES: Array<[region: string, districts: number, zip: number, city: string]> = [
  ['NC', 14, 27000, 'Durham'],
  ['OH', 15, 43000, 'Columbus'],
  ['PA', 17, 15000, 'Pittsburgh'],
];
const PARTIES = ['DEM', 'REP', 'UNA', 'LIB'];
const NETWORKS = ['github', 'mastodon', 'bluesky', 'gravatar'];
const AT = '2026-05-01T10:00:00.000Z';

interface Truth {
  physicianNc04Outreach: number;
  physicianNc04Research: number;
  mastodonDem: number;
  inNc: number;
}

/** One generated contact: observations as the providers would report them, merged into its record. */
function generateContact(i: number, truth: Truth) {
  const id = `${i.toString(16).padStart(8, '0')}${'0'.repeat(56)}`;
  const email = `bench.${i}@example.org`;
  const [region, districtCount, zipBase, city] = pick(STATES);
  const district = `${region}-${String(1 + Math.floor(random() * districtCount)).padStart(2, '0')}`;
  const occupation = pick(OCCUPATIONS);
  const fromFec = random() < 0.3;
  const obs = (provider: string, field: string, value: unknown, confidence: number): MergeObservation => ({
    provider,
    field,
    value,
    confidence,
    fetchedAt: AT,
    sourceUrl: provider === SIGNUP_PROVIDER ? null : `https://${provider}.example.net/${i}`,
  });
  const observations: MergeObservation[] = [
    obs(SIGNUP_PROVIDER, 'name.given', `Given${i}`, 1),
    obs(SIGNUP_PROVIDER, 'name.family', `Family${i}`, 1),
    obs(SIGNUP_PROVIDER, 'name.display', `Given${i} Family${i}`, 1),
    obs(SIGNUP_PROVIDER, 'location.postalCode', String(zipBase + Math.floor(random() * 900)), 1),
    obs(SIGNUP_PROVIDER, 'location.locality', city, 1),
    obs(SIGNUP_PROVIDER, 'location.region', region, 1),
    obs(SIGNUP_PROVIDER, 'location.country', 'US', 1),
    obs('census', 'location.lat', 35 + random() * 5, 0.9),
    obs('census', 'location.lon', -84 + random() * 8, 0.9),
    obs('census', 'location.districts.congressional', district, 0.9),
    obs('census', 'location.districts.stateUpper', String(1 + Math.floor(random() * 50)), 0.9),
    obs('census', 'location.districts.stateLower', String(1 + Math.floor(random() * 120)), 0.9),
    obs('census', 'location.districts.county', `${pick(['Durham', 'Wake', 'Orange', 'Franklin'])} County`, 0.9),
    fromFec ? obs('fec', 'work.occupation', occupation, 0.6) : obs('gravatar', 'work.occupation', occupation, 0.9),
    fromFec
      ? obs('fec', 'work.employer', `Employer ${i % 5000}`, 0.6)
      : obs('gravatar', 'work.employer', `Employer ${i % 5000}`, 0.9),
  ];
  if (fromFec)
    observations.push(
      obs(
        'fec',
        'donations',
        { count: 1 + (i % 7), total: 25 * (1 + (i % 40)), lastDate: '2025-10-14', restricted: true },
        0.6,
      ),
    );
  const networks = NETWORKS.filter(() => random() < 0.3);
  for (const network of networks) {
    observations.push(
      obs(
        'gravatar',
        'profiles',
        { network, handle: `user${i}`, url: `https://${network}.example.net/user${i}`, verified: true },
        0.9,
      ),
    );
  }
  const party = random() < 0.6 ? pick(PARTIES) : undefined;
  if (party) {
    observations.push(
      obs(
        'voterfile',
        'voter',
        {
          voterId: `V${i}`,
          status: 'A',
          party,
          precinct: `P-${i % 300}`,
          registrationDate: '2012-10-01',
          matchScore: 0.93,
        },
        0.93,
      ),
    );
  }
  const record = buildContactRecord({
    id,
    email,
    consent: { socialProfiles: true },
    createdAt: AT,
    observations,
    lookups: [],
  });

  const physicianNc04 = /physician/i.test(occupation) && district === 'NC-04';
  if (physicianNc04) truth.physicianNc04Research++;
  if (physicianNc04 && !fromFec) truth.physicianNc04Outreach++;
  if (networks.includes('mastodon') && party === 'DEM') truth.mastodonDem++;
  if (region === 'NC') truth.inNc++;
  return { id, email, record };
}

async function openBackend(): Promise<{ handle: DatabaseHandle; cleanup: () => Promise<void> }> {
  if (backend === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-segment-pglite-'));
    const handle = await openDatabase({ pgliteDir: dir });
    return { handle, cleanup: async () => (await handle.close(), await rm(dir, { recursive: true, force: true })) };
  }
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `enrich_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), pgliteDir: 'unused', poolSize: 4 });
  return {
    handle,
    cleanup: async () => {
      await handle.close();
      const drop = new pg.Client({ connectionString: adminUrl });
      await drop.connect();
      await drop.query(`drop database if exists ${name} with (force)`);
      await drop.end();
    },
  };
}

const BATCH = 1000;
const { handle, cleanup } = await openBackend();
const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-segment-'));
const figures: Record<string, number> = {};
const targets: Record<string, Target> = {};
let met: boolean;
try {
  await migrateToLatest(handle.db);
  const truth: Truth = { physicianNc04Outreach: 0, physicianNc04Research: 0, mastodonDem: 0, inNc: 0 };
  process.stderr.write(`building ${total} contacts on ${backend}…\n`);
  const buildStart = performance.now();
  for (let start = 0; start < total; start += BATCH) {
    const rows = [];
    for (let i = start; i < Math.min(total, start + BATCH); i++) {
      const { id, email, record } = generateContact(i, truth);
      rows.push({
        id,
        email,
        signup: JSON.stringify({ email }),
        consent: JSON.stringify(record.consent),
        status: record.status,
        record: JSON.stringify(record),
        record_version: record.schemaVersion,
        workflow_id: `enrich-contact:${id}`,
        updated_at: record.updatedAt,
        ...recordColumns(record),
      });
    }
    await handle.db.insertInto('contacts').values(rows).execute();
  }
  figures.build_seconds = (performance.now() - buildStart) / 1000;
  await sql`analyze contacts`.execute(handle.db);

  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

  /** Runs one export into a file, as `enrich segment --out` does; returns seconds and rows. */
  async function timeExport(
    where: string[],
    format: SegmentFormat,
    purpose: ExportPurpose,
  ): Promise<{ seconds: number; rows: number }> {
    const started = performance.now();
    const counter = { count: 0 };
    const out = createWriteStream(join(dir, `export.${format}`));
    for await (const chunk of encodeSegment(
      counted(streamSegment(handle.db, parseSegment(where, purpose)), counter),
      format,
      purpose,
    )) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    return { seconds: (performance.now() - started) / 1000, rows: counter.count };
  }

  const physicianNc04 = ['work.occupation~physician', 'location.districts.congressional=NC-04'];
  // Segments of a few hundred to a few thousand contacts must take a few seconds at most; a third of the store
  // (the bulk export) is held to a throughput instead.
  const runs: Array<
    [name: string, where: string[], format: SegmentFormat, purpose: ExportPurpose, expected: number, bulk?: true]
  > = [
    ['physician_nc04_research_csv', physicianNc04, 'csv', 'research', truth.physicianNc04Research],
    ['physician_nc04_research_osdi', physicianNc04, 'osdi', 'research', truth.physicianNc04Research],
    ['physician_nc04_outreach_csv', physicianNc04, 'csv', 'outreach', truth.physicianNc04Outreach],
    ['mastodon_dem_jsonl', ['profiles.network=mastodon', 'voter.party=DEM'], 'jsonl', 'outreach', truth.mastodonDem],
    ['region_nc_csv', ['location.region=nc'], 'csv', 'outreach', truth.inNc, true],
  ];
  let allRight = true;
  for (const [name, where, format, purpose, expected, bulk] of runs) {
    const { seconds, rows } = await timeExport(where, format, purpose);
    figures[`${name}_seconds`] = seconds;
    figures[`${name}_rows`] = rows;
    figures[`${name}_rows_wrong`] = Math.abs(rows - expected);
    if (bulk) {
      figures[`${name}_rows_per_second`] = Math.round(rows / seconds);
      targets[`${name}_rows_per_second`] = { min: 3000 };
    } else {
      targets[`${name}_seconds`] = { max: 5 };
    }
    targets[`${name}_rows_wrong`] = { max: 0 };
    allRight &&= rows === expected;
    process.stderr.write(`${name}: ${rows} rows (expected ${expected}) in ${seconds.toFixed(2)} s\n`);
  }
  clearInterval(sampler);
  figures.contacts = total;
  figures.export_peak_rss_growth_mb = Math.round((peakRss - rssBefore) / 2 ** 20);
  targets.export_peak_rss_growth_mb = { max: 256 };
  met = (await reportBench(backend === 'postgres' ? 'segment' : 'segment-pglite', figures, targets)) && allRight;
} finally {
  await rm(dir, { recursive: true, force: true });
  await cleanup();
}
process.exitCode = met ? 0 : 1;
