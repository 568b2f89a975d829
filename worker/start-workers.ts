import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import { lookupActivitiesFor } from '../activities/lookup-activity.js';
import { createProvider } from '../activities/providers/registry.js';
import type { Provider } from '../activities/providers/provider.js';
import { createStoreActivities } from '../activities/store-activities.js';
import { createPrivacyActivities } from '../activities/privacy-activities.js';
import { createRetentionActivities } from '../activities/retention-activities.js';
import { PROVIDER_NAMES, type ProviderName } from '../schemas/providers.js';
import type { Database } from '../store/database.js';
import { providerTaskQueue } from '../schemas/ids.js';
import { dataConverterFor } from '../client/codec/data-converter.js';
import { failingActivities } from './failing-activities.js';
import { createBackfillActivities } from './backfill-activities.js';
import { prebuiltWorkflowBundle } from './prebuilt-workflow-bundle.js';

/** The workflows' entry module: what `npm run build` bundles, and what tests bundle from source. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface StartWorkersOptions {
  config: Config;
  connection: NativeConnection;
  db: Kysely<Database>;
  /** Which queues this process polls: `workflows` (workflows and store activities) and/or provider names. Default: all. */
  queues?: Array<'workflows' | ProviderName>;
  /** A workflow bundle (tests build one per file from source); otherwise the one `npm run build` wrote to dist/. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export interface WorkerGroup {
  workers: Worker[];
  /** Runs every worker until shutdown; rejects if any worker fails. */
  run(): Promise<void>;
  /** Runs every worker until `promise` settles, then shuts them down and returns its value. */
  runUntil<T>(promise: Promise<T>): Promise<T>;
  shutdown(): void;
}

/**
 * Creates this process's workers: one on the workflow queue (workflows plus the store activities) and one per
 * provider on that provider's own queue, whose rate limit the Temporal server enforces across every worker
 * polling it. Every worker of a queue must be given the same limit, or they fight over it.
 */
export async function startWorkers(options: StartWorkersOptions): Promise<WorkerGroup> {
  const { config, connection, db } = options;
  const queues = new Set(options.queues ?? ['workflows', ...PROVIDER_NAMES]);
  // Every worker encrypts what it sends and decrypts what it receives, like every client (see dataConverterFor).
  const common = {
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(config),
    // Counts workflows whose same activity keeps failing, for the enrich_workflows_failing_activity gauge.
    interceptors: { activity: [failingActivities().interceptor(config.worker.failingAttempts)] },
  };
  const workers: Worker[] = [];
  const providers: Provider[] = [];

  if (queues.has('workflows')) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueue,
        maxCachedWorkflows: config.worker.maxCachedWorkflows,
        workflowBundle: options.workflowBundle ?? prebuiltWorkflowBundle(config.payloads.encryption),
        activities: {
          ...createStoreActivities(db),
          ...createPrivacyActivities(db),
          ...createRetentionActivities(db),
          ...createBackfillActivities(db, config),
        },
      }),
    );
  }
  for (const name of PROVIDER_NAMES) {
    const providerConfig = config.providers[name];
    if (!queues.has(name) || !providerConfig.enabled) continue;
    // The voter file is matched in the database; HTTP providers need only their configuration.
    const provider = createProvider(name, { config, db });
    providers.push(provider);
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: providerTaskQueue(config.temporal.taskQueue, name),
        // Its own base URL is where our requests went: URLs there (a geocoder's request as evidence) are stored as they are.
        activities: lookupActivitiesFor(provider, {
          trustedOrigins: providerConfig.baseUrl ? [providerConfig.baseUrl] : [],
        }),
        maxTaskQueueActivitiesPerSecond: providerConfig.rps,
        maxConcurrentActivityTaskExecutions: 20,
      }),
    );
  }

  const closeProviders = () => Promise.all(providers.map((p) => p.close())).then(() => undefined);
  const run = async () => {
    try {
      await Promise.all(workers.map((w) => w.run()));
    } finally {
      await closeProviders();
    }
  };
  return {
    workers,
    run,
    shutdown: () => workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown()),
    async runUntil<T>(promise: Promise<T>): Promise<T> {
      const running = run();
      try {
        return await promise;
      } finally {
        workers.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
        await running;
      }
    },
  };
}
