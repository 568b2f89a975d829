import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  NationBuilderLegacyWebhookSchema,
  NationBuilderPersonWebhookSchema,
  NationBuilderTokenSchema,
} from '../../schemas/webhooks/nationbuilder.js';
import type { ApiDeps } from '../api-deps.js';
import { nationBuilderLegacySignup, nationBuilderSignup } from '../mappers/nationbuilder-signup.js';
import { fieldIssues, validateSignupDraft, type SignupDraft } from '../mappers/signup-draft.js';
import { secretsEqual } from '../../domain/secrets.js';
import { replyUnavailable, withStartDeadline } from '../start-acknowledged.js';

/** The only NationBuilder event that starts an enrichment. */
const PERSON_CREATION = 'person_creation';

const QuerySchema = z.object({ event: z.string().trim().min(1).max(64).optional() });

/** Any NationBuilder body past the token check: `payload` an object, the rest read by the person schemas. */
const BodySchema = z.object({ payload: z.record(z.string(), z.unknown()) });

type Mapped = { draft: SignupDraft } | { status: number; body: Record<string, unknown> };

/** The person of a v4 (`payload.person`) or ≤ v3 (`payload.signup`) person event, or the answer to give instead. */
function mapPersonEvent(body: unknown): Mapped {
  const envelope = BodySchema.safeParse(body);
  if (!envelope.success)
    return { status: 400, body: { error: 'invalid NationBuilder webhook', issues: fieldIssues(envelope.error) } };
  const payload = envelope.data.payload;
  if ('signup' in payload) {
    const legacy = NationBuilderLegacyWebhookSchema.safeParse(body);
    if (!legacy.success)
      return { status: 400, body: { error: 'invalid NationBuilder webhook', issues: fieldIssues(legacy.error) } };
    return { draft: nationBuilderLegacySignup(legacy.data) };
  }
  if (!('person' in payload)) {
    const kind = Object.keys(payload).join(', ') || 'empty';
    return { status: 202, body: { status: 'ignored', reason: `payload ${kind} is not a person_creation event` } };
  }
  const webhook = NationBuilderPersonWebhookSchema.safeParse(body);
  if (!webhook.success)
    return { status: 400, body: { error: 'invalid NationBuilder webhook', issues: fieldIssues(webhook.error) } };
  return { draft: nationBuilderSignup(webhook.data) };
}

/**
 * `POST /v1/webhooks/nationbuilder`: NationBuilder's webhook envelope `{nation_slug, payload, token, version}`.
 *
 * Authenticity: NationBuilder signs nothing; it puts the nation's shared secret in the body as `token`, compared
 * here in constant time with `$NATIONBUILDER_WEBHOOK_TOKEN` before anything else in the body is looked at.
 *
 * Events: the envelope does not name its event (a webhook has one URL and one event), so a `person_creation`
 * payload is recognised by `payload.person`. `Person changed` has the same shape: register it with
 * `?event=person_update` in the URL (any `?event=` other than `person_creation` is ignored), or don't register it.
 * Contact and donation events (`payload.person_call`, `payload.donation`) and people without an email are answered
 * 202 `{status: "ignored"}`, so NationBuilder does not retry what we will never act on.
 *
 * Payload versions: version 4's `payload.person` and the older versions' `payload.signup` (`email1`,
 * `phone_number`, `tag_list`, …) are both mapped. The nation's opt-outs (`do_not_contact`, `is_deceased`,
 * `unsubscribed_at`) are honoured: 202 `suppressed`, the opt-out recorded, nothing started.
 */
export function nationBuilderWebhookRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const expected = deps.config.api.nationbuilderWebhookToken;

  app.post('/v1/webhooks/nationbuilder', async (req, reply) => {
    if (!expected)
      return reply
        .code(404)
        .send({ error: 'NationBuilder webhooks are not enabled (set NATIONBUILDER_WEBHOOK_TOKEN)' });
    const auth = NationBuilderTokenSchema.safeParse(req.body);
    if (!auth.success || !secretsEqual(auth.data.token, expected))
      return reply.code(401).send({ error: 'missing or invalid token' });

    const query = QuerySchema.safeParse(req.query);
    if (!query.success) return reply.code(400).send({ error: 'invalid query', issues: fieldIssues(query.error) });
    if (query.data.event !== undefined && query.data.event !== PERSON_CREATION) {
      return reply.code(202).send({ status: 'ignored', reason: `event ${query.data.event} starts no enrichment` });
    }

    const mapped = mapPersonEvent(req.body);
    if (!('draft' in mapped)) return reply.code(mapped.status).send(mapped.body);
    const draft = mapped.draft;
    if (draft.body.email === undefined)
      return reply.code(202).send({ status: 'ignored', reason: 'the person has no email address' });
    const signup = validateSignupDraft(draft);
    if (!signup.success) return reply.code(400).send({ error: 'invalid NationBuilder person', issues: signup.issues });

    try {
      const started = await withStartDeadline(
        deps,
        (start) => start(signup.signup, draft.statuses ?? []),
        'nationbuilder',
      );
      req.log.info(
        { workflowId: started.workflowId, status: started.status, source: 'nationbuilder' },
        'signup accepted',
      );
      return reply.code(202).send({ workflowId: started.workflowId, status: started.status });
    } catch (err) {
      return replyUnavailable(reply, req.log, err);
    }
  });
}
