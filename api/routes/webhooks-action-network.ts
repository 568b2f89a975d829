import type { FastifyInstance } from 'fastify';
import pLimit from 'p-limit';
import type { Signup } from '../../schemas/signup.js';
import {
  ACTION_NETWORK_PERSON_EVENTS,
  ActionNetworkElementSchema,
  ActionNetworkEventSchema,
  ActionNetworkWebhookSchema,
  type ActionNetworkPersonEventType,
} from '../../schemas/webhooks/action-network.js';
import type { ApiDeps } from '../api-deps.js';
import { actionNetworkSignup } from '../mappers/action-network-signup.js';
import { fieldIssues, validateSignupDraft, type FieldIssue } from '../mappers/signup-draft.js';
import { secretsEqual } from '../../domain/secrets.js';
import { replyUnavailable, withStartDeadline } from '../start-acknowledged.js';

/** Starts of one delivery in flight at once: a large upload batch must not open hundreds of calls. */
const BATCH_CONCURRENCY = 8;

/** What happened to one element of the delivery, in its order. */
export interface ActionNetworkEventResult {
  index: number;
  type?: string;
  idempotencyKey?: string;
  /** `duplicate`: an earlier element of this delivery had the same idempotency key. */
  status: 'started' | 'existing' | 'suppressed' | 'ignored' | 'duplicate';
  workflowId?: string;
  reason?: string;
}

type Planned = { result: ActionNetworkEventResult; signup?: Signup };

const PERSON_EVENTS = new Set<string>(ACTION_NETWORK_PERSON_EVENTS);

/**
 * Reads one element: its event type, its person as a signup, or why it starts nothing. Issues name the element
 * by index (`2.osdi:submission.person.email_addresses.0.address`).
 */
function planElement(element: unknown, index: number): Planned | FieldIssue[] {
  const parsed = ActionNetworkElementSchema.safeParse(element);
  if (!parsed.success) return fieldIssues(parsed.error, (path) => (path ? `${index}.${path}` : String(index)));
  const idempotencyKey = parsed.data.idempotency_key ?? undefined;
  const base = { index, ...(idempotencyKey ? { idempotencyKey } : {}) };
  const type = Object.keys(parsed.data).find((key): key is ActionNetworkPersonEventType => PERSON_EVENTS.has(key));
  if (!type) {
    const keys = Object.keys(parsed.data).filter((k) => k !== 'idempotency_key' && k !== 'action_network:sponsor');
    return {
      result: { ...base, type: keys[0], status: 'ignored', reason: `no person event (${keys.join(', ') || 'empty'})` },
    };
  }
  const event = ActionNetworkEventSchema.safeParse(parsed.data[type]);
  if (!event.success) return fieldIssues(event.error, (path) => [index, type, path].filter((p) => p !== '').join('.'));
  const draft = actionNetworkSignup(type, event.data, `${index}.${type}`);
  if (draft.body.email === undefined)
    return { result: { ...base, type, status: 'ignored', reason: 'the person has no email address' } };
  const signup = validateSignupDraft(draft);
  if (!signup.success) return signup.issues;
  return { result: { ...base, type, status: 'started' }, signup: signup.signup };
}

/**
 * `POST /v1/webhooks/action-network/:secret`: an Action Network delivery, a JSON array of OSDI-flavoured events.
 *
 * Authenticity: Action Network signs nothing, so the webhook URL carries a secret path segment, compared in
 * constant time with `$ACTION_NETWORK_WEBHOOK_SECRET`.
 *
 * Each element with a person (`osdi:submission`, `osdi:signature`, `osdi:attendance`, `osdi:donation`,
 * `osdi:outreach`, `action_network:action`, `action_network:upload`) starts (or finds) that person's enrichment;
 * others are `ignored`. The whole delivery is validated before anything starts: one bad element is a 400 naming
 * its index, and nothing of it starts. 202 with one result per element once Temporal acknowledged every start;
 * else 503 + Retry-After, and the redelivery finds what did start (`existing`).
 *
 * Idempotency: a redelivery carries the same `idempotency_key`. Workflow IDs come from the email, so a redelivered
 * event finds its enrichment (`existing`) and starts nothing, even across API restarts; within one delivery a
 * repeated key is answered `duplicate` without asking Temporal again. The key is not used as the workflow ID:
 * that would start a second enrichment of the same supporter for each of their actions.
 */
export function actionNetworkWebhookRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const expected = deps.config.api.actionNetworkWebhookSecret;

  app.post<{ Params: { secret: string } }>('/v1/webhooks/action-network/:secret', async (req, reply) => {
    if (!expected)
      return reply
        .code(404)
        .send({ error: 'Action Network webhooks are not enabled (set ACTION_NETWORK_WEBHOOK_SECRET)' });
    if (!secretsEqual(req.params.secret, expected)) return reply.code(401).send({ error: 'invalid webhook secret' });

    const body = ActionNetworkWebhookSchema.safeParse(req.body);
    if (!body.success) {
      const issues = fieldIssues(body.error);
      const notArray = !Array.isArray(req.body);
      return reply.code(400).send({
        error: notArray ? 'body must be a JSON array of Action Network events' : 'invalid Action Network delivery',
        issues,
      });
    }

    const planned: Planned[] = [];
    for (const [index, element] of body.data.entries()) {
      const plan = planElement(element, index);
      if (Array.isArray(plan))
        return reply.code(400).send({ error: `invalid Action Network event at index ${index}`, index, issues: plan });
      planned.push(plan);
    }
    const seen = new Set<string>();
    for (const plan of planned) {
      const key = plan.result.idempotencyKey;
      if (!plan.signup || key === undefined) continue;
      if (seen.has(key)) {
        plan.result.status = 'duplicate';
        plan.result.reason = 'same idempotency_key as an earlier event of this delivery';
        delete plan.signup;
      }
      seen.add(key);
    }

    try {
      const limit = pLimit(BATCH_CONCURRENCY);
      await withStartDeadline(deps, async (start) => {
        const settled = await Promise.allSettled(
          planned.map((plan) =>
            limit(async () => {
              if (!plan.signup) return;
              const started = await start(plan.signup);
              plan.result.status = started.status;
              plan.result.workflowId = started.workflowId;
            }),
          ),
        );
        const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) throw failed.reason;
      });
    } catch (err) {
      return replyUnavailable(reply, req.log, err);
    }
    const results = planned.map((p) => p.result);
    req.log.info(
      {
        source: 'action_network',
        events: results.length,
        started: results.filter((r) => r.status === 'started').length,
      },
      'action network delivery accepted',
    );
    return reply.code(202).send({ results });
  });
}
