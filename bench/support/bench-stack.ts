/**
 * What the pipeline benches share: a throwaway Postgres database, the demo providers (in a child process, behind
 * latency proxies), the whole dev stack in this process (`startDevStack`: a Temporal dev server on a temp SQLite
 * file and free ports, workers, API), worker child processes (`enrich worker`) for the benches that need several,
 * and the arithmetic of the results.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import pg from 'pg';
import { startDevStack, type DevStack } from '../../dev/start-dev-stack.js';
import {
  headlessDevServerOptions,
  startTemporalDevServer,
  stopChild,
  type TemporalDevServer,
} from '../../dev/temporal-dev-server.js';
import { dataConverterFor } from '../../client/codec/data-converter.js';
import type { Config } from '../../config.js';
import { createLogger } from '../../logger.js';
import { HTTP_PROVIDER_NAMES, PROVIDER_NAMES, type HttpProviderName } from '../../schemas/providers.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase } from '../../store/open-database.js';
import { freePort } from '../../tests/support/free-port.js';
import { installTemporalRuntime } from '../../worker/runtime.js';

export const ADMIN_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ENRICH = fileURLToPath(new URL('../../bin/enrich.js', import.meta.url));
const PROVIDER_HOST = fileURLToPath(new URL('./provider-host.ts', import.meta.url));

/** Everything a bench started, stopped in reverse order whatever happened. */
export class Cleanups {
  readonly #steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.#steps.push(step);
  }
  async run(): Promise<void> {
    for (const step of this.#steps.reverse())
      await step().catch((err: unknown) => process.stderr.write(`cleanup: ${String(err)}\n`));
  }
}

/**
 * The start most pipeline benches share: a temporary folder, a headless Temporal dev server on a SQLite file in it
 * and a database of the bench's own, each registered with `cleanups` so they go whatever happens.
 */
export async function startBenchServerAndDatabase(
  cleanups: Cleanups,
  name: string,
): Promise<{ dir: string; server: TemporalDevServer; database: { url: string } }> {
  const dir = await mkdtemp(join(tmpdir(), `enrich-bench-${name}-`));
  cleanups.add(() => rm(dir, { recursive: true, force: true }));
  const server = await startTemporalDevServer(headlessDevServerOptions(dir, await freePort()));
  cleanups.add(() => server.stop());
  const database = await createBenchDatabase();
  cleanups.add(() => database.drop());
  return { dir, server, database };
}

/** A database of its own on the benches' Postgres, migrated; `drop` removes it. */
export async function createBenchDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `enrich_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ url: url.toString(), pgliteDir: 'unused', poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
  } finally {
    await handle.close();
  }
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

export interface ProviderHost {
  urls: Record<HttpProviderName, string>;
  close(): Promise<void>;
}

/** Starts the demo providers for `contacts` bench supporters in a child process, each answering after `latencyMs`. */
export async function startProviderHost(options: { contacts: number; latencyMs: number }): Promise<ProviderHost> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      PROVIDER_HOST,
      '--contacts',
      String(options.contacts),
      '--latency-ms',
      String(options.latencyMs),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  const first = await Promise.race([
    once(lines, 'line').then(([line]) => String(line)),
    once(child, 'exit').then(([code]) => Promise.reject(new Error(`provider host exited with ${String(code)}`))),
  ]);
  lines.close();
  const { urls } = JSON.parse(first) as { urls: Record<HttpProviderName, string> };
  return { urls, close: () => stopChild(child) };
}

/**
 * The environment pointing every HTTP provider at `urls` with one queue rate for all (high enough never to
 * throttle unless a bench wants it to), and the voter file off (it needs an imported file; the voter-file bench
 * measures it).
 */
export function benchProviderEnv(urls: Record<HttpProviderName, string>, rps: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PROVIDER_NAMES) {
    const prefix = `PROVIDER_${name.toUpperCase()}_`;
    const url = (HTTP_PROVIDER_NAMES as readonly string[]).includes(name) ? urls[name as HttpProviderName] : undefined;
    if (!url) {
      env[`${prefix}ENABLED`] = 'false';
      continue;
    }
    env[`${prefix}BASE_URL`] = url;
    env[`${prefix}RPS`] = String(rps);
  }
  return env;
}

/** Settings every bench shares: a fixed pseudonym key, quick retries, quiet logs. */
export const BENCH_ENV: Record<string, string> = {
  PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789',
  RETRY_INITIAL_INTERVAL_MS: '200',
  RETRY_MAXIMUM_INTERVAL_MS: '2000',
  LOOKUP_RETRY_SCHEDULE: 'none',
  LOG_LEVEL: 'error',
};

export interface BenchStack {
  stack: DevStack;
  config: Config;
  /** A client of its own (encrypting like the API's). */
  client: Client;
  databaseUrl: string;
  cleanups: Cleanups;
}

/**
 * `enrich dev` in this process, as a bench wants it: a headless Temporal dev server on a temp SQLite file and a free
 * port, a throwaway Postgres database, the workers and the API (on a free port), providers at `providerEnv`.
 */
export async function startBenchStack(options: {
  taskQueue: string;
  providerEnv: Record<string, string>;
  env?: Record<string, string>;
}): Promise<BenchStack> {
  const logger = createLogger('error', 'bench');
  installTemporalRuntime(logger, 'ERROR');
  const cleanups = new Cleanups();
  try {
    const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-'));
    cleanups.add(() => rm(dir, { recursive: true, force: true }));
    const database = await createBenchDatabase();
    cleanups.add(() => database.drop());
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...(process.env.TEMPORAL_CLI ? { TEMPORAL_CLI: process.env.TEMPORAL_CLI } : {}),
      ...BENCH_ENV,
      TEMPORAL_DB_FILE: join(dir, 'temporal.db'),
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_TASK_QUEUE: options.taskQueue,
      DATABASE_URL: database.url,
      API_PORT: '0',
      ...options.providerEnv,
      ...options.env,
    };
    const stack = await startDevStack({ env, demo: false, logger, headless: true });
    cleanups.add(() => stack.stop());
    const connection = await Connection.connect({ address: stack.temporalAddress });
    cleanups.add(() => connection.close());
    const client = new Client({
      connection,
      namespace: stack.config.temporal.namespace,
      dataConverter: dataConverterFor(stack.config),
    });
    return { stack, config: stack.config, client, databaseUrl: database.url, cleanups };
  } catch (err) {
    await cleanups.run();
    throw err;
  }
}

/** `enrich worker` as a child process with `env`; its errors reach this process's stderr. */
export function spawnWorker(env: NodeJS.ProcessEnv, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [ENRICH, 'worker', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (/"level":(50|60)/.test(text)) process.stderr.write(text);
  });
  return child;
}

/** Waits until `count` workers poll each of `queues` (activity queues), so no work starts before they all do. */
export async function waitForPollers(
  client: Client,
  queues: string[],
  count: number,
  timeoutMs = 180_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of queues) {
    for (;;) {
      const described = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name },
        taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      if ((described.pollers?.length ?? 0) >= count) break;
      if (Date.now() > deadline)
        throw new Error(`only ${described.pollers?.length ?? 0} of ${count} workers poll ${name}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** The `p`-th percentile (0–100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** Rounds for the results file: 3 significant decimals are plenty for bench figures. */
export const round = (value: number, digits = 3): number => Number(value.toFixed(digits));

/** Reads a positive integer option, or exits with the usage line. */
export function positiveInt(value: string | undefined, usage: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`usage: ${usage}\n`);
    process.exit(1);
  }
  return n;
}
