import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ProviderLookupResult } from '../schemas/lookup.js';
import type { ProviderName } from '../schemas/providers.js';
import { lookupActivityName } from '../schemas/ids.js';
import { lookupDuration, lookupErrorsTotal, lookupQueueWait, lookupsTotal } from './metrics.js';
import { LookupError } from './providers/lookup-error.js';
import type { Provider } from './providers/provider.js';
import { withStorableUrls } from './providers/public-url.js';
import { backoffPolicyOf, delayWithinBudget, fullJitterDelayMs } from './retry-backoff.js';

export type LookupActivity = (input: LookupInput) => Promise<ProviderLookupResult>;
export type LookupActivities = { [K in ProviderName as `lookup${Capitalize<K>}`]: LookupActivity };

/** What a failed attempt carries to the workflow, so a final failure can say how many attempts were made. */
export interface LookupFailureDetails {
  attempt: number;
  httpStatus?: number;
  /**
   * A RateLimited refusal: how long the provider (or the client's own quota guard) said to wait; absent when it
   * named no time. The workflow waits it out and asks again (workflows/lookup-attempt.ts).
   */
  quotaWaitMs?: number;
}

export interface LookupActivityOptions {
  /**
   * Origins whose URLs are stored as they are: the provider's configured base URL, where our own request went (see
   * {@link withStorableUrls}). Every other URL a provider answers must be `https` on a public host.
   */
  trustedOrigins?: readonly string[];
}

/**
 * The wait before the next attempt after `err`: the provider's own retry time when it gave one (which the server
 * lets override the policy's maximum interval); for a rate limit that named none, a full-jitter backoff on the
 * activity's own retry policy, kept inside its schedule-to-close (see retry-backoff.ts); otherwise none, and the
 * policy's backoff applies.
 */
function nextRetryDelayOf(err: LookupError, info: Context['info']): number | undefined {
  if (err.retryAfterMs !== undefined) return Math.max(1, err.retryAfterMs);
  if (err.type !== LOOKUP_ERROR_TYPES.rateLimited) return undefined;
  const delay = fullJitterDelayMs(info.attempt, backoffPolicyOf(info.retryPolicy));
  return delayWithinBudget(delay, {
    scheduledAtMs: info.scheduledTimestampMs,
    scheduleToCloseMs: info.scheduleToCloseTimeoutMs,
    attemptTimeoutMs: info.startToCloseTimeoutMs,
    now: Date.now(),
  });
}

/**
 * Wraps a provider as a Temporal activity: the attempt number goes into the result, URLs that may not be stored are
 * taken out of the observations (and the drop noted), and a {@link LookupError} becomes an `ApplicationFailure` of
 * the same type, non-retryable when retrying cannot help, with the wait of {@link nextRetryDelayOf}.
 */
export function createLookupActivity(provider: Provider, options: LookupActivityOptions = {}): LookupActivity {
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
      // One place for every provider: what a provider answers is stored only with URLs a record may carry.
      const { observations, dropped } = withStorableUrls(answer.observations, options.trustedOrigins);
      lookupsTotal.inc({ ...labels, outcome: answer.outcome });
      log.info('lookup finished', {
        provider: provider.name,
        outcome: answer.outcome,
        attempt,
        ms: Date.now() - started,
        ...(dropped ? { droppedUrls: dropped } : {}),
      });
      return { ...answer, observations, attempts: attempt };
    } catch (err) {
      lookupsTotal.inc({ ...labels, outcome: 'error' });
      lookupErrorsTotal.inc({ ...labels, error_type: err instanceof LookupError ? err.type : 'Unexpected' });
      if (!(err instanceof LookupError)) throw err;
      // Waiting for quota is not failing: a refusal for quota is never retried by the activity's policy (whose
      // attempts are for errors); the workflow sleeps for the wait it carries and runs the lookup again.
      const quota = err.type === LOOKUP_ERROR_TYPES.rateLimited;
      const nextRetryDelay = err.retryable && !quota ? nextRetryDelayOf(err, context.info) : undefined;
      log.warn('lookup attempt failed', {
        provider: provider.name,
        errorType: err.type,
        attempt,
        retryAfterMs: err.retryAfterMs,
        nextRetryDelay,
      });
      const details: LookupFailureDetails = {
        attempt,
        ...(err.httpStatus !== undefined ? { httpStatus: err.httpStatus } : {}),
        ...(quota && err.retryAfterMs !== undefined ? { quotaWaitMs: Math.max(1, err.retryAfterMs) } : {}),
      };
      throw ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: quota || !err.retryable,
        details: [details],
        ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
      });
    } finally {
      clearInterval(heartbeats);
      lookupDuration.observe(labels, (Date.now() - started) / 1000);
    }
  };
}

/** The activities one provider worker registers: just that provider's lookup, under its well-known name. */
export function lookupActivitiesFor(
  provider: Provider,
  options: LookupActivityOptions = {},
): Partial<LookupActivities> {
  return { [lookupActivityName(provider.name)]: createLookupActivity(provider, options) };
}
