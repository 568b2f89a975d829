import type { FastifyInstance } from 'fastify';
import { findContactView } from '../../store/contacts.js';
import { AUDIT_READ_ACTIONS, insertAudit } from '../../store/audit.js';
import { apiActor, auditPurpose, AUDIT_ACTOR_HEADER } from '../../store/audit-actors.js';
import { listFailedLookups } from '../../store/lookups.js';
import { contactKeyFromRef } from '../../domain/contact-key.js';
import { contactViewAsOsdi } from '../../domain/osdi/osdi-person.js';
import type { ApiDeps } from '../api-deps.js';
import { requireApiToken } from '../api-token.js';
import { startPrivacyRequest } from '../../client/privacy-requests.js';
import { replyUnavailable } from '../start-acknowledged.js';

/**
 * `GET /v1/contacts/:ref`: a contact's unified record by email, contact id or workflow id (`?format=osdi`: as an
 * OSDI 1.2 person, FEC data left out; `?purpose=`: why it is read, for the audit log); `GET /v1/flagged`: every
 * failed lookup, oldest first. Both for `Bearer $API_TOKEN`. Every read of a record is audited (who, which contact
 * key, when, for what) before the record is sent; a read that finds nothing is audited too.
 */
export function contactsRoutes(app: FastifyInstance, { config, db, temporal }: ApiDeps): void {
  app.get<{ Params: { ref: string }; Querystring: { format?: string; purpose?: string } }>(
    '/v1/contacts/:ref',
    async (req, reply) => {
      if (!requireApiToken(config, req, reply)) return reply;
      const format = req.query.format ?? 'json';
      if (format !== 'json' && format !== 'osdi') return reply.code(400).send({ error: 'format must be json or osdi' });
      let purpose: string | undefined;
      try {
        purpose = auditPurpose(typeof req.query.purpose === 'string' ? req.query.purpose : undefined);
      } catch (err) {
        return reply.code(400).send({ error: (err as Error).message });
      }
      const key = contactKeyFromRef(req.params.ref, config.pseudonymKey);
      if (!key)
        return reply.code(400).send({ error: 'ref must be an email, a contact id or an enrich-contact workflow id' });
      const view = await findContactView(db, key);
      await insertAudit(db, {
        actor: apiActor(req.headers[AUDIT_ACTOR_HEADER]),
        action: AUDIT_READ_ACTIONS.readContact,
        subjectKey: key,
        purpose,
        detail: { format, found: view !== undefined },
      });
      if (!view) return reply.code(404).send({ error: 'contact not found' });
      if (format === 'osdi') return reply.type('application/hal+json; charset=utf-8').send(contactViewAsOsdi(view));
      return reply.send(view);
    },
  );

  // Erasure: 202 once Temporal has accepted the erasure workflow; its result is the receipt.
  app.delete<{ Params: { ref: string } }>('/v1/contacts/:ref', async (req, reply) => {
    if (!requireApiToken(config, req, reply)) return reply;
    const key = contactKeyFromRef(req.params.ref, config.pseudonymKey);
    if (!key)
      return reply.code(400).send({ error: 'ref must be an email, a contact id or an enrich-contact workflow id' });
    try {
      const workflowId = await temporal.connection.withDeadline(Date.now() + config.api.startTimeoutMs, () =>
        startPrivacyRequest(temporal, config, 'erase', key, 'api'),
      );
      return reply.code(202).send({ workflowId, status: 'erasing' });
    } catch (err) {
      return replyUnavailable(reply, req.log, err);
    }
  });

  app.get('/v1/flagged', async (req, reply) => {
    if (!requireApiToken(config, req, reply)) return reply;
    return reply.send({ lookups: await listFailedLookups(db) });
  });
}
