import { DefaultLogger, makeTelemetryFilterString, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

let installed = false;
const NO_WORKFLOWS_WARNING = 'No workflows registered, not polling for workflow tasks';
let metricsAddress: string | undefined;

export interface TemporalRuntimeOptions {
  /**
   * `host:port` where the runtime serves its own Prometheus metrics (worker task slots, poll and schedule-to-start
   * latencies, sticky cache, workflow and activity counts, all prefixed `temporal_`); unset = not served.
   */
  metricsBindAddress?: string | undefined;
}

/**
 * Routes the Temporal SDK's logs (worker, workflow and activity) into pino and, when asked, serves the runtime's own
 * Prometheus metrics. Must run before anything creates the Temporal runtime (a connection, a worker or a test
 * environment), so entry points call it first; later calls change nothing.
 */
export function installTemporalRuntime(
  logger: Logger,
  level: LogLevel = 'INFO',
  options: TemporalRuntimeOptions = {},
): void {
  if (installed) return;
  installed = true;
  metricsAddress = options.metricsBindAddress;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      // Provider queues are activity-only by design; the SDK warns about each of them at start. Not news.
      if (entry.message === NO_WORKFLOWS_WARNING) return;
      const method =
        entry.level === 'TRACE' ? 'trace' : (entry.level.toLowerCase() as 'debug' | 'info' | 'warn' | 'error');
      logger[method]({ ...entry.meta }, entry.message);
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
      ...(metricsAddress ? { metrics: { prometheus: { bindAddress: metricsAddress } } } : {}),
    },
  });
}

/**
 * Where this process's Temporal runtime serves its Prometheus metrics, as a URL to scrape (a wildcard bind address
 * is scraped on loopback), or undefined when it serves none.
 */
export function temporalRuntimeMetricsUrl(): string | undefined {
  if (!metricsAddress) return undefined;
  const separator = metricsAddress.lastIndexOf(':');
  const host = metricsAddress.slice(0, separator);
  const port = metricsAddress.slice(separator + 1);
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
  return `http://${local}:${port}/metrics`;
}
