/**
 * Worker memory with many workflows in flight: one `enrich worker` process, and `--workflows` enrichments (default
 * 2,000; `npm run bench` runs 600, more than the 500 a worker caches, to fit in its 10 minutes; `--workflows 10000` for the figure) all waiting on one
 * provider whose queue admits almost nothing (Gravatar at 0.001 req/s, the other providers off): the state of a
 * backfill against a 1000/h provider. Samples the worker's resident memory and heap (its `/metrics`: Node's
 * process.memoryUsage() figures) and the Temporal runtime's sticky-cache size, before and once every workflow is
 * parked, and its peak RSS from /proc. Writes bench/results/memory.json.
 *
 *   npm run bench:memory [-- --workflows 10000]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import pg from 'pg';
import { dataConverterFor } from '../client/codec/data-converter.js';
import { stopChild } from '../dev/temporal-dev-server.js';
import { startEnrichment } from '../client/start-enrichment.js';
import { loadConfig } from '../config.js';
import { freePort } from '../tests/support/free-port.js';
import { providerTaskQueue } from '../schemas/ids.js';
import { benchSignups } from './support/bench-providers.js';
import { reportBench } from './support/bench-results.js';
import {
  BENCH_ENV,
  startBenchServerAndDatabase,
  benchProviderEnv,
  Cleanups,
  positiveInt,
  round,
  spawnWorker,
  startProviderHost,
  waitForPollers,
} from './support/bench-stack.js';

const USAGE = 'npm run bench:memory -- [--workflows N] [--concurrency N]';
const { values } = parseArgs({
  options: { workflows: { type: 'string', default: '2000' }, concurrency: { type: 'string', default: '64' } },
});
const WORKFLOWS = positiveInt(values.workflows, USAGE);
const CONCURRENCY = positiveInt(values.concurrency, USAGE);
const TASK_QUEUE = 'bench-memory';
const mb = (bytes: number) => round(bytes / 2 ** 20, 1);
const t0 = performance.now();
const progress = (step: string) =>
  process.stderr.write(`memory: ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

/** One sample of a Prometheus text exposition (first match), or 0. */
function sample(text: string, name: string): number {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** A process's peak resident set (VmHWM), from /proc; 0 where there is none. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

const cleanups = new Cleanups();
try {
  const { server, database } = await startBenchServerAndDatabase(cleanups, 'memory');
  const host = await startProviderHost({ contacts: WORKFLOWS, latencyMs: 0 });
  cleanups.add(() => host.close());

  const [metricsPort, runtimePort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...BENCH_ENV,
    ...benchProviderEnv(host.urls, 1000),
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    DATABASE_URL: database.url,
    METRICS_PORT: String(metricsPort),
    TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${runtimePort}`,
    // Only Gravatar, at a rate that admits almost nothing: every workflow parks on its lookup.
    PROVIDER_GRAVATAR_RPS: '0.001',
    ...Object.fromEntries(
      ['GITHUB', 'MASTODON', 'BLUESKY', 'FEC', 'CENSUS', 'BAN'].map((name) => [`PROVIDER_${name}_ENABLED`, 'false']),
    ),
  };
  const worker = spawnWorker(env);
  cleanups.add(() => stopChild(worker));
  const config = loadConfig(env);
  const connection = await Connection.connect({ address: server.address });
  cleanups.add(() => connection.close());
  const client = new Client({ connection, dataConverter: dataConverterFor(config) });
  await waitForPollers(client, [TASK_QUEUE, providerTaskQueue(TASK_QUEUE, 'gravatar')], 1);
  const scrape = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  await new Promise((r) => setTimeout(r, 2000));
  const idle = await scrape();
  progress(`worker up, idle RSS ${mb(sample(idle, 'process_resident_memory_bytes'))} MB`);

  const limit = pLimit(CONCURRENCY);
  let started = 0;
  await Promise.all(
    benchSignups(WORKFLOWS).map((signup) =>
      limit(async () => {
        await startEnrichment(client, config, signup);
        if (++started % 1000 === 0) progress(`${started} started`);
      }),
    ),
  );
  progress(`${WORKFLOWS} started`);

  // Parked = the contact is saved (first activity done) and the worker has gone quiet (its lookup is scheduled).
  const store = new pg.Client({ connectionString: database.url });
  await store.connect();
  cleanups.add(() => store.end());
  for (let lastTasks = -1; ;) {
    const saved = Number((await store.query<{ n: string }>('select count(*) as n from contacts')).rows[0]!.n);
    const tasks = sample(await scrape(), 'temporal_workflow_task_execution_latency_count');
    if (saved >= WORKFLOWS && tasks === lastTasks) break;
    lastTasks = tasks;
    await new Promise((r) => setTimeout(r, 2000));
  }
  const parked = await scrape();
  progress('all parked');

  const rss = sample(parked, 'process_resident_memory_bytes');
  const idleRss = sample(idle, 'process_resident_memory_bytes');
  const figures = {
    workflows_in_flight: WORKFLOWS,
    rss_mb: mb(rss),
    heap_used_mb: mb(sample(parked, 'nodejs_heap_size_used_bytes')),
    idle_rss_mb: mb(idleRss),
    rss_growth_mb: mb(rss - idleRss),
    peak_rss_mb: mb(Math.max(rss, await peakRss(worker.pid!))),
    kb_per_workflow: round((rss - idleRss) / 1024 / WORKFLOWS, 1),
    sticky_cache_size: sample(parked, 'temporal_sticky_cache_size'),
  };
  process.stdout.write(
    `memory bench: one worker process, ${WORKFLOWS} enrichments parked on a rate-limited Gravatar queue\n`,
  );
  // Parked workflows must not cost the worker more than 1 GiB once settled (the peak includes garbage not yet collected).
  const met = await reportBench('memory', figures, { rss_mb: { max: 1024 } });
  if (!met) process.stderr.write('bench:memory: the target was missed (see the table)\n');
} finally {
  await cleanups.run();
}
