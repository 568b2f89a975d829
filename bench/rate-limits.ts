/**
 * Rate-limit fidelity: a few hundred contacts through several worker processes against demo providers that
 * enforce their own limits (a sliding window, refusing and counting every request over it). Prints, per provider,
 * the achieved request rate over the configured queue rate and the number of limit violations, and writes
 * bench/results/rate-limits.json. Target: at least 0.95 of the configured rate, zero violations.
 *
 *   npm run bench:rate-limits [-- --contacts 300 --workers 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import pg from 'pg';
import proto from '@temporalio/proto';
import { loadConfig } from '../config.js';
import { resolveTemporalBinary } from '../client/dev/temporal-binary.js';
import { startTemporalDevServer, stopChild } from '../client/dev/temporal-dev-server.js';
import { startEnrichment } from '../client/start-enrichment.js';
import { dataConverterFor } from '../client/codec/data-converter.js';
import type { DemoServer } from '../demo/servers/demo-server.js';
import { benchSignups, startBenchProviders, type BenchProvider } from './support/bench-providers.js';
import { reportBench } from './support/bench-results.js';
import { burstSafeRate } from '../schemas/rate-budget.js';
import { PROVIDER_NAMES } from '../schemas/providers.js';
import { migrateToLatest } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { freePort } from '../tests/support/free-port.js';
import { providerTaskQueue } from '../workflows/ids.js';

const { values: args } = parseArgs({
  options: { contacts: { type: 'string', default: '300' }, workers: { type: 'string', default: '3' } },
});
const CONTACTS = Number(args.contacts);
const WORKERS = Number(args.workers);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENRICH = fileURLToPath(new URL('../bin/enrich.js', import.meta.url));
const TASK_QUEUE = 'bench-rate-limits';

async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `enrich_bench_${randomBytes(4).toString('hex')}`;
  const run = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

function spawnWorker(env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [ENRICH, 'worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (/"level":(50|60)/.test(text)) process.stderr.write(text);
  });
  return child;
}

async function waitForPollers(client: Client, queues: string[], count: number, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of queues) {
    for (;;) {
      const described = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      if ((described.pollers?.length ?? 0) >= count) break;
      if (Date.now() > deadline) throw new Error(`only ${described.pollers?.length ?? 0} of ${count} workers poll ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Requests per second the provider saw, from its first request to its last. */
function achievedRate(server: DemoServer): { requests: number; rate: number } {
  const times = server.requestLog().map((r) => r.at).sort((a, b) => a - b);
  if (times.length < 2) return { requests: times.length, rate: 0 };
  return { requests: times.length, rate: (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000) };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-'));
  const cleanups: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    const port = await freePort();
    const server = await startTemporalDevServer({
      binary: resolveTemporalBinary('temporal', process.env.TEMPORAL_CLI),
      dbFile: join(dir, 'temporal.db'),
      port,
      uiPort: port + 1000,
      namespace: 'default',
      headless: true,
    });
    cleanups.push(() => server.stop());
    const database = await createDatabase();
    cleanups.push(() => database.drop());
    const handle = await openDatabase({ url: database.url, pgliteDir: 'unused', poolSize: 2 });
    await migrateToLatest(handle.db);
    await handle.close();

    const providers: BenchProvider[] = await startBenchProviders(CONTACTS);
    cleanups.push(() => Promise.all(providers.map((p) => p.server.close())));
    const rates = Object.fromEntries(providers.map((p) => [p.name, burstSafeRate({ max: p.limit.max, windowSeconds: p.limit.windowMs / 1000 })]));

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      DATABASE_URL: database.url,
      DB_POOL_SIZE: '5',
      PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789',
      RETRY_INITIAL_INTERVAL_MS: '200',
      RETRY_MAXIMUM_INTERVAL_MS: '2000',
      LOG_LEVEL: 'error',
    };
    for (const name of PROVIDER_NAMES) {
      const provider = providers.find((p) => p.name === name);
      const prefix = `PROVIDER_${name.toUpperCase()}_`;
      if (!provider) {
        env[`${prefix}ENABLED`] = 'false';
        continue;
      }
      env[`${prefix}BASE_URL`] = provider.server.url;
      env[`${prefix}RPS`] = String(rates[name]);
      env[`${prefix}MAX_ATTEMPTS`] = '20';
    }
    const workers = Array.from({ length: WORKERS }, () => spawnWorker(env));
    cleanups.push(() => Promise.all(workers.map((w) => stopChild(w))));

    const config = loadConfig(env);
    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: dataConverterFor(config) });
    // Every worker polls every provider queue before the first contact arrives, so the rate is the server's alone.
    await waitForPollers(client, providers.map((p) => providerTaskQueue(TASK_QUEUE, p.name)), WORKERS);
    const limit = pLimit(20);
    const started = Date.now();
    const ids = await Promise.all(
      benchSignups(CONTACTS).map((signup) => limit(async () => (await startEnrichment(client, config, signup)).workflowId)),
    );
    await Promise.all(ids.map((id) => limit(() => client.workflow.getHandle(id).result())));
    const seconds = (Date.now() - started) / 1000;

    const figures: Record<string, number> = { contacts: CONTACTS, workers: WORKERS, seconds: Number(seconds.toFixed(1)) };
    const targets: Record<string, { min: number } | { max: number }> = {};
    for (const provider of providers) {
      const { requests, rate } = achievedRate(provider.server);
      figures[`${provider.name}.requests`] = requests;
      figures[`${provider.name}.configured_rps`] = rates[provider.name]!;
      figures[`${provider.name}.achieved_rps`] = Number(rate.toFixed(3));
      figures[`${provider.name}.rate_ratio`] = Number((rate / rates[provider.name]!).toFixed(3));
      figures[`${provider.name}.violations`] = provider.server.violations();
      targets[`${provider.name}.rate_ratio`] = { min: 0.95 };
      targets[`${provider.name}.violations`] = { max: 0 };
    }
    const ok = await reportBench('rate-limits', figures, targets);
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
}

await main();
