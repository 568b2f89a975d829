import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { LookupInput, ProviderLookupResult } from '../schemas/lookup.js';
import type { ProviderName } from '../schemas/providers.js';
import { lookupActivityName } from '../workflows/ids.js';
import { lookupDuration, lookupErrorsTotal, lookupQueueWait, lookupsTotal } from '../worker/metrics.js';
import { LookupError } from './providers/lookup-error.js';
import type { Provider } from './providers/provider.js';

export type LookupActivity = (input: LookupInput) => Promise<ProviderLookupResult>;
export type LookupActivities = { [K in ProviderName as `lookup${Capitalize<K>}`]: LookupActivity };

/** What a failed attempt carries to the workflow, so a final failure can say how many attempts were made. */
export interface LookupFailureDetails {
  attempt: number;
  httpStatus?: number;
}

/**
 * Wraps a provider as a Temporal activity: the attempt number goes into the result, and a {@link LookupError}
 * becomes an `ApplicationFailure` of the same type, non-retryable when retrying cannot help, and with the
 * provider's own retry time as `nextRetryDelay` (which the server lets override the policy's maximum interval).
 */
export function createLookupActivity(provider: Provider): LookupActivity {
  return async function lookup(input: LookupInput): Promise<ProviderLookupResult> {
    const context = Context.current();
    const { attempt } = context.info;
    const started = Date.now();
    const labels = { provider: provider.name };
    // Time since this attempt was scheduled: on a provider queue, mostly its rate limit.
    lookupQueueWait.observe(labels, Math.max(0, started - context.info.currentAttemptScheduledTimestampMs) / 1000);
    // Heartbeats let a cancellation reach the request (through the signal) and a dead worker show up early.
    const heartbeats = setInterval(() => context.heartbeat(), 1000);
    try {
      const answer = await provider.lookup(input, context.cancellationSignal);
      lookupsTotal.inc({ ...labels, outcome: answer.outcome });
      log.info('lookup finished', { provider: provider.name, outcome: answer.outcome, attempt, ms: Date.now() - started });
      return { ...answer, attempts: attempt };
    } catch (err) {
      lookupsTotal.inc({ ...labels, outcome: 'error' });
      lookupErrorsTotal.inc({ ...labels, error_type: err instanceof LookupError ? err.type : 'Unexpected' });
      if (!(err instanceof LookupError)) throw err;
      log.warn('lookup attempt failed', { provider: provider.name, errorType: err.type, attempt, retryAfterMs: err.retryAfterMs });
      const details: LookupFailureDetails = { attempt, ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}) };
      throw ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: !err.retryable,
        details: [details],
        ...(err.retryAfterMs !== undefined ? { nextRetryDelay: Math.max(1, err.retryAfterMs) } : {}),
      });
    } finally {
      clearInterval(heartbeats);
      lookupDuration.observe(labels, (Date.now() - started) / 1000);
    }
  };
}

/** The activities one provider worker registers: just that provider's lookup, under its well-known name. */
export function lookupActivitiesFor(provider: Provider): Partial<LookupActivities> {
  return { [lookupActivityName(provider.name)]: createLookupActivity(provider) };
}
