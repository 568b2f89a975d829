import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { EXPORT_PURPOSES, type ExportPurpose } from '../../domain/merge/restricted-fields.js';
import { parseSegment, SegmentFilterError, streamSegment } from '../../store/segments.js';
import { AUDIT_READ_ACTIONS, auditedRecords, insertAudit } from '../../store/audit.js';
import { apiActor, auditedFilters, AUDIT_ACTOR_HEADER } from '../../store/audit-actors.js';
import {
  encodeSegment,
  SEGMENT_CONTENT_TYPES,
  SEGMENT_FORMATS,
  type SegmentFormat,
} from '../../domain/osdi/segment-export.js';
import type { ApiDeps } from '../api-deps.js';
import { requireApiToken } from '../api-token.js';

interface SegmentsQuerystring {
  where?: string | string[];
  format?: string;
  purpose?: string;
}

const isOneOf = <T extends string>(choices: readonly T[], value: string): value is T =>
  (choices as readonly string[]).includes(value);

/**
 * `GET /v1/segments?where=…&where=…&format=csv|jsonl|osdi&purpose=outreach|research`: the contacts matching every
 * `where` (the filter language of `enrich segment`), streamed in constant memory. A bad filter is a 400 naming each
 * bad expression before anything is streamed. For `Bearer $API_TOKEN`. Every export is audited before its first row
 * (who, the filters, the format, the purpose), then the key of every contact handed out and the count once it ends.
 */
export function segmentsRoutes(app: FastifyInstance, { config, db }: ApiDeps): void {
  app.get<{ Querystring: SegmentsQuerystring }>('/v1/segments', async (req, reply) => {
    if (!requireApiToken(config, req, reply)) return reply;
    const format = req.query.format ?? 'csv';
    const purpose = req.query.purpose ?? 'outreach';
    if (!isOneOf<SegmentFormat>(SEGMENT_FORMATS, format)) {
      return reply.code(400).send({ error: `format must be one of ${SEGMENT_FORMATS.join(', ')}`, issues: [] });
    }
    if (!isOneOf<ExportPurpose>(EXPORT_PURPOSES, purpose)) {
      return reply.code(400).send({ error: `purpose must be one of ${EXPORT_PURPOSES.join(', ')}`, issues: [] });
    }
    const where = req.query.where === undefined ? [] : [req.query.where].flat();
    let query;
    try {
      query = parseSegment(where, purpose);
    } catch (err) {
      if (!(err instanceof SegmentFilterError)) throw err;
      return reply.code(400).send({ error: 'invalid segment filter', issues: err.issues });
    }
    const auditId = await insertAudit(db, {
      actor: apiActor(req.headers[AUDIT_ACTOR_HEADER]),
      action: AUDIT_READ_ACTIONS.exportSegment,
      purpose,
      detail: { format, filters: auditedFilters(query.conditions), count: null, complete: false },
    });
    const body = Readable.from(encodeSegment(auditedRecords(db, auditId, streamSegment(db, query)), format, purpose));
    // Headers are sent already: a failure mid-stream can only cut the response short (the client sees it truncated).
    body.on('error', (err) => req.log.error({ err }, 'segment export failed mid-stream'));
    return reply.type(SEGMENT_CONTENT_TYPES[format]).send(body);
  });
}
