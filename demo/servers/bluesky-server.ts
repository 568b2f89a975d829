/**
 * A local stand-in for the Bluesky public AppView's `GET /xrpc/app.bsky.actor.getProfile?actor=`, answering
 * from demo entries with the real path, status codes (400, not 404, for an unknown actor), headers and JSON
 * shapes (docs/provider-apis.md, "Bluesky").
 */
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { createDemoApp, listenDemo, sendAnswer } from './demo-server.js';
import type { DemoAnswer, DemoServer, ListenOptions } from './demo-server.js';
import {
  BAIT_URLS,
  FaultCounter,
  FaultSchema,
  activeFault,
  answerWithFault,
  epochSecondsFromNow,
  truncateJson,
  withLoneSurrogate,
  withNul,
} from './faults.js';
import type { Fault, FaultDialect } from './faults.js';
import { RateWindow } from './rate-window.js';
import { parseOrThrow } from './zod-issues.js';

export interface BlueskyDemoEntry {
  /** The handle, e.g. `priya.example.com`. */
  actor: string;
  /** The account's DID; the profile's own `did` is used when absent. Either makes the entry findable by DID. */
  did?: string | undefined;
  /** The profileViewDetailed JSON served for it; absent = 400 `Profile not found`. */
  profile?: object | undefined;
  fault?: Fault | undefined;
}

export interface BlueskyDemoOptions extends ListenOptions {
  entries: BlueskyDemoEntry[];
}

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const BlueskyDemoEntrySchema = z.object({
  actor: z.string().min(1),
  did: z.string().startsWith('did:').optional(),
  profile: z.looseObject({}).optional(),
  fault: FaultSchema.optional(),
});

/**
 * The atproto rate limiter's headers. The AppView's real budget is unpublished; this is the PDS default
 * (3,000 per 5 minutes), used only to fill the headers.
 */
const RATE_LIMIT = 3000;
const RATE_WINDOW_SECONDS = 300;
const RATE_POLICY = `${RATE_LIMIT};w=${RATE_WINDOW_SECONDS}`;
const CONTENT_TYPE = 'application/json; charset=utf-8';

const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$/;
const HANDLE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

interface IndexedEntry {
  /** Lower-cased handle: the fault-counter key shared by handle and DID lookups. */
  key: string;
  entry: BlueskyDemoEntry;
}

interface BlueskyContext {
  index: Map<string, IndexedEntry>;
  counter: FaultCounter;
  budget: RateWindow;
}

/** Starts the demo Bluesky AppView; its `url` is the server root, like `https://public.api.bsky.app`. */
export async function startBlueskyDemo(opts: BlueskyDemoOptions): Promise<DemoServer> {
  const ctx: BlueskyContext = {
    index: indexEntries(opts.entries),
    counter: new FaultCounter(),
    budget: new RateWindow(RATE_LIMIT, RATE_WINDOW_SECONDS),
  };
  const demo = createDemoApp();
  demo.app.get<{ Querystring: { actor?: string | string[] } }>('/xrpc/app.bsky.actor.getProfile', (request, reply) =>
    answerProfile(ctx, request.query.actor, reply),
  );
  demo.app.setNotFoundHandler((_request, reply) =>
    send(
      reply,
      withRateHeaders(ctx, {
        status: 501,
        body: JSON.stringify({ error: 'MethodNotImplemented', message: 'Method Not Implemented' }),
      }),
    ),
  );
  return listenDemo(demo, opts, { basePath: '', resetFaults: () => ctx.counter.reset() });
}

/** Indexes entries by lower-cased handle and by DID (from the entry, else from its profile). */
function indexEntries(entries: BlueskyDemoEntry[]): Map<string, IndexedEntry> {
  const valid = parseOrThrow(z.array(BlueskyDemoEntrySchema), entries, 'startBlueskyDemo: invalid entries');
  const index = new Map<string, IndexedEntry>();
  const add = (key: string, indexed: IndexedEntry, i: number) => {
    if (index.has(key)) throw new Error(`startBlueskyDemo: [${i}]: duplicate actor ${key}`);
    index.set(key, indexed);
  };
  entries.forEach((raw, i) => {
    const parsed = valid[i];
    if (parsed === undefined) return;
    // Serve the profile object as given: a parsed copy need not keep its key order.
    const entry: BlueskyDemoEntry = { ...parsed, profile: raw.profile };
    const indexed: IndexedEntry = { key: entry.actor.toLowerCase(), entry };
    add(indexed.key, indexed, i);
    const did = entry.did ?? profileDid(entry.profile);
    if (did !== undefined) add(did, indexed, i);
  });
  return index;
}

function profileDid(profile: object | undefined): string | undefined {
  const did = (profile as { did?: unknown } | undefined)?.did;
  return typeof did === 'string' ? did : undefined;
}

async function answerProfile(
  ctx: BlueskyContext,
  actorParam: string | string[] | undefined,
  reply: FastifyReply,
): Promise<FastifyReply> {
  // XRPC validates parameters before anything else; a repeated scalar parameter is invalid too.
  if (actorParam === undefined)
    return send(reply, withRateHeaders(ctx, invalidRequest('Error: Params must have the property "actor"')));
  const actor = Array.isArray(actorParam) ? undefined : actorParam;
  if (actor === undefined || !(DID.test(actor) || HANDLE.test(actor))) {
    return send(reply, withRateHeaders(ctx, invalidRequest('Error: actor must be a valid did or a handle')));
  }
  const found = ctx.index.get(actor.startsWith('did:') ? actor : actor.toLowerCase());
  const fault = found && activeFault(found.entry.fault, ctx.counter.next(found.key));
  const answer = await answerWithFault(fault, () => normalAnswer(found), faultDialect(found));
  return send(reply, withRateHeaders(ctx, answer));
}

function send(reply: FastifyReply, answer: DemoAnswer): FastifyReply {
  return sendAnswer(reply, answer, CONTENT_TYPE);
}

function normalAnswer(found: IndexedEntry | undefined): DemoAnswer {
  const profile = found?.entry.profile;
  if (profile === undefined) return invalidRequest('Profile not found');
  return { status: 200, body: JSON.stringify(profile) };
}

function invalidRequest(message: string): DemoAnswer {
  return { status: 400, body: JSON.stringify({ error: 'InvalidRequest', message }) };
}

/** Only used when a fault fires, and faults only exist on known entries, so `found` is set. */
function faultDialect(found: IndexedEntry | undefined): FaultDialect<DemoAnswer> {
  // A body fault on an entry without a profile still needs something profile-shaped to break.
  const base = found?.entry.profile ?? {
    did: found?.entry.did ?? 'did:plc:demo',
    handle: found?.key ?? 'demo.example.org',
  };
  return {
    rateLimited,
    serverError: () => ({
      status: 500,
      body: JSON.stringify({ error: 'InternalServerError', message: 'Internal Server Error' }),
    }),
    // Valid JSON, wrong types: only a client that validates the schema notices.
    malformed: () => ({ status: 200, body: JSON.stringify({ ...base, did: 42, handle: null, labels: 'none' }) }),
    truncated: () => ({ status: 200, body: truncateJson(JSON.stringify(base)) }),
    oversized: (filler) => ({ status: 200, body: JSON.stringify({ ...base, description: filler }) }),
    hostileText: () => ({ status: 200, body: JSON.stringify(withHostileText(base as Json)) }),
    // The avatar and banner are CDN links in a real profile; here they point inside.
    baitUrls: () => ({
      status: 200,
      body: JSON.stringify({ ...base, avatar: BAIT_URLS.private, banner: BAIT_URLS.metadata }),
    }),
  };
}

type Json = Record<string, unknown>;
const textOr = (value: unknown, change: (text: string) => string) =>
  typeof value === 'string' ? change(value) : value;

/** A NUL after the display name, a lone surrogate before the description. */
function withHostileText(profile: Json): Json {
  return {
    ...profile,
    displayName: textOr(profile['displayName'], withNul),
    description: textOr(profile['description'], withLoneSurrogate),
  };
}

/** The atproto limiter's over-limit reply: the wait is in `RateLimit-Reset` (epoch seconds), no Retry-After. */
function rateLimited(resetSeconds: number): DemoAnswer {
  return {
    status: 429,
    body: JSON.stringify({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' }),
    headers: { 'RateLimit-Remaining': 0, 'RateLimit-Reset': epochSecondsFromNow(resetSeconds) },
  };
}

/** Every reply carries the four headers; a fault's own values win. */
function withRateHeaders(ctx: BlueskyContext, answer: DemoAnswer): DemoAnswer {
  const budget = ctx.budget.take();
  return {
    ...answer,
    headers: {
      'RateLimit-Limit': budget.limit,
      'RateLimit-Remaining': budget.remaining,
      'RateLimit-Reset': budget.reset,
      'RateLimit-Policy': RATE_POLICY,
      ...answer.headers,
    },
  };
}
