import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The application's own Prometheus metrics, in one registry per process: what the lookups did (by provider and
 * outcome), how long providers took, and how long each attempt waited on its rate-limited queue. Labels are
 * provider names, outcomes and error types only: never an email, a name or a contact id.
 */
export const appMetrics = new Registry();

/** Lookup attempts by provider and outcome: `matched`, `no_match`, or `error` (then see the errors counter). */
export const lookupsTotal = new Counter({
  name: 'enrich_lookups_total',
  help: 'Lookup attempts by provider and outcome (matched, no_match, error).',
  labelNames: ['provider', 'outcome'] as const,
  registers: [appMetrics],
});

/** Failed lookup attempts by provider and error type (RateLimited, ProviderUnavailable, …). */
export const lookupErrorsTotal = new Counter({
  name: 'enrich_lookup_errors_total',
  help: 'Failed lookup attempts by provider and error type.',
  labelNames: ['provider', 'error_type'] as const,
  registers: [appMetrics],
});

/** How long a provider took to answer one attempt (the request and its parsing, not the queueing). */
export const lookupDuration = new Histogram({
  name: 'enrich_lookup_duration_seconds',
  help: 'Time a provider took to answer one lookup attempt.',
  labelNames: ['provider'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [appMetrics],
});

/**
 * How long an attempt waited between being scheduled and starting on a worker: on a provider queue, mostly the
 * queue's rate limit (and, when workers are saturated, their free slots). Long waits mean the limit, not the
 * provider, sets the pace.
 */
export const lookupQueueWait = new Histogram({
  name: 'enrich_lookup_queue_wait_seconds',
  help: 'Time a lookup attempt waited on its rate-limited queue between being scheduled and starting.',
  labelNames: ['provider'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 900, 3600, 21_600],
  registers: [appMetrics],
});

let processMetrics = false;

/** Adds Node's process metrics (CPU, resident memory, heap, event-loop lag, GC) to {@link appMetrics}, once. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: appMetrics });
}
