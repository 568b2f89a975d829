import { rm } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../config.js';
import {
  connectClient,
  createFaultDatabase,
  FAULT_PROVIDERS,
  faultConfig,
  faultEnv,
  faultTempDir,
  faultWorkflowBundle,
  referenceRun,
  spawnWorkerProcess,
  startFaultProviders,
  startFaultTemporal,
  timed,
  waitForAllClosed,
  waitForSettledCount,
  waitForWorkerPolling,
  type ClosedRun,
  type ContactSnapshot,
  type FaultDatabase,
  type FaultEnvOptions,
  type FaultProviders,
  type FaultTemporal,
  type ReferenceRunOptions,
  type WorkerProcess,
} from './fault-run.js';
import type { FaultSupporters } from './fault-supporters.js';

/** Something to tear down after the suite. */
export type FaultCleanup = () => Promise<unknown>;

export interface FaultSuiteOptions {
  /** Builds the workflow bundle before the tests, for suites whose test does not build it alongside other work. */
  bundle?: boolean;
  /** More set-up to run while the dev server starts (a private Postgres); it passes its teardown to `defer`. */
  alongside?: (defer: (...cleanups: FaultCleanup[]) => void) => Promise<void>;
}

export interface FaultSuite {
  /** The suite's Temporal dev server, there once the suite's `beforeAll` has run. */
  readonly temporal: FaultTemporal;
  /** Tears `cleanups` down after the suite, the latest first; one that fails does not stop the others. */
  defer(...cleanups: FaultCleanup[]): void;
  /** The Gravatar and GitHub demo servers for `data`, closed after the suite. */
  startProviders(data: Pick<FaultSupporters, 'gravatar' | 'github'>): Promise<FaultProviders>;
  /** The run under test: a fresh database, its environment and configuration, and a client; closed after the suite. */
  openRun(options: FaultRunOptions): Promise<FaultRun>;
  /** A reference run on the suite's dev server (see `referenceRun`), and how long it took. */
  timedReferenceRun(
    options: Omit<ReferenceRunOptions, 'temporalAddress'>,
  ): Promise<{ value: Map<string, ContactSnapshot>; ms: number }>;
}

export interface FaultRunOptions extends Omit<FaultEnvOptions, 'temporalAddress' | 'databaseUrl'> {
  /** Where to create the run's database (a private cluster); by default a throwaway one on the shared server. */
  databaseUrl?: string;
}

export interface FaultRun {
  database: FaultDatabase;
  /** The environment of the run, for its worker processes. */
  env: Record<string, string>;
  config: Config;
  client: Client;
  /** Spawns `enrich worker` on the run's environment; it is stopped after the suite. */
  spawnWorker: () => WorkerProcess;
  /** Waits until `worker` polls the run's workflow queue and every provider queue. */
  waitForPolling: (worker: WorkerProcess) => Promise<void>;
  /**
   * Waits until every contact of `workflowIds` has settled in the store (failing at once if `worker` dies), then until
   * every workflow has closed; returns how each closed.
   */
  waitForEnd: (workflowIds: string[], worker: WorkerProcess, settleMs?: number) => Promise<Map<string, ClosedRun>>;
}

/**
 * The set-up every fault test shares, registered as the calling `describe`'s hooks: a temporary folder and a Temporal
 * dev server on it before the tests, and after them, every teardown `defer`red, the latest first.
 */
export function faultSuite(tempPrefix: string, options: FaultSuiteOptions = {}): FaultSuite {
  const cleanups: FaultCleanup[] = [];
  const defer = (...more: FaultCleanup[]): void => {
    cleanups.push(...more);
  };
  let started: FaultTemporal | undefined;
  const temporal = (): FaultTemporal => {
    if (!started) throw new Error('the fault suite has not started its Temporal dev server yet');
    return started;
  };

  beforeAll(async () => {
    const dir = await faultTempDir(tempPrefix);
    defer(() => rm(dir, { recursive: true, force: true }));
    const [server] = await Promise.all([startFaultTemporal(dir), options.alongside?.(defer)]);
    started = server;
    defer(() => server.stop());
    if (options.bundle) await faultWorkflowBundle();
  });
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  return {
    get temporal() {
      return temporal();
    },
    defer,
    async startProviders(data) {
      const providers = await startFaultProviders(data);
      defer(() => providers.close());
      return providers;
    },
    async openRun(runOptions) {
      const database = await createFaultDatabase(runOptions.databaseUrl);
      defer(() => database.close());
      const env = faultEnv({ ...runOptions, temporalAddress: temporal().address, databaseUrl: database.url });
      const config = faultConfig(env);
      const client = await connectClient(config);
      defer(() => client.connection.close());
      return {
        database,
        env,
        config,
        client,
        spawnWorker: () => {
          const worker = spawnWorkerProcess(env);
          defer(() => worker.stop());
          return worker;
        },
        waitForPolling: (worker) =>
          waitForWorkerPolling(client, config.temporal.taskQueue, FAULT_PROVIDERS, worker.pid),
        waitForEnd: async (workflowIds, worker, settleMs = 120_000) => {
          await waitForSettledCount(database.db, workflowIds.length, settleMs, () => worker.assertAlive());
          return waitForAllClosed(client, workflowIds, 60_000);
        },
      };
    },
    timedReferenceRun: (referenceOptions) =>
      timed(() => referenceRun({ ...referenceOptions, temporalAddress: temporal().address })),
  };
}
