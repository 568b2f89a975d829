import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SignupSchema } from '../../schemas/signup.js';
import type { ApiDeps } from '../api-deps.js';
import { fieldIssues } from '../mappers/signup-draft.js';
import { bearerToken, secretsEqual, signatureValid } from '../../domain/secrets.js';
import { replyUnavailable, withStartDeadline } from '../start-acknowledged.js';

/**
 * `POST /v1/signups`: the generic signup body, authenticated by `Bearer $SIGNUP_TOKEN` or an `X-Signature` HMAC of
 * the raw body under `$WEBHOOK_SECRET`. 202 once Temporal acknowledged the start; 503 + Retry-After when it did not.
 */
export function signupsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { config } = deps;

  function authorized(req: FastifyRequest): boolean {
    const token = bearerToken(req.headers.authorization);
    if (token && config.api.signupToken && secretsEqual(token, config.api.signupToken)) return true;
    const signature = req.headers['x-signature'];
    return Boolean(
      config.api.webhookSecret &&
      typeof signature === 'string' &&
      req.rawBody &&
      signatureValid(signature, req.rawBody, config.api.webhookSecret),
    );
  }

  app.post('/v1/signups', async (req, reply) => {
    if (!authorized(req)) return reply.code(401).send({ error: 'missing or invalid bearer token or X-Signature' });
    const parsed = SignupSchema.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid signup', issues: fieldIssues(parsed.error) });
    try {
      const started = await withStartDeadline(deps, (start) => start(parsed.data));
      req.log.info({ workflowId: started.workflowId, status: started.status }, 'signup accepted');
      return reply.code(202).send({ workflowId: started.workflowId, status: started.status });
    } catch (err) {
      return replyUnavailable(reply, req.log, err);
    }
  });
}
