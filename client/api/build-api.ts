import type { Client } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { SignupSchema } from '../../schemas/signup.js';
import type { Database } from '../../store/database.js';
import { findContactView } from '../../store/contacts.js';
import { contactKeyFromRef } from '../contact-key.js';
import { startEnrichment } from '../start-enrichment.js';
import { bearerToken, secretsEqual, signatureValid } from './secrets.js';

export interface ApiDeps {
  config: Config;
  temporal: Client;
  db: Kysely<Database>;
  logger: Logger;
}

/** Seconds a client should wait before retrying a signup that Temporal did not acknowledge. */
const RETRY_AFTER_SECONDS = 5;
/** A health check must answer quickly even when a dependency hangs. */
const HEALTH_TIMEOUT_MS = 2000;

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/**
 * The HTTP API (product.md): signups in, records out. Built, not started, so tests use `inject` and `enrich api`
 * and `enrich dev` decide where it listens.
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const { config, temporal, db } = deps;
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'api' });
  const app = Fastify({ loggerInstance, bodyLimit: config.api.bodyLimitBytes });

  // Keep the raw bytes: a webhook signature is over the body exactly as sent.
  // JSON only: any other media type is a 415, not a string for the validator to puzzle over.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    req.rawBody = body;
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch {
      done(Object.assign(new Error('request body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  });

  function requireApiToken(req: FastifyRequest, reply: FastifyReply): boolean {
    const expected = config.api.apiToken;
    const given = bearerToken(req.headers.authorization);
    if (expected && given && secretsEqual(given, expected)) return true;
    void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or invalid API token' });
    return false;
  }

  function signupAuthorized(req: FastifyRequest): boolean {
    const token = bearerToken(req.headers.authorization);
    if (token && config.api.signupToken && secretsEqual(token, config.api.signupToken)) return true;
    const signature = req.headers['x-signature'];
    return Boolean(
      config.api.webhookSecret && typeof signature === 'string' && req.rawBody && signatureValid(signature, req.rawBody, config.api.webhookSecret),
    );
  }

  app.get('/healthz', async (_req, reply) => {
    const checks = await Promise.allSettled([
      temporal.connection.withDeadline(Date.now() + HEALTH_TIMEOUT_MS, () => temporal.workflowService.getSystemInfo({})),
      sql`select 1`.execute(db),
    ]);
    const failed = (['temporal', 'postgres'] as const).filter((_, i) => checks[i]?.status === 'rejected');
    return reply.code(failed.length ? 503 : 200).send({ ok: failed.length === 0, failed });
  });

  app.post('/v1/signups', async (req, reply) => {
    if (!signupAuthorized(req)) return reply.code(401).send({ error: 'missing or invalid bearer token or X-Signature' });
    const parsed = SignupSchema.safeParse(req.body);
    if (!parsed.success) {
      return reply.code(400).send({
        error: 'invalid signup',
        issues: parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message })),
      });
    }
    try {
      // Bounded: a caller waiting on a Temporal that does not answer gets a 503 it can retry, not a hung request.
      const started = await temporal.connection.withDeadline(Date.now() + config.api.startTimeoutMs, () =>
        startEnrichment(temporal, config, parsed.data),
      );
      req.log.info({ workflowId: started.workflowId, status: started.status }, 'signup accepted');
      return reply.code(202).send({ workflowId: started.workflowId, status: started.status });
    } catch (err) {
      // Never a 2xx for a start Temporal did not acknowledge: the sender keeps the signup and retries.
      req.log.error({ err }, 'temporal did not acknowledge the start');
      return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send({ error: 'enrichment service unavailable, retry later' });
    }
  });

  app.get<{ Params: { ref: string } }>('/v1/contacts/:ref', async (req, reply) => {
    if (!requireApiToken(req, reply)) return reply;
    const key = contactKeyFromRef(req.params.ref, config.pseudonymKey);
    if (!key) return reply.code(400).send({ error: 'ref must be an email, a contact id or an enrich-contact workflow id' });
    const view = await findContactView(db, key);
    if (!view) return reply.code(404).send({ error: 'contact not found' });
    return reply.send(view);
  });

  return app;
}
