/**
 * A local stand-in for the US Census geocoder's one-line address search
 * (`GET /geocoder/geographies/onelineaddress` and `/geocoder/locations/onelineaddress`), answering from demo
 * entries with the real paths, parameters, status codes and JSON shapes, versioned layer names included
 * (docs/provider-apis.md, "US Census geocoder").
 */
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
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

export interface CensusDemoEntry {
  /** The address as a client sends it, e.g. `1187 Neil Ave, Columbus, OH 43201`. */
  address: string;
  /** `result.addressMatches` for that address, in the real shape; `[]` = the geocoder cannot place it. */
  addressMatches: object[];
  fault?: Fault | undefined;
}

export interface CensusDemoOptions extends ListenOptions {
  entries: CensusDemoEntry[];
}

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const CensusDemoEntrySchema = z.object({
  address: z.string().min(1),
  addressMatches: z.array(z.looseObject({})),
  fault: FaultSchema.optional(),
});

const CONTENT_TYPE = 'application/json';
/** The geocoder refuses longer one-line addresses. */
const MAX_ADDRESS_LENGTH = 100;

const BENCHMARK = {
  isDefault: true,
  benchmarkDescription: 'Public Address Ranges - Current Benchmark',
  id: '4',
  benchmarkName: 'Public_AR_Current',
};
const VINTAGE = {
  isDefault: true,
  id: '4',
  vintageName: 'Current_Current',
  vintageDescription: 'Current Vintage - Current Benchmark',
};

/**
 * An address reduced to its words, ignoring case, accents, punctuation and order, so
 * `1187 Neil Ave, Columbus, OH 43201` and `1187 NEIL AVE COLUMBUS OH 43201` are one address.
 */
export function addressKey(address: string): string {
  return address
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean)
    .sort()
    .join(' ');
}

interface Place {
  key: string;
  /** The matches exactly as given (a parsed copy need not keep key order). */
  addressMatches: object[];
  fault: Fault | undefined;
}

interface CensusContext {
  places: Map<string, Place>;
  counter: FaultCounter;
}

type ResultKind = 'geographies' | 'locations';
type Query = Record<string, string | string[] | undefined>;

/** Starts the demo Census geocoder; its `url` is the server root, like `https://geocoding.geo.census.gov`. */
export async function startCensusDemo(opts: CensusDemoOptions): Promise<DemoServer> {
  const ctx: CensusContext = { places: indexPlaces(opts.entries), counter: new FaultCounter() };
  const demo = createDemoApp();
  for (const returnType of ['geographies', 'locations'] as const) {
    demo.app.get<{ Querystring: Query }>(`/geocoder/${returnType}/onelineaddress`, (request, reply) =>
      answerOneLine(ctx, returnType, request.query, reply),
    );
  }
  demo.app.setNotFoundHandler((_request, reply) =>
    send(reply, { status: 404, body: JSON.stringify({ errors: ['Not Found'], status: '404' }) }),
  );
  return listenDemo(demo, opts, { basePath: '', resetFaults: () => ctx.counter.reset() });
}

function indexPlaces(entries: CensusDemoEntry[]): Map<string, Place> {
  const valid = parseOrThrow(z.array(CensusDemoEntrySchema), entries, 'startCensusDemo: invalid entries');
  const places = new Map<string, Place>();
  entries.forEach((raw, i) => {
    const key = addressKey(raw.address);
    if (!places.has(key)) places.set(key, { key, addressMatches: raw.addressMatches, fault: valid[i]?.fault });
  });
  return places;
}

function first(query: Query, name: string): string | undefined {
  const value = query[name];
  return Array.isArray(value) ? value[0] : value;
}

function send(reply: FastifyReply, answer: DemoAnswer): FastifyReply {
  return sendAnswer(reply, answer, CONTENT_TYPE);
}

async function answerOneLine(
  ctx: CensusContext,
  returnType: ResultKind,
  query: Query,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const address = first(query, 'address')?.trim() ?? '';
  const problems = validate(returnType, query, address);
  if (problems.length > 0) return send(reply, errors(400, problems));

  const place = ctx.places.get(addressKey(address));
  const fault = place && activeFault(place.fault, ctx.counter.next(place.key));
  const layers = requestedLayers(first(query, 'layers'));
  const matches = (place?.addressMatches ?? []).map((match) =>
    returnType === 'locations' ? withoutGeographies(match) : onlyLayers(match, layers),
  );
  const body = (addressMatches: unknown[]) => JSON.stringify(result(returnType, address, addressMatches));
  const answer = await answerWithFault<DemoAnswer>(fault, () => ({ status: 200, body: body(matches) }), {
    // The Census documents no limit; a 429 with Retry-After is how a gateway in front of it would refuse.
    rateLimited: (resetSeconds) => ({
      ...errors(429, ['Too many requests']),
      headers: { 'Retry-After': resetSeconds },
    }),
    serverError: () => errors(500, ['Internal Server Error']),
    // Valid JSON, wrong types: only a client that validates the schema notices.
    malformed: () => ({
      status: 200,
      body: body([{ matchedAddress: 7, coordinates: { x: 'west', y: null }, geographies: [] }]),
    }),
    truncated: () => ({ status: 200, body: truncateJson(body(matches)) }),
    oversized: (filler) => ({
      status: 200,
      body: body(matches.map((match) => ({ ...match, matchedAddress: filler }))),
    }),
    // The county's name is stored (location.districts.county); the matched address is not, but is text all the same.
    hostileText: () => ({ status: 200, body: body(matches.map(withHostileText)) }),
    // The same address matched twice, the second time across a district line: nothing tells the two apart.
    ambiguous: () => ({ status: 200, body: body(matches.flatMap((match) => [match, inOtherDistricts(match)])) }),
  });
  return send(reply, answer);
}

/**
 * The layers the geocoder answers without `layers`: its default set (States, Counties, Census Tracts and Census
 * Blocks, as recorded answers show it), no district among them.
 */
const DEFAULT_LAYER_SUFFIXES = ['States', 'Counties', 'Census Tracts', 'Census Blocks'];

/** `all`, the named layers (comma-separated, exact names), or undefined for the default set. */
function requestedLayers(layers: string | undefined): 'all' | string[] | undefined {
  const names = (layers ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) return undefined;
  return names.some((name) => name.toLowerCase() === 'all') ? 'all' : names;
}

/** The match with only the layers asked for: the named ones, every one for `all`, the default set for none. */
function onlyLayers(match: object, layers: 'all' | string[] | undefined): object {
  const { geographies, ...rest } = match as Json;
  if (layers === 'all' || geographies === null || typeof geographies !== 'object') return match;
  const wanted = (name: string) =>
    layers === undefined
      ? DEFAULT_LAYER_SUFFIXES.some((suffix) => name === suffix || name.endsWith(` ${suffix}`))
      : layers.includes(name);
  return {
    ...rest,
    geographies: Object.fromEntries(Object.entries(geographies as Json).filter(([name]) => wanted(name))),
  };
}

/** The geocoder's own refusals: an empty or long address, an unknown benchmark or vintage. */
function validate(returnType: ResultKind, query: Query, address: string): string[] {
  const problems: string[] = [];
  if (address === '' || address.length > MAX_ADDRESS_LENGTH)
    problems.push(`Address cannot be empty and cannot exceed ${MAX_ADDRESS_LENGTH} characters`);
  const benchmark = first(query, 'benchmark');
  if (benchmark === undefined) problems.push('Benchmark is required');
  else if (benchmark !== BENCHMARK.benchmarkName && benchmark !== BENCHMARK.id) problems.push('Invalid benchmark');
  if (returnType === 'geographies') {
    const vintage = first(query, 'vintage');
    if (vintage === undefined) problems.push('Vintage is required');
    else if (vintage !== VINTAGE.vintageName && vintage !== VINTAGE.id) problems.push('Invalid vintage');
  }
  // Without format=json the real geocoder answers an HTML page; the demo speaks JSON only.
  if (first(query, 'format') !== 'json') problems.push('The demo geocoder answers format=json only');
  return problems;
}

function result(returnType: ResultKind, address: string, addressMatches: unknown[]): object {
  const input =
    returnType === 'geographies'
      ? { address: { address }, benchmark: BENCHMARK, vintage: VINTAGE }
      : { address: { address }, benchmark: BENCHMARK };
  return { result: { input, addressMatches } };
}

type Json = Record<string, unknown>;

/** Each geography of the layers whose name ends with one of `suffixes`, passed through `change`. */
function mapLayers(match: object, suffixes: string[], change: (geography: Json) => Json): object {
  const { geographies, ...rest } = match as Json;
  if (geographies === null || typeof geographies !== 'object') return match;
  const changed = Object.fromEntries(
    Object.entries(geographies as Record<string, unknown>).map(([name, list]) => [
      name,
      suffixes.some((suffix) => name === suffix || name.endsWith(` ${suffix}`)) && Array.isArray(list)
        ? list.map((g) => change(g as Json))
        : list,
    ]),
  );
  return { ...rest, geographies: changed };
}

/** A NUL after the county's name, a lone surrogate before the matched address. */
function withHostileText(match: object): object {
  const m = match as Json;
  const hostile = mapLayers(match, ['Counties'], (g) =>
    typeof g['NAME'] === 'string' ? { ...g, NAME: withNul(g['NAME']) } : g,
  );
  return typeof m['matchedAddress'] === 'string'
    ? { ...hostile, matchedAddress: withLoneSurrogate(m['matchedAddress']) }
    : hostile;
}

/** `3903` → `3904`, `03` → `04`, `District 3` → `District 4`; `99` → `98`, so the width never changes. */
function nextNumber(text: string): string {
  return text.replace(/(\d+)(\D*)$/, (_all, digits: string, tail: string) => {
    const n = Number(digits);
    const next = String(n + 1).length > digits.length ? n - 1 : n + 1;
    return String(next).padStart(digits.length, '0') + tail;
  });
}

/** The district fields that name a district: its GEOID, code (`CD119`, `SLDU`, `SLDL`), BASENAME and NAME. */
const DISTRICT_KEY = /^(GEOID|BASENAME|NAME|CD\d+|SLD[UL])$/;

/** The same match one district over: another congressional and other legislative districts, a little further east. */
function inOtherDistricts(match: object): object {
  const moved = mapLayers(
    match,
    ['Congressional Districts', 'State Legislative Districts - Upper', 'State Legislative Districts - Lower'],
    (g) =>
      Object.fromEntries(
        Object.entries(g).map(([key, value]) => [
          key,
          DISTRICT_KEY.test(key) && typeof value === 'string' ? nextNumber(value) : value,
        ]),
      ),
  ) as Json;
  const coordinates = moved['coordinates'] as { x?: unknown; y?: unknown } | undefined;
  return typeof coordinates?.x === 'number'
    ? { ...moved, coordinates: { ...coordinates, x: coordinates.x + 0.002 } }
    : moved;
}

function withoutGeographies(match: object): object {
  const { geographies: _geographies, ...rest } = match as Record<string, unknown>;
  return rest;
}

function errors(status: number, messages: string[]): DemoAnswer {
  return { status, body: JSON.stringify({ errors: messages, status: String(status) }) };
}
