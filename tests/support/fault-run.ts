import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import pLimit from 'p-limit';
import { expect } from 'vitest';
import { loadConfig, type Config } from '../../config.js';
import { dataConverterFor } from '../../client/codec/data-converter.js';
import {
  headlessDevServerOptions,
  startTemporalDevServer,
  stopChild,
  type TemporalDevServer,
} from '../../dev/temporal-dev-server.js';
import { startEnrichment } from '../../client/start-enrichment.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import { PROVIDER_NAMES, type ProviderName } from '../../schemas/providers.js';
import type { Signup } from '../../schemas/signup.js';
import type { Database } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { canonicalJson } from '../../store/observations.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { startWorkers, WORKFLOWS_PATH } from '../../worker/start-workers.js';
import { enrichContactWorkflowId, providerTaskQueue } from '../../schemas/ids.js';
import type { FaultSupporters } from './fault-supporters.js';
import { freePort } from './free-port.js';
import { createTestDatabase } from './postgres.js';

/**
 * The moving parts of a fault test: demo providers, a Temporal dev server that can be restarted, worker processes
 * that can be killed, a reference run without faults, and the comparison of what each run left in the store.
 */

export const FAULT_PSEUDONYM_KEY = 'fault-pseudonym-key-0123456789';
/**
 * The reference run shares the Temporal server with the run under test, so it uses another pseudonym key: its
 * workflow IDs (and contact ids) differ, and nothing else does. Records are compared by email, without the id.
 */
export const REFERENCE_PSEUDONYM_KEY = 'reference-pseudonym-key-0123456789';

/** Providers the fault tests use; every other one is disabled (its lookups end `skipped`, `disabled`). */
export type FaultProviderName = Extract<ProviderName, 'gravatar' | 'github'>;
export const FAULT_PROVIDERS: FaultProviderName[] = ['gravatar', 'github'];

// ---------------------------------------------------------------- demo providers

export interface FaultProviders {
  gravatar: DemoServer;
  github: DemoServer;
  urls: Record<FaultProviderName, string>;
  close(): Promise<void>;
}

/**
 * The Gravatar and GitHub demo servers, serving the supporters' profiles (and faults). Their rate-limit headers
 * announce a budget no test exhausts (GitHub's search would otherwise announce 30/min, and the clients honour it),
 * so the only over-limit replies are the faults a test asks for.
 */
export async function startFaultProviders(data: Pick<FaultSupporters, 'gravatar' | 'github'>): Promise<FaultProviders> {
  const limit = { max: 1_000_000, windowMs: 60_000 };
  const [gravatar, github] = await Promise.all([
    startGravatarDemo({ entries: data.gravatar, limit }),
    startGithubDemo({ entries: data.github, limit }),
  ]);
  return {
    gravatar,
    github,
    urls: { gravatar: gravatar.url, github: github.url },
    close: async () => {
      await Promise.all([gravatar.close(), github.close()]);
    },
  };
}

// ---------------------------------------------------------------- configuration

export interface FaultEnvOptions {
  temporalAddress: string;
  databaseUrl: string;
  urls: Partial<Record<ProviderName, string>>;
  taskQueue?: string;
  pseudonymKey?: string;
  /** Attempts per lookup (default 10: enough for a kill or an outage to cost a few without failing the lookup). */
  maxAttempts?: number;
  /** Anything else, last. */
  extra?: Record<string, string>;
}

/**
 * The environment of a fault-test run, for a worker process and (through `loadConfig`) for the test's own client:
 * the client builds each workflow's retry plan from it, so both must read the same values. Quick retries, no
 * automatic retry schedule (a settled workflow completes at once), and only the providers given a URL.
 */
export function faultEnv(options: FaultEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: options.temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: options.taskQueue ?? `fault-${randomUUID()}`,
    DATABASE_URL: options.databaseUrl,
    DB_POOL_SIZE: '5',
    PSEUDONYM_KEY: options.pseudonymKey ?? FAULT_PSEUDONYM_KEY,
    SOCIAL_LOOKUP_BASIS: 'consent',
    RETRY_INITIAL_INTERVAL_MS: '100',
    RETRY_MAXIMUM_INTERVAL_MS: '500',
    LOOKUP_RETRY_SCHEDULE: 'none',
    LOG_LEVEL: 'warn',
  };
  for (const name of PROVIDER_NAMES) {
    const prefix = `PROVIDER_${name.toUpperCase()}_`;
    const url = options.urls[name];
    if (!url) {
      env[`${prefix}ENABLED`] = 'false';
      continue;
    }
    env[`${prefix}BASE_URL`] = url;
    env[`${prefix}RPS`] = '100';
    env[`${prefix}MAX_ATTEMPTS`] = String(options.maxAttempts ?? 10);
    env[`${prefix}TIMEOUT_MS`] = '2000';
  }
  // A personal key's quota at the demo FEC server (any key is accepted): DEMO_KEY's announced 30 an hour, which
  // the client obeys, would hold back a run with more FEC lookups than that.
  if (options.urls.fec) env['FEC_API_KEY'] = 'demo-personal-key';
  return { ...env, ...options.extra };
}

export function faultConfig(env: Record<string, string>): Config {
  return loadConfig(env);
}

const CONFIG_PREFIXES = [
  'PROVIDER_',
  'TEMPORAL_',
  'RETRY_',
  'LOOKUP_',
  'DATABASE_URL',
  'DB_POOL',
  'PSEUDONYM_KEY',
  'SOCIAL_',
  'LOG_LEVEL',
  'PGLITE_',
  'PAYLOAD_',
];

/** The test process's environment without any configuration of ours (so a developer's shell leaks nothing), plus `env`. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !CONFIG_PREFIXES.some((p) => key.startsWith(p))),
  );
  return { ...inherited, ...env };
}

// ---------------------------------------------------------------- Temporal

export interface FaultTemporal {
  address: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and resolves once the process has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same SQLite file and port. */
  start(): Promise<void>;
}

/**
 * A temporary folder for a dev server's SQLite file, in memory (`/dev/shm`) where the machine has it: on a disk,
 * SQLite's syncs make the server several times slower, and the fault tests measure recovery, not the disk.
 */
export async function faultTempDir(prefix: string): Promise<string> {
  const shm = '/dev/shm';
  try {
    await access(shm, constants.W_OK);
    return await mkdtemp(join(shm, prefix));
  } catch {
    return mkdtemp(join(tmpdir(), prefix));
  }
}

/** A Temporal dev server (one partition per queue, our search attributes) on a free port, keeping its state in `dir`. */
export async function startFaultTemporal(dir: string): Promise<FaultTemporal> {
  const options = headlessDevServerOptions(dir, await freePort());
  let server: TemporalDevServer | undefined = await startTemporalDevServer(options);
  return {
    address: server.address,
    async stop() {
      const stopping = server;
      server = undefined;
      await stopping?.stop();
    },
    async start() {
      if (server) throw new Error('the Temporal dev server is already running');
      server = await startTemporalDevServer(options);
    },
  };
}

/** A client for one run: its payloads are encrypted under that run's configuration, as every client of ours. */
export async function connectClient(config: Config): Promise<Client> {
  const address = config.temporal.address;
  if (!address) throw new Error('a fault-test configuration names its Temporal address');
  return new Client({
    connection: await Connection.connect({ address }),
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
  });
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
const noop = () => undefined;

/** The workflow bundle, built once per test file, for in-process workers. */
export function faultWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
  });
  return bundle;
}

/** Waits until a worker whose identity starts with `${pid}@` polls the workflow queue and every provider queue. */
export async function waitForWorkerPolling(
  client: Client,
  taskQueue: string,
  providers: ProviderName[],
  pid: number,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = proto.temporal.api.enums.v1.TaskQueueType;
  const queues = [
    { name: taskQueue, type: TASK_QUEUE_TYPE_WORKFLOW },
    { name: taskQueue, type: TASK_QUEUE_TYPE_ACTIVITY },
    ...providers.map((p) => ({ name: providerTaskQueue(taskQueue, p), type: TASK_QUEUE_TYPE_ACTIVITY })),
  ];
  for (const queue of queues) {
    for (;;) {
      const described = await client.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: queue.name },
        taskQueueType: queue.type,
      });
      if ((described.pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`))) break;
      if (Date.now() > deadline)
        throw new Error(`worker ${pid} does not poll ${queue.name} after ${timeoutMs / 1000}s`);
      await sleep(250);
    }
  }
}

// ---------------------------------------------------------------- worker processes

const ENRICH = fileURLToPath(new URL('../../bin/enrich.js', import.meta.url));

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  /** The end of its stderr (JSON logs), for a failure message. */
  stderrTail(): string;
  /** Throws (with the end of its log) when the process has exited. */
  assertAlive(): void;
  /** `kill -9`: no shutdown, no goodbye to the server; resolves once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (a graceful shutdown), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** Spawns `enrich worker` (every queue) as its own process, as a deployment runs it. */
export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [ENRICH, 'worker'], {
    env: childEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-8000)));
  if (child.pid === undefined) throw new Error('could not spawn the worker process');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid,
    child,
    stderrTail: () => tail,
    assertAlive() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `worker process ${child.pid} exited (${child.exitCode ?? child.signalCode}): ${tail.trim().slice(-3000)}`,
        );
      }
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: () => stopChild(child, 10_000),
  };
}

// ---------------------------------------------------------------- databases

export interface FaultDatabase {
  url: string;
  handle: DatabaseHandle;
  db: Kysely<Database>;
  close(): Promise<void>;
}

/** A fresh migrated database: at `url` when given (a private cluster), else a throwaway one on the shared server. */
export async function createFaultDatabase(url?: string): Promise<FaultDatabase> {
  const created = url ? undefined : await createTestDatabase();
  const databaseUrl = url ?? created!.url;
  const handle = await openDatabase({ url: databaseUrl, pgliteDir: 'unused', poolSize: 3, onIdleError: noop });
  await migrateToLatest(handle.db);
  return {
    url: databaseUrl,
    handle,
    db: handle.db,
    close: async () => {
      await handle.close();
      await created?.drop();
    },
  };
}

/** How many contacts have settled (`enriched` or `flagged`) in the store. */
export async function settledCount(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('contacts')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('status', 'in', ['enriched', 'flagged'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Polls the store until at least `count` contacts have settled; a failing query (the store is down) is retried.
 * `check` runs at every poll, to fail at once when something the run needs has died.
 */
export async function waitForSettledCount(
  db: Kysely<Database>,
  count: number,
  timeoutMs: number,
  check?: () => void,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = 0;
  for (;;) {
    check?.();
    try {
      last = await settledCount(db);
      if (last >= count) return last;
    } catch {
      // The store is restarting: ask again.
    }
    if (Date.now() > deadline) throw new Error(`only ${last} of ${count} contacts settled within ${timeoutMs / 1000}s`);
    await sleep(200);
  }
}

// ---------------------------------------------------------------- starting and waiting

/** Polls `condition` every 50 ms until it holds; `check` runs at every poll, to fail at once when something died. */
export async function waitUntil(
  what: string,
  condition: () => boolean,
  timeoutMs: number,
  check?: () => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    check?.();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(50);
  }
}

/** Starts every supporter's enrichment (at most `concurrency` starts in flight); returns the workflow IDs in order. */
export async function startAll(client: Client, config: Config, signups: Signup[], concurrency = 16): Promise<string[]> {
  const limit = pLimit(concurrency);
  const started = await Promise.all(signups.map((signup) => limit(() => startEnrichment(client, config, signup))));
  return started.map((s) => s.workflowId);
}

export interface ClosedRun {
  /** The execution status name: `COMPLETED` for a workflow that settled. */
  status: string;
  result?: EnrichmentStatusView;
}

/**
 * Waits until every workflow has closed, and returns how each closed (and, when completed, its result). Errors
 * while asking (the server is restarting) are retried until the deadline.
 */
export async function waitForAllClosed(
  client: Client,
  workflowIds: string[],
  timeoutMs: number,
): Promise<Map<string, ClosedRun>> {
  const deadline = Date.now() + timeoutMs;
  const closed = new Map<string, ClosedRun>();
  const limit = pLimit(8);
  let lastError: unknown;
  while (closed.size < workflowIds.length) {
    await Promise.all(
      workflowIds
        .filter((id) => !closed.has(id))
        .map((id) =>
          limit(async () => {
            try {
              const handle = client.workflow.getHandle(id);
              const description = await handle.describe();
              const status = description.status.name;
              if (status === 'RUNNING') return;
              closed.set(
                id,
                status === 'COMPLETED'
                  ? { status, result: (await handle.result()) as EnrichmentStatusView }
                  : { status },
              );
            } catch (err) {
              lastError = err;
            }
          }),
        ),
    );
    if (closed.size === workflowIds.length) break;
    if (Date.now() > deadline) {
      const open = workflowIds.length - closed.size;
      throw new Error(
        `${open} of ${workflowIds.length} workflows still open after ${timeoutMs / 1000}s (last error: ${String(lastError)})`,
      );
    }
    await sleep(500);
  }
  return closed;
}

// ---------------------------------------------------------------- what a run leaves behind

export interface ContactSnapshot {
  contactId: string;
  status: string;
  /** The merged record without what differs between two clean runs: times, attempt counts and the contact id. */
  record: unknown;
  /** Every observation as `provider|field|value`, sorted; a duplicate would appear twice. */
  observations: string[];
}

/**
 * Removes `updatedAt`, `id`, `lookups.*.at`, `lookups.*.attempts` and `provenance.*.fetchedAt` from a record.
 * Read as plain JSON rather than through the record's schema, so every other field takes part in the comparison.
 */
export function comparableRecord(raw: unknown): unknown {
  const record = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
  const { updatedAt: _updatedAt, id: _id, lookups, provenance, ...rest } = record;
  const entries = (value: unknown) => Object.entries((value ?? {}) as Record<string, unknown>);
  return {
    ...rest,
    lookups: Object.fromEntries(
      entries(lookups).map(([provider, lookup]) => {
        const { at: _at, attempts: _attempts, ...kept } = lookup as Record<string, unknown>;
        return [provider, kept];
      }),
    ),
    provenance: Object.fromEntries(
      entries(provenance).map(([field, list]) => [
        field,
        (list as Array<Record<string, unknown>>).map(({ fetchedAt: _fetchedAt, ...entry }) => entry),
      ]),
    ),
  };
}

/** Every contact in the store, by email. */
export async function snapshotContacts(db: Kysely<Database>): Promise<Map<string, ContactSnapshot>> {
  const [contacts, observations] = await Promise.all([
    db.selectFrom('contacts').select(['id', 'email', 'status', 'record']).execute(),
    db.selectFrom('observations').select(['contact_id', 'provider', 'field', 'value']).execute(),
  ]);
  const byContact = new Map<string, string[]>();
  for (const o of observations) {
    const list = byContact.get(o.contact_id) ?? [];
    list.push(`${o.provider}|${o.field}|${canonicalJson(o.value)}`);
    byContact.set(o.contact_id, list);
  }
  return new Map(
    contacts.map((c) => [
      c.email,
      {
        contactId: c.id,
        status: c.status,
        record: c.record === null ? null : comparableRecord(c.record),
        observations: (byContact.get(c.id) ?? []).sort(),
      },
    ]),
  );
}

/**
 * The run under test left what the reference run left: the same contacts, each settled with the same status, the
 * same observations (as (provider, field, value), no duplicates) and the same record apart from times and attempts.
 */
export function expectSameAsReference(
  actual: Map<string, ContactSnapshot>,
  reference: Map<string, ContactSnapshot>,
): void {
  expect([...actual.keys()].sort()).toEqual([...reference.keys()].sort());
  const unsettled = [...actual.entries()]
    .filter(([, c]) => c.status !== 'enriched' && c.status !== 'flagged')
    .map(([email, c]) => `${email}: ${c.status}`);
  expect(unsettled, 'contacts not in a terminal state').toEqual([]);
  for (const [email, contact] of actual) {
    expect(new Set(contact.observations).size, `duplicate observations for ${email}`).toBe(contact.observations.length);
  }
  const pick = (snapshot: Map<string, ContactSnapshot>) =>
    Object.fromEntries(
      [...snapshot.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([email, c]) => [email, { status: c.status, observations: c.observations, record: c.record }]),
    );
  expect(pick(actual)).toEqual(pick(reference));
}

/**
 * Every contact is in a terminal state: its workflow completed (none left running, none failed or timed out), the
 * status it answered is the store's, and that status is `enriched` or `flagged`.
 */
export function expectAllSettled(closed: Map<string, ClosedRun>, snapshot: Map<string, ContactSnapshot>): void {
  expect(snapshot.size).toBe(closed.size);
  const problems: string[] = [];
  for (const [id, run] of closed) if (run.status !== 'COMPLETED') problems.push(`${id}: ${run.status}`);
  for (const [email, contact] of snapshot) {
    const answered = closed.get(enrichContactWorkflowId(contact.contactId))?.result?.status;
    if (contact.status !== 'enriched' && contact.status !== 'flagged')
      problems.push(`${email}: ${contact.status} in the store`);
    if (answered !== contact.status)
      problems.push(`${email}: the workflow answered ${answered}, the store says ${contact.status}`);
  }
  expect(problems, 'contacts not settled').toEqual([]);
}

/**
 * The end state every fault test asks of the run under test: every contact settled ({@link expectAllSettled}),
 * `flaggedCount` of them `flagged`, and what the reference run left ({@link expectSameAsReference}).
 */
export async function expectSettledAsReference(
  db: Kysely<Database>,
  closed: Map<string, ClosedRun>,
  reference: Map<string, ContactSnapshot>,
  flaggedCount: number,
): Promise<void> {
  const snapshot = await snapshotContacts(db);
  expectAllSettled(closed, snapshot);
  expect([...snapshot.values()].filter((c) => c.status === 'flagged')).toHaveLength(flaggedCount);
  expectSameAsReference(snapshot, reference);
}

// ---------------------------------------------------------------- evidence that the fault was felt

export interface FaultEvidence {
  /** Activity attempts after the first, by activity type (a lookup or a store write that had to be retried). */
  retriedActivities: Record<string, number>;
  /** Workflow tasks that timed out or failed (a worker died holding one). */
  workflowTaskProblems: number;
}

/** Reads the histories of `workflowIds` for retried activities and workflow tasks that timed out or failed. */
export async function faultEvidence(client: Client, workflowIds: string[]): Promise<FaultEvidence> {
  const retriedActivities: Record<string, number> = {};
  let workflowTaskProblems = 0;
  const limit = pLimit(8);
  await Promise.all(
    workflowIds.map((id) =>
      limit(async () => {
        const history = await client.workflow.getHandle(id).fetchHistory();
        const types = new Map<string, string>();
        for (const event of history.events ?? []) {
          const scheduled = event.activityTaskScheduledEventAttributes;
          if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '?');
          const started = event.activityTaskStartedEventAttributes;
          if (started && (started.attempt ?? 1) > 1) {
            const type = types.get(String(started.scheduledEventId)) ?? '?';
            retriedActivities[type] = (retriedActivities[type] ?? 0) + (started.attempt ?? 1) - 1;
          }
          if (event.workflowTaskTimedOutEventAttributes || event.workflowTaskFailedEventAttributes)
            workflowTaskProblems++;
        }
      }),
    ),
  );
  return { retriedActivities, workflowTaskProblems };
}

// ---------------------------------------------------------------- the reference run

/** Runs `task` and says how long it took. */
export async function timed<T>(task: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const began = Date.now();
  const value = await task();
  return { value, ms: Date.now() - began };
}

export interface ReferenceRunOptions {
  temporalAddress: string;
  signups: Signup[];
  urls: Partial<Record<ProviderName, string>>;
  maxAttempts?: number;
  timeoutMs?: number;
}

/**
 * Enriches `signups` without any fault — in-process workers on a queue of their own, a database of its own, another
 * pseudonym key — and returns what it left in the store. What the run under test must leave too.
 */
export async function referenceRun(options: ReferenceRunOptions): Promise<Map<string, ContactSnapshot>> {
  const database = await createFaultDatabase();
  try {
    const env = faultEnv({
      temporalAddress: options.temporalAddress,
      databaseUrl: database.url,
      urls: options.urls,
      pseudonymKey: REFERENCE_PSEUDONYM_KEY,
      taskQueue: `reference-${randomUUID()}`,
      ...(options.maxAttempts !== undefined ? { maxAttempts: options.maxAttempts } : {}),
    });
    const config = faultConfig(env);
    const connection = await NativeConnection.connect({ address: options.temporalAddress });
    const client = await connectClient(config);
    try {
      const workers = await startWorkers({
        config,
        connection,
        db: database.db,
        workflowBundle: await faultWorkflowBundle(),
      });
      const closed = await workers.runUntil(
        (async () => {
          const ids = await startAll(client, config, options.signups);
          return waitForAllClosed(client, ids, options.timeoutMs ?? 120_000);
        })(),
      );
      const notCompleted = [...closed.values()].filter((c) => c.status !== 'COMPLETED');
      if (notCompleted.length) throw new Error(`reference run: ${notCompleted.length} workflows did not complete`);
      return await snapshotContacts(database.db);
    } finally {
      await client.connection.close();
      await connection.close();
    }
  } finally {
    await database.close();
  }
}
