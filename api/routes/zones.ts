import type { FastifyInstance } from 'fastify';
import { defaultMapIndex, renderZoneReport } from '../../domain/zones/render.js';
import { ZoneElectionError } from '../../domain/zones/zone-counts.js';
import { ZONE_CONTENT_TYPES, ZONE_FORMATS } from '../../domain/zones/zone-export.js';
import { MAP_INDEXES, type MapIndex } from '../../domain/zones/zone-map.js';
import { apiActor, AUDIT_ACTOR_HEADER } from '../../store/audit-actors.js';
import { SegmentFilterError } from '../../store/segments.js';
import { loadAuditedZoneReport } from '../../store/zone-report.js';
import { parseZoneRequest, ZoneRequestError } from '../../store/zone-request.js';
import { ZoneLevelError } from '../../store/zones.js';
import type { ApiDeps } from '../api-deps.js';
import { requireApiToken } from '../api-token.js';

interface ZonesQuerystring {
  zone?: string;
  where?: string | string[];
  election?: string;
  elections?: string;
  minVoters?: string;
  party?: string;
  rank?: string;
  purpose?: string;
  format?: string;
  colorBy?: string;
}

/** `json`: the whole report and the map's points, which `enrich zones` renders with a boundaries file of its own. */
const API_FORMATS = [...ZONE_FORMATS, 'json'] as const;
type ApiZoneFormat = (typeof API_FORMATS)[number];

const isOneOf = <T extends string>(choices: readonly T[], value: string): value is T =>
  (choices as readonly string[]).includes(value);

/** A bad option or filter: the one-line message a 400 carries (and `issues` for filters, as segments give). */
function badRequest(err: unknown): { error: string; issues: unknown[] } | undefined {
  if (err instanceof SegmentFilterError) return { error: 'invalid segment filter', issues: err.issues };
  if (err instanceof ZoneRequestError || err instanceof ZoneElectionError || err instanceof ZoneLevelError)
    return { error: err.message, issues: [] };
  return undefined;
}

/**
 * `GET /v1/zones?zone=precinct&where=…&election=…&elections=N&minVoters=K&party=…&rank=…&format=csv|jsonl|html|json`:
 * the zone report of `enrich zones` (the HTML map here draws supporters' points; boundaries are the CLI's). For
 * `Bearer $API_TOKEN`; audited (who, purpose, zone level, filters, format, rows, and each supporter on the map).
 */
export function zonesRoutes(app: FastifyInstance, { config, db }: ApiDeps): void {
  app.get<{ Querystring: ZonesQuerystring }>('/v1/zones', async (req, reply) => {
    if (!requireApiToken(config, req, reply)) return reply;
    const format = req.query.format ?? 'csv';
    if (!isOneOf<ApiZoneFormat>(API_FORMATS, format))
      return reply.code(400).send({ error: `format must be one of ${API_FORMATS.join(', ')}`, issues: [] });
    const colorBy = req.query.colorBy;
    if (colorBy !== undefined && !isOneOf<MapIndex>(MAP_INDEXES, colorBy))
      return reply.code(400).send({ error: `colorBy must be one of ${MAP_INDEXES.join(', ')}`, issues: [] });
    const where = req.query.where === undefined ? [] : [req.query.where].flat();
    try {
      const request = parseZoneRequest({ ...req.query, where }, format === 'html' || format === 'json');
      const actor = apiActor(req.headers[AUDIT_ACTOR_HEADER]);
      const loaded = await loadAuditedZoneReport(db, request, { actor, format });
      if (format === 'json') return reply.type('application/json; charset=utf-8').send(loaded);
      const body = renderZoneReport(loaded.report, format, {
        points: loaded.points,
        index: colorBy ?? defaultMapIndex(loaded.report.rank),
        generatedAt: new Date().toISOString(),
      });
      return reply.type(ZONE_CONTENT_TYPES[format]).send(body);
    } catch (err) {
      const bad = badRequest(err);
      if (bad) return reply.code(400).send(bad);
      throw err;
    }
  });
}
