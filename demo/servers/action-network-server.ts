/**
 * A local stand-in for Action Network's API v2 person signup helper (`POST /api/v2/people`), what
 * `enrich export --to actionnetwork` writes to: the real path, the `OSDI-API-Token` header, HAL+JSON answers, and
 * the helper's documented behaviour (docs/exports.md, "Writing back to Action Network"): people are matched on
 * email; a new person arriving without a status is subscribed, with `unsubscribed` is added unsubscribed; an
 * existing person's status changes only when `subscribed` or `unsubscribed` is sent. It keeps what it was sent, so a
 * test can read the people back.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createDemoApp, listenDemo } from './demo-server.js';
import type { DemoServer, ListenOptions } from './demo-server.js';

export interface ActionNetworkDemoOptions extends ListenOptions {
  /** The API key every request must carry in `OSDI-API-Token`. */
  apiKey: string;
}

/** One person as the demo holds it. */
export interface ActionNetworkDemoPerson {
  id: string;
  created_date: string;
  modified_date: string;
  person: Record<string, unknown> & { email_addresses: Array<{ address: string; status: string; primary?: boolean }> };
}

export interface ActionNetworkDemoServer extends DemoServer {
  /** Every person it holds, by lower-cased email. */
  people(): Map<string, ActionNetworkDemoPerson>;
}

const HAL = 'application/hal+json';

const SignupHelperSchema = z.object({
  person: z.looseObject({
    email_addresses: z
      .array(z.looseObject({ address: z.string().min(3), status: z.enum(['subscribed', 'unsubscribed']).optional() }))
      .min(1),
  }),
  add_tags: z.array(z.string()).optional(),
});

export async function startActionNetworkDemo(options: ActionNetworkDemoOptions): Promise<ActionNetworkDemoServer> {
  const demo = createDemoApp();
  const people = new Map<string, ActionNetworkDemoPerson>();
  demo.app.removeAllContentTypeParsers();
  demo.app.addContentTypeParser(['application/json', HAL], { parseAs: 'string' }, (_req, body: string, done) => {
    try {
      done(null, body ? JSON.parse(body) : undefined);
    } catch {
      done(Object.assign(new Error('invalid JSON'), { statusCode: 400 }), undefined);
    }
  });

  demo.app.post('/api/v2/people', async (request, reply) => {
    if (request.headers['osdi-api-token'] !== options.apiKey)
      return reply.code(401).type(HAL).send({ error: 'API Key invalid or not present' });
    const body = SignupHelperSchema.safeParse(request.body);
    if (!body.success) return reply.code(400).type(HAL).send({ error: 'You must specify an email address' });
    const sent = body.data.person;
    const email = sent.email_addresses[0]!;
    const key = email.address.trim().toLowerCase();
    const now = new Date().toISOString();
    const existing = people.get(key);
    const status = existing
      ? (email.status ?? existing.person.email_addresses[0]!.status)
      : (email.status ?? 'subscribed');
    const stored: ActionNetworkDemoPerson = {
      id: existing?.id ?? randomUUID(),
      created_date: existing?.created_date ?? now,
      modified_date: now,
      person: { ...existing?.person, ...sent, email_addresses: [{ address: email.address, primary: true, status }] },
    };
    people.set(key, stored);
    const self = `${request.protocol}://${request.host}/api/v2/people/${stored.id}`;
    return reply
      .code(200)
      .type(HAL)
      .send({
        identifiers: [`action_network:${stored.id}`],
        created_date: stored.created_date,
        modified_date: stored.modified_date,
        ...stored.person,
        _links: { self: { href: self } },
      });
  });

  const server = await listenDemo(demo, options, { basePath: '/api/v2', resetFaults: () => undefined });
  return { ...server, people: () => people };
}
