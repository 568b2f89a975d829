import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiDeps } from './api-deps.js';
import { codecRoutes } from './routes/codec.js';
import { contactsRoutes } from './routes/contacts.js';
import { segmentsRoutes } from './routes/segments.js';
import { zonesRoutes } from './routes/zones.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { signupsRoutes } from './routes/signups.js';
import { actionNetworkWebhookRoutes } from './routes/webhooks-action-network.js';
import { nationBuilderWebhookRoutes } from './routes/webhooks-nationbuilder.js';
import { redactedRequest, redactUrl } from './redact-url.js';

export type { ApiDeps } from './api-deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: Buffer;
  }
}

/** JSON media types: `application/json` and HAL (`application/hal+json`, which Action Network speaks). */
const JSON_MEDIA_TYPES = ['application/json', 'application/hal+json'];

/**
 * Strict UTF-8 (JSON's only encoding, RFC 8259 §8.1): a lenient decode turns bad bytes into U+FFFD, which then
 * passes for text in a name or an email. `ignoreBOM` keeps a byte-order mark in the text, so it stays a JSON
 * syntax error as before rather than being dropped silently.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(body: Buffer): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    return undefined;
  }
}

const badRequest = (message: string) => Object.assign(new Error(message), { statusCode: 400 });

/**
 * The HTTP API (docs/api.md): signups and webhooks in, records out. Built, not started, so tests use `inject` and
 * `enrich api` and `enrich dev` decide where it listens. Each route lives in `routes/`; the body parsing, the size
 * limit and the error shape are shared here.
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  // Fastify logs every request's URL; the Action Network webhook's URL holds its secret (api/redact-url.ts).
  const loggerInstance: FastifyBaseLogger = deps.logger.child(
    { component: 'api' },
    { serializers: { req: redactedRequest } },
  );
  const app = Fastify({ loggerInstance, bodyLimit: deps.config.api.bodyLimitBytes });

  // Keep the raw bytes: a webhook signature is over the body exactly as sent.
  // JSON only: any other media type is a 415, not a string for the validator to puzzle over.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'buffer' }, (req, body: Buffer, done) => {
    req.rawBody = body;
    if (body.length === 0) return done(null, undefined);
    const text = decodeUtf8(body);
    if (text === undefined) return done(badRequest('request body is not valid UTF-8'), undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(badRequest('request body is not valid JSON'), undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
  });

  // Fastify's own 404 logs the URL in its message, where the serializer cannot redact it.
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${redactUrl(req.url)}` }),
  );

  healthRoutes(app, deps);
  signupsRoutes(app, deps);
  nationBuilderWebhookRoutes(app, deps);
  actionNetworkWebhookRoutes(app, deps);
  contactsRoutes(app, deps);
  segmentsRoutes(app, deps);
  zonesRoutes(app, deps);
  codecRoutes(app, deps);
  metricsRoutes(app, deps);
  return app;
}
