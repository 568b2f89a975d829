import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Signup } from '../schemas/signup.js';
import { startEnrichment, type StartEnrichmentResult } from '../client/start-enrichment.js';
import type { ApiDeps } from './api-deps.js';
import { contactKeyFor } from '../domain/contact-key.js';
import { findSuppression } from '../store/privacy.js';
import { enrichContactWorkflowId } from '../schemas/ids.js';

/** Seconds a sender should wait before retrying a delivery that Temporal did not acknowledge. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * Starts (or finds) a supporter's enrichment and resolves only once Temporal acknowledged it, within
 * `API_START_TIMEOUT_MS`: a caller waiting on a Temporal that does not answer gets an error it turns into a 503,
 * not a hung request. Every gRPC call made inside `run` shares the one deadline, so a batch is bounded as a whole.
 */
export function withStartDeadline<T>(
  deps: ApiDeps,
  run: (start: (signup: Signup) => Promise<StartEnrichmentResult>) => Promise<T>,
): Promise<T> {
  const { temporal, config, db } = deps;
  return temporal.connection.withDeadline(Date.now() + config.api.startTimeoutMs, () =>
    run(async (signup) => {
      // A person who opted out or was erased is acknowledged (the sender must not retry) and nothing starts.
      const contactKey = contactKeyFor(signup.email, config.pseudonymKey);
      if (await findSuppression(db, contactKey))
        return { workflowId: enrichContactWorkflowId(contactKey), contactKey, status: 'suppressed' };
      return startEnrichment(temporal, config, signup);
    }),
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
