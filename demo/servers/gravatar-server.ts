/**
 * A local stand-in for the Gravatar profiles API v3 (`GET /v3/profiles/{identifier}`),
 * answering from demo entries with the real paths, status codes, headers and
 * JSON shapes (docs/provider-apis.md, "Gravatar").
 */
import { createHash } from 'node:crypto';
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

export interface GravatarDemoEntry {
  email: string;
  /** The v3 profile JSON served for this email; absent = 404. */
  profile?: object | undefined;
  fault?: Fault | undefined;
}

export interface GravatarDemoOptions extends ListenOptions {
  entries: GravatarDemoEntry[];
}

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const GravatarDemoEntrySchema = z.object({
  email: z.string().min(1),
  profile: z.looseObject({}).optional(),
  fault: FaultSchema.optional(),
});

/** The keyed (authenticated) budget; the header is the same with or without a key, as the brief fixes it. */
const RATE_LIMIT_PER_HOUR = 1000;
const CONTENT_TYPE = 'application/json';

/** Gravatar's identifier: SHA-256 hex of the trimmed, lowercased email (never MD5 in v3). */
export function gravatarHash(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

interface IndexedEntry {
  hash: string;
  entry: GravatarDemoEntry;
}

interface GravatarContext {
  index: Map<string, IndexedEntry>;
  counter: FaultCounter;
  budget: RateWindow;
}

/** Starts the demo Gravatar server; its `url` ends in `/v3` like `https://api.gravatar.com/v3`. */
export async function startGravatarDemo(opts: GravatarDemoOptions): Promise<DemoServer> {
  const ctx: GravatarContext = {
    index: indexEntries(opts.entries),
    counter: new FaultCounter(),
    // An enforced limit is also what the headers announce, as a real provider's would.
    budget: opts.limit
      ? new RateWindow(opts.limit.max, opts.limit.windowMs / 1000)
      : new RateWindow(RATE_LIMIT_PER_HOUR, 3600),
  };
  const demo = createDemoApp();
  demo.app.get<{ Params: { identifier: string } }>('/v3/profiles/:identifier', (request, reply) =>
    answerProfile(ctx, request.params.identifier, reply),
  );
  demo.app.setNotFoundHandler((_request, reply) => sendAnswer(reply, withRateHeaders(ctx, notFound()), CONTENT_TYPE));
  return listenDemo(demo, opts, { basePath: '/v3', resetFaults: () => ctx.counter.reset() });
}

/**
 * Indexes entries by email hash and, like the real API, by the profile URL
 * slug (`https://gravatar.com/danaruiz` → `danaruiz`).
 */
function indexEntries(entries: GravatarDemoEntry[]): Map<string, IndexedEntry> {
  const index = new Map<string, IndexedEntry>();
  const valid = parseOrThrow(z.array(GravatarDemoEntrySchema), entries, 'startGravatarDemo: invalid entries');
  entries.forEach((raw, i) => {
    const parsed = valid[i];
    if (parsed === undefined) return;
    // Serve the profile object as given: a parsed copy need not keep its key order.
    const entry: GravatarDemoEntry = { ...parsed, profile: raw.profile };
    const indexed: IndexedEntry = { hash: gravatarHash(entry.email), entry };
    index.set(indexed.hash, indexed);
    const slug = profileSlug(entry.profile);
    if (slug !== undefined && !index.has(slug)) index.set(slug, indexed);
  });
  return index;
}

const ProfileUrlSchema = z.looseObject({ profile_url: z.string() });

function profileSlug(profile: object | undefined): string | undefined {
  const parsed = ProfileUrlSchema.safeParse(profile);
  if (!parsed.success) return undefined;
  const slug = parsed.data.profile_url.split('/').filter(Boolean).pop();
  return slug?.toLowerCase();
}

async function answerProfile(ctx: GravatarContext, identifier: string, reply: FastifyReply): Promise<FastifyReply> {
  const found = ctx.index.get(identifier.toLowerCase());
  const fault = found && activeFault(found.entry.fault, ctx.counter.next(found.hash));
  const answer = await answerWithFault(fault, () => normalAnswer(found), faultDialect(found));
  return sendAnswer(reply, withRateHeaders(ctx, answer), CONTENT_TYPE);
}

function normalAnswer(found: IndexedEntry | undefined): DemoAnswer {
  const profile = found?.entry.profile;
  if (profile === undefined) return notFound();
  return { status: 200, body: JSON.stringify(profile) };
}

function notFound(): DemoAnswer {
  return { status: 404, body: JSON.stringify({ error: 'Profile not found', code: 'not_found' }) };
}

/** Only used when a fault fires, and faults only exist on known entries, so `found` is set. */
function faultDialect(found: IndexedEntry | undefined): FaultDialect<DemoAnswer> {
  // A body fault on an entry without a profile still needs something profile-shaped to break.
  const base = found?.entry.profile ?? { hash: found?.hash ?? '' };
  return {
    rateLimited,
    serverError: () => ({
      status: 500,
      body: JSON.stringify({ error: 'Internal Server Error', code: 'internal_error' }),
    }),
    // Valid JSON, wrong types: only a client that validates the schema notices.
    malformed: () => ({
      status: 200,
      body: JSON.stringify({ hash: 42, display_name: ['x'], verified_accounts: 'none' }),
    }),
    truncated: () => ({ status: 200, body: truncateJson(JSON.stringify(base)) }),
    oversized: (filler) => ({ status: 200, body: JSON.stringify({ ...base, description: filler }) }),
    hostileText: () => ({ status: 200, body: JSON.stringify(withHostileText(base as Json)) }),
    baitUrls: () => ({ status: 200, body: JSON.stringify(withBaitUrls(base as Json)) }),
  };
}

type Json = Record<string, unknown>;
const textOr = (value: unknown, change: (text: string) => string) =>
  typeof value === 'string' ? change(value) : value;

/** A NUL after the display name and the job title, a lone surrogate before the description. */
function withHostileText(profile: Json): Json {
  return {
    ...profile,
    display_name: textOr(profile['display_name'], withNul),
    job_title: textOr(profile['job_title'], withNul),
    description: textOr(profile['description'], withLoneSurrogate),
  };
}

/** The profile, avatar, verified-account and link URLs pointed at internal addresses. */
function withBaitUrls(profile: Json): Json {
  const list = (value: unknown, url: string) =>
    Array.isArray(value) ? value.map((item: Json) => ({ ...item, url })) : value;
  return {
    ...profile,
    profile_url: BAIT_URLS.metadata,
    avatar_url: BAIT_URLS.private,
    verified_accounts: list(profile['verified_accounts'], BAIT_URLS.loopback),
    links: list(profile['links'], BAIT_URLS.internal),
  };
}

/** Gravatar documents no Retry-After: the wait is only in `X-RateLimit-Reset` (epoch seconds). */
function rateLimited(resetSeconds: number): DemoAnswer {
  return {
    status: 429,
    body: JSON.stringify({ error: 'Rate limit exceeded', code: 'rate_limit_exceeded' }),
    headers: { 'X-RateLimit-Remaining': 0, 'X-RateLimit-Reset': epochSecondsFromNow(resetSeconds) },
  };
}

/** Every reply (200, 404, 429, …) carries the three headers; a fault's own values win. */
function withRateHeaders(ctx: GravatarContext, answer: DemoAnswer): DemoAnswer {
  const budget = ctx.budget.take();
  return {
    ...answer,
    headers: {
      'X-RateLimit-Limit': budget.limit,
      'X-RateLimit-Remaining': budget.remaining,
      'X-RateLimit-Reset': budget.reset,
      ...answer.headers,
    },
  };
}
