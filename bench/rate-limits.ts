/**
 * Rate-limit fidelity: a few hundred contacts through several worker processes against demo providers that
 * enforce their own limits (a 1 s and a 60 s sliding window each, over every path of the provider, refusing and
 * counting every request over either). GitHub finds every supporter, so each of its lookups sends two requests.
 * Each provider's windows are declared to the pipeline as an operator declares a plan (`PROVIDER_<NAME>_LIMITS`),
 * and the bench runs twice, each time on a fresh server, database and set of providers:
 *
 * - `defaults`: no `PROVIDER_<NAME>_RPS`, so each queue runs at the rate loadConfig derives (90% headroom);
 * - `near_limit`: each `PROVIDER_<NAME>_RPS` set to the largest rate loadConfig accepts (no headroom at all).
 *
 * Prints, per phase and provider, the achieved request rate over the configured one (queue rate × requests per
 * lookup) and the number of limit violations, and writes bench/results/rate-limits.json. Targets: at least 0.95
 * of the configured rate and zero violations in both phases; and loadConfig refusing 1% more than the largest rate.
 *
 *   npm run bench:rate-limits [-- --contacts 300 --workers 3]
 */
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pLimit from 'p-limit';
import { ConfigError, loadConfig, lookupRequests, REQUESTS_PER_LOOKUP } from '../config.js';
import { stopChild } from '../dev/temporal-dev-server.js';
import { startEnrichment } from '../client/start-enrichment.js';
import { dataConverterFor } from '../client/codec/data-converter.js';
import type { DemoServer } from '../demo/servers/demo-server.js';
import { benchSignups, limitsVariable, startBenchProviders, type BenchProvider } from './support/bench-providers.js';
import { reportBench, type Target } from './support/bench-results.js';
import {
  BENCH_ENV,
  startBenchServerAndDatabase,
  Cleanups,
  positiveInt,
  spawnWorker,
  waitForPollers,
} from './support/bench-stack.js';
import { largestSafeRate } from '../domain/rate-budget.js';
import { HTTP_PROVIDER_NAMES, PROVIDER_NAMES, type HttpProviderName } from '../schemas/providers.js';
import { providerTaskQueue } from '../schemas/ids.js';

const USAGE = 'npm run bench:rate-limits -- [--contacts N] [--workers N]';
const { values: args } = parseArgs({
  options: { contacts: { type: 'string', default: '300' }, workers: { type: 'string', default: '3' } },
});
const CONTACTS = positiveInt(args.contacts, USAGE);
const WORKERS = positiveInt(args.workers, USAGE);
/**
 * GitHub's user request waits for the search's reply, so it can trail the lookup's dispatch by up to the request
 * timeout, and the rate is computed with that lag. The demo answers in milliseconds; a 1 s timeout keeps the lag
 * (and so the rate's margin for it) in proportion to the bench's 1 s window.
 */
const GITHUB_TIMEOUT_MS = '1000';

type Phase = 'defaults' | 'near_limit';

/** Requests per second the provider saw, from its first request to its last. */
function achievedRate(server: DemoServer): { requests: number; rate: number } {
  const times = server
    .requestLog()
    .map((r) => r.at)
    .sort((a, b) => a - b);
  if (times.length < 2) return { requests: times.length, rate: 0 };
  return { requests: times.length, rate: (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000) };
}

/** The environment of one phase: each provider's windows declared, and in `near_limit` the largest rate accepted. */
function phaseEnv(phase: Phase, providers: BenchProvider[], base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of PROVIDER_NAMES) {
    const provider = providers.find((p) => p.name === name);
    const prefix = `PROVIDER_${name.toUpperCase()}_`;
    delete env[`${prefix}RPS`];
    if (!provider) {
      env[`${prefix}ENABLED`] = 'false';
      continue;
    }
    env[`${prefix}BASE_URL`] = provider.server.url;
    env[`${prefix}LIMITS`] = limitsVariable(provider.limits);
    env[`${prefix}MAX_ATTEMPTS`] = '20';
  }
  env.PROVIDER_GITHUB_TIMEOUT_MS = GITHUB_TIMEOUT_MS;
  env.FEC_API_KEY ??= 'DEMO_KEY'; // the demo FEC server's shared key, declared (never a silent fallback)
  if (phase === 'near_limit') {
    const derived = loadConfig(env);
    for (const name of HTTP_PROVIDER_NAMES) {
      const settings = derived.providers[name];
      env[`PROVIDER_${name.toUpperCase()}_RPS`] = String(
        largestSafeRate(settings.limits!, lookupRequests(name, settings.timeoutMs)),
      );
    }
  }
  return env;
}

/** How many providers' rates loadConfig would still accept 1% higher (0: each phase-2 rate is the largest accepted). */
function acceptedAboveLargest(env: NodeJS.ProcessEnv): number {
  let accepted = 0;
  for (const name of HTTP_PROVIDER_NAMES) {
    const variable = `PROVIDER_${name.toUpperCase()}_RPS`;
    try {
      loadConfig({ ...env, [variable]: String(Number(env[variable]) * 1.01) });
      accepted += 1;
    } catch (error) {
      if (!(error instanceof ConfigError) || !error.message.includes(`${variable}=`)) throw error;
    }
  }
  return accepted;
}

/** Runs CONTACTS signups on a fresh server, database and set of demo providers; answers the phase's figures. */
async function runPhase(phase: Phase): Promise<Record<string, number>> {
  const cleanups = new Cleanups();
  try {
    const { server, database } = await startBenchServerAndDatabase(cleanups, `rate-limits-${phase}`);
    // In this process: the bench reads each server's request log and violation count.
    const providers = await startBenchProviders(CONTACTS, { githubKnown: true });
    cleanups.add(() => Promise.all(providers.map((p) => p.server.close())));
    const taskQueue = `bench-rate-limits-${phase}`;
    const env = phaseEnv(phase, providers, {
      ...process.env,
      ...BENCH_ENV,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      DATABASE_URL: database.url,
      DB_POOL_SIZE: '5',
    });
    const config = loadConfig(env);
    const rates = Object.fromEntries(providers.map((p) => [p.name, config.providers[p.name].rps])) as Record<
      HttpProviderName,
      number
    >;
    const figures: Record<string, number> = {};
    if (phase === 'near_limit') figures[`${phase}.accepted_above_largest`] = acceptedAboveLargest(env);

    const workers = Array.from({ length: WORKERS }, () => spawnWorker(env));
    cleanups.add(() => Promise.all(workers.map((w) => stopChild(w))));
    const connection = await Connection.connect({ address: server.address });
    cleanups.add(() => connection.close());
    const client = new Client({ connection, dataConverter: dataConverterFor(config) });
    // Every worker polls every provider queue before the first contact arrives, so the rate is the server's alone.
    await waitForPollers(
      client,
      providers.map((p) => providerTaskQueue(taskQueue, p.name)),
      WORKERS,
    );
    const limit = pLimit(20);
    const started = Date.now();
    const ids = await Promise.all(
      benchSignups(CONTACTS).map((signup) =>
        limit(async () => (await startEnrichment(client, config, signup)).workflowId),
      ),
    );
    await Promise.all(ids.map((id) => limit(() => client.workflow.getHandle(id).result())));
    const seconds = (Date.now() - started) / 1000;

    // Every bench supporter is found on GitHub, so each lookup there sends its most (a search, then the user).
    const expected = (name: HttpProviderName) => rates[name] * REQUESTS_PER_LOOKUP[name];
    const ratios = providers.map((p) => achievedRate(p.server).rate / expected(p.name));
    Object.assign(figures, {
      [`${phase}.seconds`]: Number(seconds.toFixed(1)),
      [`${phase}.min_rate_ratio`]: Number(Math.min(...ratios).toFixed(3)),
      [`${phase}.max_rate_ratio`]: Number(Math.max(...ratios).toFixed(3)),
      [`${phase}.violations`]: providers.reduce((sum, p) => sum + p.server.violations(), 0),
    });
    for (const provider of providers) {
      const { requests, rate } = achievedRate(provider.server);
      const key = `${phase}.${provider.name}`;
      figures[`${key}.requests`] = requests;
      figures[`${key}.queue_rps`] = rates[provider.name];
      figures[`${key}.achieved_request_rps`] = Number(rate.toFixed(3));
      figures[`${key}.rate_ratio`] = Number((rate / expected(provider.name)).toFixed(3));
      figures[`${key}.violations`] = provider.server.violations();
    }
    return figures;
  } finally {
    await cleanups.run();
  }
}

const defaults = await runPhase('defaults');
const nearLimit = await runPhase('near_limit');
const figures: Record<string, number> = {
  contacts: CONTACTS,
  workers: WORKERS,
  min_rate_ratio: Math.min(defaults['defaults.min_rate_ratio']!, nearLimit['near_limit.min_rate_ratio']!),
  violations: defaults['defaults.violations']! + nearLimit['near_limit.violations']!,
  ...defaults,
  ...nearLimit,
};
// Every provider at 0.95 or more of its configured rate (the slowest one decides), not one request over a limit,
// in both phases; and the near-limit rates really the largest loadConfig accepts.
const targets: Record<string, Target> = {
  min_rate_ratio: { min: 0.95 },
  violations: { max: 0 },
  'defaults.violations': { max: 0 },
  'near_limit.violations': { max: 0 },
  'near_limit.accepted_above_largest': { max: 0 },
};
process.stdout.write(
  `rate-limits bench: ${CONTACTS} contacts through ${WORKERS} worker processes against providers enforcing 1 s and 60 s windows over all paths, at the default rates and at the largest accepted\n`,
);
const ok = await reportBench('rate-limits', figures, targets);
if (!ok) process.stderr.write('bench:rate-limits: some targets were missed (see the table)\n');
