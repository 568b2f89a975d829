import type { FastifyInstance } from 'fastify';
import { findContactView } from '../../../store/contacts.js';
import { contactKeyFromRef } from '../../contact-key.js';
import type { ApiDeps } from '../api-deps.js';
import { bearerToken, secretsEqual } from '../secrets.js';

/** `GET /v1/contacts/:ref`: a contact's unified record by email, contact id or workflow id, for `Bearer $API_TOKEN`. */
export function contactsRoutes(app: FastifyInstance, { config, db }: ApiDeps): void {
  app.get<{ Params: { ref: string } }>('/v1/contacts/:ref', async (req, reply) => {
    const expected = config.api.apiToken;
    const given = bearerToken(req.headers.authorization);
    if (!(expected && given && secretsEqual(given, expected))) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or invalid API token' });
    }
    const key = contactKeyFromRef(req.params.ref, config.pseudonymKey);
    if (!key) return reply.code(400).send({ error: 'ref must be an email, a contact id or an enrich-contact workflow id' });
    const view = await findContactView(db, key);
    if (!view) return reply.code(404).send({ error: 'contact not found' });
    return reply.send(view);
  });
}
