/**
 * Rate-limit fidelity: a few hundred contacts through several worker processes against demo providers that
 * enforce their own limits (a sliding window, refusing and counting every request over it). Prints, per provider,
 * the achieved request rate over the configured queue rate and the number of limit violations, and writes
 * bench/results/rate-limits.json. Target: at least 0.95 of the configured rate, zero violations.
 *
 *   npm run bench:rate-limits [-- --contacts 300 --workers 3]
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import { loadConfig } from '../config.js';
import { stopChild } from '../client/dev/temporal-dev-server.js';
import { startEnrichment } from '../client/start-enrichment.js';
import { dataConverterFor } from '../client/codec/data-converter.js';
import type { DemoServer } from '../demo/servers/demo-server.js';
import { benchSignups, startBenchProviders, type BenchProvider } from './support/bench-providers.js';
import { reportBench, type Target } from './support/bench-results.js';
import { BENCH_ENV, startBenchServerAndDatabase, Cleanups, positiveInt, spawnWorker, waitForPollers } from './support/bench-stack.js';
import { burstSafeRate } from '../schemas/rate-budget.js';
import { PROVIDER_NAMES } from '../schemas/providers.js';
import { providerTaskQueue } from '../workflows/ids.js';

const USAGE = 'npm run bench:rate-limits -- [--contacts N] [--workers N]';
const { values: args } = parseArgs({
  options: { contacts: { type: 'string', default: '300' }, workers: { type: 'string', default: '3' } },
});
const CONTACTS = positiveInt(args.contacts, USAGE);
const WORKERS = positiveInt(args.workers, USAGE);
const TASK_QUEUE = 'bench-rate-limits';

/** Requests per second the provider saw, from its first request to its last. */
function achievedRate(server: DemoServer): { requests: number; rate: number } {
  const times = server.requestLog().map((r) => r.at).sort((a, b) => a - b);
  if (times.length < 2) return { requests: times.length, rate: 0 };
  return { requests: times.length, rate: (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000) };
}

const cleanups = new Cleanups();
try {
  const { server, database } = await startBenchServerAndDatabase(cleanups, 'rate-limits');

  // In this process: the bench reads each server's request log and violation count.
  const providers: BenchProvider[] = await startBenchProviders(CONTACTS);
  cleanups.add(() => Promise.all(providers.map((p) => p.server.close())));
  const rates = Object.fromEntries(providers.map((p) => [p.name, burstSafeRate({ max: p.limit.max, windowSeconds: p.limit.windowMs / 1000 })]));

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...BENCH_ENV,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    DATABASE_URL: database.url,
    DB_POOL_SIZE: '5',
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
  cleanups.add(() => Promise.all(workers.map((w) => stopChild(w))));

  const config = loadConfig(env);
  const connection = await Connection.connect({ address: server.address });
  cleanups.add(() => connection.close());
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

  const ratios = providers.map((p) => achievedRate(p.server).rate / rates[p.name]!);
  const figures: Record<string, number> = {
    contacts: CONTACTS,
    workers: WORKERS,
    seconds: Number(seconds.toFixed(1)),
    min_rate_ratio: Number(Math.min(...ratios).toFixed(3)),
    max_rate_ratio: Number(Math.max(...ratios).toFixed(3)),
    violations: providers.reduce((sum, p) => sum + p.server.violations(), 0),
  };
  for (const provider of providers) {
    const { requests, rate } = achievedRate(provider.server);
    figures[`${provider.name}.requests`] = requests;
    figures[`${provider.name}.configured_rps`] = rates[provider.name]!;
    figures[`${provider.name}.achieved_rps`] = Number(rate.toFixed(3));
    figures[`${provider.name}.rate_ratio`] = Number((rate / rates[provider.name]!).toFixed(3));
    figures[`${provider.name}.violations`] = provider.server.violations();
  }
  // Every provider at 0.95 or more of its configured rate (the slowest one decides), and not one request over a limit.
  const targets: Record<string, Target> = { min_rate_ratio: { min: 0.95 }, violations: { max: 0 } };
  process.stdout.write(`rate-limits bench: ${CONTACTS} contacts through ${WORKERS} worker processes against providers enforcing their limits\n`);
  const ok = await reportBench('rate-limits', figures, targets);
  if (!ok) process.stderr.write('bench:rate-limits: some targets were missed (see the table)\n');
} finally {
  await cleanups.run();
}
