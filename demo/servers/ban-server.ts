/**
 * A local stand-in for the French Base Adresse Nationale geocoder as IGN's Géoplateforme serves it
 * (`GET /geocodage/search?q=&index=address`), answering from demo entries with the real path, parameters, status
 * codes and GeoCodeJSON shape, and the gateway's HTML 429 (docs/provider-apis.md, "BAN").
 */
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { addressKey } from './census-server.js';
import { createDemoApp, listenDemo, sendAnswer } from './demo-server.js';
import type { DemoAnswer, DemoServer, ListenOptions } from './demo-server.js';
import {
  FaultCounter,
  FaultSchema,
  activeFault,
  answerWithFault,
  truncateJson,
  withLoneSurrogate,
  withNul,
} from './faults.js';
import type { Fault } from './faults.js';
import { parseOrThrow } from './zod-issues.js';

export interface BanDemoEntry {
  /** The query as a client sends it, e.g. `14 rue Paul Bert 69003 Lyon`; matched ignoring case, accents, punctuation and word order. */
  q: string;
  /** GeoCodeJSON features for that query, best first; `[]` = nothing found. */
  features: object[];
  fault?: Fault | undefined;
}

export interface BanDemoOptions extends ListenOptions {
  entries: BanDemoEntry[];
}

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const BanDemoEntrySchema = z.object({
  q: z.string().min(1),
  features: z.array(z.looseObject({ properties: z.looseObject({}).optional() })),
  fault: FaultSchema.optional(),
});

const CONTENT_TYPE = 'application/json; charset=utf-8';
const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 50;
/** Filters the API applies to feature properties of the same name. */
const PROPERTY_FILTERS = ['postcode', 'citycode', 'type'] as const;

interface KnownQuery {
  key: string;
  features: object[];
  fault: Fault | undefined;
}

interface BanContext {
  queries: Map<string, KnownQuery>;
  counter: FaultCounter;
}

type Params = Record<string, string | string[] | undefined>;

/** The service's path under the host, as in `https://data.geopf.fr/geocodage`. */
export const BAN_BASE_PATH = '/geocodage';
/** The indexes the Géoplateforme searches: BAN addresses, places (BD TOPO), cadastral parcels. */
const INDEXES = ['address', 'poi', 'parcel'];

/** Starts the demo BAN server; its `url` is the service root, like `https://data.geopf.fr/geocodage`. */
export async function startBanDemo(opts: BanDemoOptions): Promise<DemoServer> {
  const ctx: BanContext = { queries: indexQueries(opts.entries), counter: new FaultCounter() };
  const demo = createDemoApp();
  demo.app.get<{ Querystring: Params }>(`${BAN_BASE_PATH}/search`, (request, reply) =>
    answerSearch(ctx, request.query, reply),
  );
  demo.app.setNotFoundHandler((_request, reply) =>
    send(reply, { status: 404, body: JSON.stringify({ code: 404, message: 'Not Found' }) }),
  );
  return listenDemo(demo, opts, { basePath: BAN_BASE_PATH, resetFaults: () => ctx.counter.reset() });
}

/**
 * The gateway's over-limit answer: an HTML page, not JSON (geoservices.ign.fr, "Limite d'usage"), with a
 * Retry-After when the fault names a wait.
 */
export function banRateLimited(resetSeconds: number): DemoAnswer & { contentType: string } {
  return {
    status: 429,
    contentType: 'text/html; charset=utf-8',
    body: '<html><head><title>429 Too Many Requests</title></head><body><h1>Erreur 429</h1><p>Trop de requêtes.</p></body></html>',
    headers: { 'Retry-After': resetSeconds },
  };
}

function indexQueries(entries: BanDemoEntry[]): Map<string, KnownQuery> {
  const valid = parseOrThrow(z.array(BanDemoEntrySchema), entries, 'startBanDemo: invalid entries');
  const queries = new Map<string, KnownQuery>();
  entries.forEach((raw, i) => {
    const key = addressKey(raw.q);
    if (!queries.has(key)) queries.set(key, { key, features: raw.features, fault: valid[i]?.fault });
  });
  return queries;
}

function first(params: Params, name: string): string | undefined {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(reply: FastifyReply, answer: DemoAnswer & { contentType?: string }): FastifyReply {
  return sendAnswer(reply, answer, answer.contentType ?? CONTENT_TYPE);
}

async function answerSearch(ctx: BanContext, params: Params, reply: FastifyReply): Promise<FastifyReply> {
  const q = first(params, 'q')?.trim() ?? '';
  // addok's own checks, with its wording.
  if (q.length < 3 || q.length > 200 || !/^[\p{L}\p{N}]/u.test(q)) {
    return send(reply, badRequest('q must contain between 3 and 200 chars and start with a number or a letter'));
  }
  const limitText = first(params, 'limit');
  if (
    limitText !== undefined &&
    !(/^\d+$/.test(limitText) && Number(limitText) >= 1 && Number(limitText) <= MAX_LIMIT)
  ) {
    return send(reply, badRequest(`limit must be an integer between 1 and ${MAX_LIMIT}`));
  }
  const index = first(params, 'index');
  if (index !== undefined && !index.split(',').every((name) => INDEXES.includes(name.trim()))) {
    return send(reply, badRequest(`index must be one of ${INDEXES.join(', ')}`));
  }
  const limit = Number(limitText ?? DEFAULT_LIMIT);
  const filters = Object.fromEntries(
    PROPERTY_FILTERS.flatMap((name) => {
      const value = first(params, name)?.trim();
      return value ? [[name, value]] : [];
    }),
  );

  const entry = ctx.queries.get(addressKey(q));
  const fault = entry && activeFault(entry.fault, ctx.counter.next(entry.key));
  const features = (entry?.features ?? [])
    .filter((feature) => Object.entries(filters).every(([name, value]) => propertyOf(feature, name) === value))
    .slice(0, limit);
  const body = (list: unknown[]) => JSON.stringify(collection(q, limit, filters, list));
  const answer = await answerWithFault<DemoAnswer & { contentType?: string }>(
    fault,
    () => ({ status: 200, body: body(features) }),
    {
      // Over 50 requests a second per IP: the gateway's HTML page.
      rateLimited: banRateLimited,
      serverError: () => ({ status: 502, body: JSON.stringify({ code: 502, message: 'Bad Gateway' }) }),
      // Valid JSON, wrong types: only a client that validates the schema notices.
      malformed: () => ({
        status: 200,
        body: body([
          { type: 'Feature', geometry: { type: 'Point', coordinates: '4.85,45.76' }, properties: { score: 'high' } },
        ]),
      }),
      truncated: () => ({ status: 200, body: truncateJson(body(features)) }),
      oversized: (filler) => ({
        status: 200,
        body: body(
          features.map((feature) => ({ ...feature, properties: { ...propertiesOf(feature), label: filler } })),
        ),
      }),
      // The commune and the label as a bad import would leave them: a NUL, a lone surrogate.
      hostileText: () => ({
        status: 200,
        body: body(features.map((feature) => ({ ...feature, properties: withHostileText(propertiesOf(feature)) }))),
      }),
    },
  );
  return send(reply, answer);
}

function withHostileText(properties: Record<string, unknown>): Record<string, unknown> {
  const { city, label } = properties;
  return {
    ...properties,
    ...(typeof city === 'string' ? { city: withNul(city) } : {}),
    ...(typeof label === 'string' ? { label: withLoneSurrogate(label) } : {}),
  };
}

function propertiesOf(feature: object): Record<string, unknown> {
  const properties = (feature as { properties?: unknown }).properties;
  return typeof properties === 'object' && properties !== null ? (properties as Record<string, unknown>) : {};
}

function propertyOf(feature: object, name: string): string | undefined {
  const value = propertiesOf(feature)[name];
  return typeof value === 'string' ? value : undefined;
}

/** The GeoCodeJSON envelope (`version: "draft"`), with the query and filters echoed as the API does. */
function collection(q: string, limit: number, filters: Record<string, string>, features: unknown[]): object {
  return {
    type: 'FeatureCollection',
    version: 'draft',
    features,
    attribution: 'BAN',
    licence: 'ETALAB-2.0',
    query: q,
    ...(Object.keys(filters).length > 0 ? { filters } : {}),
    limit,
  };
}

function badRequest(message: string): DemoAnswer {
  return { status: 400, body: JSON.stringify({ code: 400, message }) };
}
