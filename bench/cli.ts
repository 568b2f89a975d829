/**
 * How fast commands answer: the wall time of `enrich contact`, `enrich signup` and `enrich flagged` run as a user
 * runs them (a fresh `node bin/enrich.js` process each time) against a running stack (the dev stack in this
 * process, its Postgres and Temporal server), median of `--runs`; and how long `enrich worker` takes from its
 * start to polling every queue ("workers running"). `enrich signup` is timed as it runs beside a stack's API (the
 * dev stack's, found in dev-stack.json, or `API_URL`), which is how a newcomer beside `enrich dev` runs it, and,
 * for reference, straight to Temporal (no API known). Beside them, `enrich contact` through tsx from the
 * sources, as every command ran before the build. Writes bench/results/cli.json.
 *
 *   npm run bench:cli [-- --runs 10]
 */
import { execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { benchSignups } from './support/bench-providers.js';
import { reportBench } from './support/bench-results.js';
import {
  BENCH_ENV,
  benchProviderEnv,
  percentile,
  positiveInt,
  round,
  startBenchStack,
  startProviderHost,
  type BenchStack,
} from './support/bench-stack.js';

const run = promisify(execFile);
const ENRICH = fileURLToPath(new URL('../bin/enrich.js', import.meta.url));
const CLI_SOURCE = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const USAGE = 'npm run bench:cli -- [--runs N]';
const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const RUNS = positiveInt(values.runs, USAGE);
const TASK_QUEUE = 'bench-cli';

/** The environment a user's shell would have for this stack: where Postgres and Temporal are. */
function commandEnv(bench: BenchStack): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...BENCH_ENV,
    DATABASE_URL: bench.databaseUrl,
    TEMPORAL_ADDRESS: bench.stack.temporalAddress,
    TEMPORAL_TASK_QUEUE: TASK_QUEUE,
    PROVIDER_VOTERFILE_ENABLED: 'false',
  };
}

/** Median wall time in seconds of `runs` calls of `node <args>` (one unmeasured call first, for the disk cache). */
async function medianSeconds(args: (i: number) => string[], env: NodeJS.ProcessEnv, runs = RUNS): Promise<number> {
  await run(process.execPath, args(-1), { env });
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    await run(process.execPath, args(i), { env });
    seconds.push((performance.now() - began) / 1000);
  }
  return round(percentile(seconds, 50));
}

/** Seconds from spawning `enrich worker` to its "workers running" log line (every queue polled), median of `runs`. */
async function workerReadySeconds(env: NodeJS.ProcessEnv, runs: number): Promise<number> {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const began = performance.now();
    const child = spawn(process.execPath, [ENRICH, 'worker'], {
      env: { ...env, LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const lines = createInterface({ input: child.stderr });
    for await (const line of lines) {
      if (line.includes('"workers running"')) break;
    }
    seconds.push((performance.now() - began) / 1000);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return round(percentile(seconds, 50));
}

const signups = benchSignups(2 * RUNS + 4);
const host = await startProviderHost({ contacts: signups.length, latencyMs: 0 });
let bench: BenchStack | undefined;
try {
  bench = await startBenchStack({ taskQueue: TASK_QUEUE, providerEnv: benchProviderEnv(host.urls, 1000) });
  const env = { ...commandEnv(bench), ...benchProviderEnv(host.urls, 1000) };
  const known = signups[0]!.email;
  await run(process.execPath, [ENRICH, 'signup', known, '--wait'], { env });
  const figures = {
    runs: RUNS,
    contact_seconds: await medianSeconds(() => [ENRICH, 'contact', known], env),
    // As from a shell beside `enrich dev` (dev-stack.json) or with API_URL set: through the stack's API.
    signup_seconds: await medianSeconds((i) => [ENRICH, 'signup', signups[i + 2]!.email, '--given-name', 'Bench'], {
      ...env,
      API_URL: bench.stack.apiUrl,
      SIGNUP_TOKEN: bench.stack.signupToken,
    }),
    // With no API known, straight to Temporal: loading the Temporal client is most of this.
    signup_direct_seconds: await medianSeconds(
      (i) => [ENRICH, 'signup', signups[i + RUNS + 3]!.email, '--given-name', 'Bench'],
      env,
    ),
    flagged_seconds: await medianSeconds(() => [ENRICH, 'flagged'], env),
    worker_ready_seconds: await workerReadySeconds(env, Math.min(RUNS, 5)),
    contact_from_source_seconds: await medianSeconds(
      () => ['--import', 'tsx', CLI_SOURCE, 'contact', known],
      env,
      Math.min(RUNS, 5),
    ),
  };
  process.stdout.write(`cli bench: fresh processes against a running stack, median of ${RUNS}\n`);
  const met = await reportBench('cli', figures, {
    contact_seconds: { max: 0.6 },
    signup_seconds: { max: 0.6 },
    flagged_seconds: { max: 0.6 },
    worker_ready_seconds: { max: 3 },
  });
  if (!met) process.stderr.write('bench:cli: a target was missed (see the table)\n');
} finally {
  await bench?.cleanups.run();
  await host.close();
}
