import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Signup } from '../schemas/signup.js';
import type { ListStatus } from '../schemas/list-status.js';
import { startEnrichment, type StartEnrichmentResult } from '../client/start-enrichment.js';
import { startUnlessOptedOut } from '../client/list-opt-outs.js';
import type { ApiDeps } from './api-deps.js';

/** Seconds a sender should wait before retrying a delivery that Temporal did not acknowledge. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Starts (or finds) a supporter's enrichment and resolves only once Temporal acknowledged it, within
 * `API_START_TIMEOUT_MS`: a caller waiting on a Temporal that does not answer gets an error it turns into a 503,
 * not a hung request. Every gRPC call made inside `run` shares the one deadline, so a batch is bounded as a whole.
 * `statuses` are what the sender's list says about the person (its opt-outs stop the start); `actor` names the
 * sender in the audit log.
 */
export function withStartDeadline<T>(
  deps: ApiDeps,
  run: (start: (signup: Signup, statuses?: readonly ListStatus[]) => Promise<StartEnrichmentResult>) => Promise<T>,
  actor = 'api',
): Promise<T> {
  const { temporal, config, db } = deps;
  return temporal.connection.withDeadline(Date.now() + config.api.startTimeoutMs, () =>
    // A person the list says opted out, or who opted out or was erased here, is acknowledged (the sender must not
    // retry) and nothing starts; see client/list-opt-outs.ts.
    run((signup, statuses = []) =>
      startUnlessOptedOut({ db, temporal, config }, signup, statuses, actor, (s) =>
        startEnrichment(temporal, config, s),
      ),
    ),
  );
}

/**
 * The answer when Temporal did not acknowledge a start: 503 with Retry-After, never a 2xx, so the sender keeps
 * the delivery and retries it. A retry is safe: workflow IDs are derived from the email, so whatever did start
 * is found again (`existing`) and nothing starts twice.
 */
export function replyUnavailable(reply: FastifyReply, log: FastifyBaseLogger, err: unknown): FastifyReply {
  log.error({ err }, 'temporal did not acknowledge the start');
  return reply
    .code(503)
    .header('retry-after', String(RETRY_AFTER_SECONDS))
    .send({ error: 'enrichment service unavailable, retry later' });
}
