import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import pLimit from 'p-limit';
import type { Signup } from '../../schemas/signup.js';
import type { ListStatus } from '../../schemas/list-status.js';
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
  /**
   * `duplicate`: an earlier element of this delivery had the same idempotency key; `rejected`: the element cannot
   * be read (its `issues` say where and why, never with the value); `suppressed`: the list says the person opted
   * out (or they opted out here), nothing started.
   */
  status: 'started' | 'existing' | 'suppressed' | 'ignored' | 'duplicate' | 'rejected';
  workflowId?: string;
  reason?: string;
  issues?: FieldIssue[];
}

type Planned = { result: ActionNetworkEventResult; signup?: Signup; statuses?: ListStatus[] };

const rejected = (index: number, issues: FieldIssue[], type?: string, idempotencyKey?: string): Planned => ({
  result: {
    index,
    ...(type ? { type } : {}),
    ...(idempotencyKey ? { idempotencyKey } : {}),
    status: 'rejected',
    reason: 'invalid event',
    issues,
  },
});

const PERSON_EVENTS = new Set<string>(ACTION_NETWORK_PERSON_EVENTS);

/**
 * Reads one element: its event type, its person as a signup, or why it starts nothing. Issues name the element
 * by index (`2.osdi:submission.person.email_addresses.0.address`).
 */
function planElement(element: unknown, index: number): Planned {
  const parsed = ActionNetworkElementSchema.safeParse(element);
  if (!parsed.success)
    return rejected(
      index,
      fieldIssues(parsed.error, (path) => (path ? `${index}.${path}` : String(index))),
    );
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
  if (!event.success)
    return rejected(
      index,
      fieldIssues(event.error, (path) => [index, type, path].filter((p) => p !== '').join('.')),
      type,
      idempotencyKey,
    );
  const draft = actionNetworkSignup(type, event.data, `${index}.${type}`);
  if (draft.body.email === undefined)
    return { result: { ...base, type, status: 'ignored', reason: 'the person has no email address' } };
  const signup = validateSignupDraft(draft);
  if (!signup.success) return rejected(index, signup.issues, type, idempotencyKey);
  return { result: { ...base, type, status: 'started' }, signup: signup.signup, statuses: draft.statuses ?? [] };
}

/** Elements that start nothing, logged one line each by reason and field paths: no value, so no personal data. */
function logUnstarted(log: FastifyBaseLogger, results: ActionNetworkEventResult[]): void {
  for (const r of results) {
    if (r.status !== 'rejected' && r.status !== 'ignored' && r.status !== 'duplicate') continue;
    log.warn(
      {
        source: 'action_network',
        index: r.index,
        type: r.type,
        status: r.status,
        reason: r.reason,
        ...(r.issues ? { fields: r.issues.map((i) => `${i.path}: ${i.message}`) } : {}),
      },
      'action network event not started',
    );
  }
}

/**
 * `POST /v1/webhooks/action-network/:secret`: an Action Network delivery, a JSON array of OSDI-flavoured events.
 *
 * Authenticity: Action Network signs nothing, so the webhook URL carries a secret path segment, compared in
 * constant time with `$ACTION_NETWORK_WEBHOOK_SECRET`.
 *
 * Each element with a person (`osdi:submission`, `osdi:signature`, `osdi:attendance`, `osdi:donation`,
 * `osdi:outreach`, `action_network:action`, `action_network:upload`) starts (or finds) that person's enrichment;
 * others are `ignored`. Each element is handled on its own: one that cannot be read is answered `rejected` with its
 * issues (index and field paths) and logged by reason, and the good ones of the same delivery still start; a bad
 * element would never heal, so redelivering it would not help. A person whose email Action Network marks
 * `unsubscribed`, `bouncing` or `spam complaints` is `suppressed`: the opt-out is recorded, nothing starts. 202 with
 * one result per element once Temporal acknowledged every start; else 503 + Retry-After, and the redelivery finds
 * what did start (`existing`). Only a body that is not an array (of at most 1000) is a 400.
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

    const planned = body.data.map((element, index) => planElement(element, index));
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
      await withStartDeadline(
        deps,
        async (start) => {
          const settled = await Promise.allSettled(
            planned.map((plan) =>
              limit(async () => {
                if (!plan.signup) return;
                const started = await start(plan.signup, plan.statuses);
                plan.result.status = started.status;
                plan.result.workflowId = started.workflowId;
              }),
            ),
          );
          const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
          if (failed) throw failed.reason;
        },
        'action_network',
      );
    } catch (err) {
      return replyUnavailable(reply, req.log, err);
    }
    const results = planned.map((p) => p.result);
    logUnstarted(req.log, results);
    const count = (status: ActionNetworkEventResult['status']) => results.filter((r) => r.status === status).length;
    req.log.info(
      {
        source: 'action_network',
        events: results.length,
        started: count('started'),
        suppressed: count('suppressed'),
        rejected: count('rejected'),
      },
      'action network delivery accepted',
    );
    return reply.code(202).send({ results });
  });
}
