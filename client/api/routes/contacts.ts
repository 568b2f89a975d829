import type { FastifyInstance } from 'fastify';
import { findContactView } from '../../../store/contacts.js';
import { listFailedLookups } from '../../../store/lookups.js';
import { contactKeyFromRef } from '../../contact-key.js';
import type { ApiDeps } from '../api-deps.js';
import { requireApiToken } from '../api-token.js';

/**
 * `GET /v1/contacts/:ref`: a contact's unified record by email, contact id or workflow id; `GET /v1/flagged`:
 * every failed lookup, oldest first. Both for `Bearer $API_TOKEN`.
 */
export function contactsRoutes(app: FastifyInstance, { config, db }: ApiDeps): void {
  app.get<{ Params: { ref: string } }>('/v1/contacts/:ref', async (req, reply) => {
    if (!requireApiToken(config, req, reply)) return reply;
    const key = contactKeyFromRef(req.params.ref, config.pseudonymKey);
    if (!key) return reply.code(400).send({ error: 'ref must be an email, a contact id or an enrich-contact workflow id' });
    const view = await findContactView(db, key);
    if (!view) return reply.code(404).send({ error: 'contact not found' });
    return reply.send(view);
  });

  app.get('/v1/flagged', async (req, reply) => {
    if (!requireApiToken(config, req, reply)) return reply;
    return reply.send({ lookups: await listFailedLookups(db) });
  });
}
