/**
 * `npm run bench:backfill [-- --rows N --concurrency N]`: how fast `enrich backfill` starts enrichments, and in how
 * much memory. Generates N rows (default 100,000; 1% bad) into a temp CSV, starts a headless Temporal dev server
 * on a temp SQLite file and a free port, runs the backfill against it with no workers (starts only), checks that
 * exactly the valid rows started and the rejects file lists the rest, prints a table and writes
 * `bench/results/backfill.json` (through `support/bench-results.ts`, like the other benches). Not part of the test suite.
 */
import { createWriteStream, createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { backfill } from '../cli/backfill/backfill.js';
import { createProgressBar } from '../cli/backfill/progress-bar.js';
import { backfillClient, temporalStarter } from '../cli/backfill/temporal-starter.js';
import { DEFAULT_BACKFILL_CONCURRENCY } from '../cli/commands/backfill.js';
import { headlessDevServerOptions, startTemporalDevServer } from '../dev/temporal-dev-server.js';
import { reportBench, type Target } from './support/bench-results.js';

/** One row in this many is bad (an email that is none): 1%. */
const BAD_EVERY = 100;

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: String(DEFAULT_BACKFILL_CONCURRENCY) },
  },
});
const rows = Number(values.rows);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('usage: npm run bench:backfill -- [--rows N] [--concurrency N]\n');
  process.exit(1);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Writes the input CSV with back-pressure; returns how many rows are bad. */
async function generate(path: string, count: number): Promise<number> {
  const out = createWriteStream(path);
  let bad = 0;
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('email,given_name,family_name,address,postal_code,locality,region,country,birth_year,consent_social\n');
  for (let i = 0; i < count; i++) {
    if (i % BAD_EVERY === BAD_EVERY - 1) {
      bad++;
      await write(`not-an-email-${i},Bad,Row${i},,,,,,,\n`);
    } else {
      await write(
        `bench.${i}@example.org,Given${i},Family${i},${i % 9000} Main St,${27000 + (i % 900)},Raleigh,NC,US,${1940 + (i % 60)},${i % 3 === 0}\n`,
      );
    }
  }
  out.end();
  await once(out, 'finish');
  return bad;
}

const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-backfill-'));
const input = join(dir, 'supporters.csv');
const rejectsPath = join(dir, 'rejects.csv');
const bad = await generate(input, rows);
const valid = rows - bad;

const port = await freePort();
const server = await startTemporalDevServer(headlessDevServerOptions(dir, port));
const config = loadConfig({
  TEMPORAL_ADDRESS: server.address,
  PSEUDONYM_KEY: 'bench-backfill-pseudonym-key',
  TEMPORAL_TASK_QUEUE: 'bench-backfill',
  LOG_LEVEL: 'silent',
});
const client = backfillClient(server.address, config);

try {
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const bar = createProgressBar(process.stderr, (await stat(input)).size);
  const began = performance.now();
  const result = await backfill({
    input: createReadStream(input, { highWaterMark: 64 * 1024 }),
    format: 'csv',
    concurrency,
    rejectsPath,
    start: temporalStarter(client, config),
    onProgress: (p) => bar.update(p),
  });
  const seconds = (performance.now() - began) / 1000;
  bar.stop();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);

  const rejectLines = (await readFile(rejectsPath, 'utf8')).split('\n').filter(Boolean).length - 1;
  const problems = [
    result.started !== valid && `started ${result.started}, expected ${valid}`,
    result.rejected !== bad && `rejected ${result.rejected}, expected ${bad}`,
    rejectLines !== bad && `the rejects file lists ${rejectLines} rows, expected ${bad}`,
    result.existing !== 0 && `${result.existing} existing on a fresh server`,
    result.notStarted !== 0 && `${result.notStarted} not started: ${result.startError ?? ''}`,
  ].filter((p): p is string => typeof p === 'string');

  const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const figures = {
    rows,
    started: result.started,
    rejected: result.rejected,
    seconds: Math.round(seconds * 10) / 10,
    startsPerSecond: Math.round(result.started / seconds),
    peakRssMb: mb(peakRss),
    rssGrowthMb: mb(peakRss - baselineRss),
  };
  const targets: Record<string, Target> = {
    // Starts only, on the SQLite-backed dev server of a small machine: the server is the bottleneck.
    startsPerSecond: { min: 25 },
    // Constant memory: the whole CLI process stays small however many rows stream through it.
    peakRssMb: { max: 400 },
    rssGrowthMb: { max: 150 },
  };
  process.stdout.write(`backfill bench: ${rows} rows (${bad} bad), concurrency ${concurrency}\n`);
  const met = await reportBench('backfill', figures, targets);
  if (problems.length) {
    process.stderr.write(`bench:backfill: ${problems.join('; ')}\n`);
    process.exitCode = 1;
  } else if (!met) {
    process.stderr.write('bench:backfill: some targets were missed (see the table)\n');
  }
} finally {
  await client.connection.close();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
