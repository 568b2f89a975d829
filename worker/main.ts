import { credentialsNotice } from './credentials-notice.js';
import { NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { PROVIDER_NAMES, type ProviderName } from '../schemas/providers.js';
import { openStore } from '../store/open-store.js';
import { createTemporalClient, temporalAddress, temporalConnectionOptions } from '../client/temporal-client.js';
import { ensureRetentionSchedule } from '../client/retention-schedule.js';
import { startMetricsServer } from './metrics-server.js';
import { installTemporalRuntime } from './runtime.js';
import { prebuiltWorkflowBundle } from './prebuilt-workflow-bundle.js';
import { startWorkers } from './start-workers.js';
import { untilSignal } from './until-signal.js';

/** The task queues a worker process can poll: the workflow queue, and each provider's own queue. */
export const WORKER_QUEUES = ['workflows', ...PROVIDER_NAMES] as const;
export type WorkerQueue = 'workflows' | ProviderName;

export interface RunWorkerOptions {
  /** Which queues this process polls; default: all of {@link WORKER_QUEUES}. */
  queues?: WorkerQueue[];
}

/**
 * `enrich worker`: polls the given queues of TEMPORAL_ADDRESS until SIGINT or SIGTERM, then lets the tasks in hand
 * finish and closes the metrics server, the connection and the store. The Temporal runtime is installed first, as
 * it must be before any connection is made.
 */
export async function runWorker(config: Config, logger: Logger, options: RunWorkerOptions = {}): Promise<void> {
  const queues = options.queues ?? [...WORKER_QUEUES];
  // A missing or stale bundle is refused before anything connects, in one line.
  const workflowBundle = queues.includes('workflows') ? prebuiltWorkflowBundle(config.payloads.encryption) : undefined;
  installTemporalRuntime(logger, 'INFO', { metricsBindAddress: config.temporal.metricsBindAddress });
  const keyless = credentialsNotice(config);
  if (keyless) logger.warn(keyless);
  const database = await openStore(config, logger);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config));
  const metrics =
    config.metrics.port === undefined
      ? undefined
      : await startMetricsServer({ ...config.metrics, port: config.metrics.port });
  if (metrics) logger.info({ url: metrics.url }, 'metrics served');
  const workers = await startWorkers({ config, connection, db: database.db, queues, workflowBundle });
  logger.info({ queues, address: temporalAddress(config) }, 'workers running');
  if (queues.includes('workflows')) await keepRetentionSchedule(config, logger);
  const running = workers.run();
  await untilSignal(async () => {
    workers.shutdown();
    await running;
  });
  await metrics?.close();
  await connection.close();
  await database.close();
}

/**
 * The workflow workers run the retention purge, so they keep its schedule in line with the configuration. A
 * failure here does not stop the workers (another worker or `enrich retention` can set it), but it is loud.
 */
async function keepRetentionSchedule(config: Config, logger: Logger): Promise<void> {
  const client = await createTemporalClient(config);
  try {
    logger.info(await ensureRetentionSchedule(client, config), 'retention schedule');
  } catch (err) {
    logger.error({ err }, 'could not create or update the retention schedule; run `enrich retention`');
  } finally {
    await client.connection.close();
  }
}
