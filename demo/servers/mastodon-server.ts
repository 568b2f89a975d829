/**
 * A local stand-in for Mastodon's account lookup (`GET /api/v1/accounts/lookup?acct=`), answering from demo
 * entries with the real path, status codes, headers and JSON shapes (docs/provider-apis.md, "Mastodon").
 *
 * One server plays every instance: it knows each entry by its full address `user@host` and, like a server
 * asked about its own accounts, by the bare `user` when only one entry has that username.
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

export interface MastodonDemoEntry {
  /** The account's full address, `user@host`. */
  acct: string;
  /** The Account JSON served for it; absent = 404 `Record not found`. */
  account?: object | undefined;
  /**
   * The server that hosts the account when it is not the handle's domain (Mastodon's WEB_DOMAIN beside its
   * LOCAL_DOMAIN): asked by that name, the handle's domain redirects WebFinger there, and the API answers there.
   */
  webDomain?: string | undefined;
  fault?: Fault | undefined;
}

export interface MastodonDemoOptions extends ListenOptions {
  entries: MastodonDemoEntry[];
}

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const MastodonDemoEntrySchema = z.object({
  acct: z.string().regex(/^[^@\s]+@[^@\s]+$/, 'must be user@host'),
  account: z.looseObject({}).optional(),
  webDomain: z.string().min(1).optional(),
  fault: FaultSchema.optional(),
});

/** Mastodon's default for `/api/*`: 300 requests per 5 minutes per IP (rack_attack.rb). */
const RATE_LIMIT = 300;
const RATE_WINDOW_SECONDS = 300;
const CONTENT_TYPE = 'application/json; charset=utf-8';

interface MastodonContext {
  byAcct: Map<string, MastodonDemoEntry>;
  byUsername: Map<string, MastodonDemoEntry[]>;
  counter: FaultCounter;
  budget: RateWindow;
}

/** Starts the demo Mastodon server; its `url` is the server root, like `https://mastodon.social`. */
export async function startMastodonDemo(opts: MastodonDemoOptions): Promise<DemoServer> {
  const ctx: MastodonContext = {
    ...indexEntries(opts.entries),
    counter: new FaultCounter(),
    budget: new RateWindow(RATE_LIMIT, RATE_WINDOW_SECONDS),
  };
  const demo = createDemoApp();
  demo.app.get<{ Querystring: { acct?: string | string[] } }>('/api/v1/accounts/lookup', (request, reply) =>
    answerLookup(ctx, servedAcct(ctx, firstValue(request.query.acct), request.host), reply),
  );
  demo.app.get<{ Querystring: { resource?: string | string[] } }>('/.well-known/webfinger', (request, reply) =>
    answerWebfinger(
      ctx,
      firstValue(request.query.resource),
      { hostname: request.host, protocol: request.protocol, url: request.url },
      reply,
    ),
  );
  demo.app.setNotFoundHandler((_request, reply) => sendAnswer(reply, withRateHeaders(ctx, notFound()), CONTENT_TYPE));
  return listenDemo(demo, opts, { basePath: '', resetFaults: () => ctx.counter.reset() });
}

function indexEntries(entries: MastodonDemoEntry[]): Pick<MastodonContext, 'byAcct' | 'byUsername'> {
  const valid = parseOrThrow(z.array(MastodonDemoEntrySchema), entries, 'startMastodonDemo: invalid entries');
  const byAcct = new Map<string, MastodonDemoEntry>();
  const byUsername = new Map<string, MastodonDemoEntry[]>();
  entries.forEach((raw, i) => {
    const parsed = valid[i];
    if (parsed === undefined) return;
    // Serve the account object as given: a parsed copy need not keep its key order.
    const entry: MastodonDemoEntry = { ...parsed, acct: parsed.acct.toLowerCase(), account: raw.account };
    if (byAcct.has(entry.acct)) throw new Error(`startMastodonDemo: [${i}].acct: duplicate ${entry.acct}`);
    byAcct.set(entry.acct, entry);
    const username = entry.acct.split('@')[0]!;
    byUsername.set(username, [...(byUsername.get(username) ?? []), entry]);
  });
  return { byAcct, byUsername };
}

/** Fastify gives an array when `acct` is repeated; Rails uses the last, but any one will do for a demo. */
function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A request's host name without its port; undefined for an address (one server playing every instance). */
function namedHost(hostname: string): string | undefined {
  const name = hostname
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return /^[\d.]+$/.test(name) || name.includes(':') || name === 'localhost' ? undefined : name;
}

/** The host an entry's API answers on: its WEB_DOMAIN, else the handle's domain. */
const servingHost = (entry: MastodonDemoEntry) => (entry.webDomain ?? entry.acct.split('@')[1]!).toLowerCase();

/** Asked by name for a bare `user`, the account that server hosts (as `user@domain`); otherwise `acct` as given. */
function servedAcct(ctx: MastodonContext, acct: string | undefined, hostname: string): string | undefined {
  const host = namedHost(hostname);
  const wanted = acct?.trim().replace(/^@/, '').toLowerCase();
  if (host === undefined || !wanted || wanted.includes('@')) return acct;
  return (ctx.byUsername.get(wanted) ?? []).find((entry) => servingHost(entry) === host)?.acct ?? `${wanted}@${host}`;
}

/**
 * `/.well-known/webfinger?resource=acct:user@domain`: the JRD (subject, aliases, the profile page and the ActivityPub
 * `self` link on the hosting server), as Mastodon's WebfingerController answers; an unknown account is a bare 404.
 * Asked by the handle's domain for an account hosted on another (`webDomain`), a 301 to that server, as the
 * LOCAL_DOMAIN's web server is told to answer (same scheme and port here, so a test reaches the demo again).
 */
async function answerWebfinger(
  ctx: MastodonContext,
  resource: string | undefined,
  request: { hostname: string; protocol: string; url: string },
  reply: FastifyReply,
): Promise<FastifyReply> {
  const acct = /^acct:([^@\s]+@[^@\s]+)$/i.exec(resource?.trim() ?? '')?.[1]?.toLowerCase();
  if (acct === undefined) return reply.code(400).send();
  const entry =
    ctx.byAcct.get(acct) ?? [...ctx.byAcct.values()].find((e) => `${e.acct.split('@')[0]}@${servingHost(e)}` === acct);
  const host = namedHost(request.hostname);
  if (entry === undefined || entry.account === undefined) return reply.code(404).send();
  const domain = entry.acct.split('@')[1]!;
  const serving = servingHost(entry);
  if (host !== undefined && host !== serving) {
    if (host !== domain) return reply.code(404).send();
    const port = /:(\d+)$/.exec(request.hostname)?.[1];
    return reply
      .code(301)
      .header('location', `${request.protocol}://${serving}${port ? `:${port}` : ''}${request.url}`)
      .send();
  }
  const user = entry.acct.split('@')[0]!;
  const jrd = {
    subject: `acct:${entry.acct}`,
    aliases: [`https://${serving}/@${user}`, `https://${serving}/users/${user}`],
    links: [
      { rel: 'http://webfinger.net/rel/profile-page', type: 'text/html', href: `https://${serving}/@${user}` },
      { rel: 'self', type: 'application/activity+json', href: `https://${serving}/users/${user}` },
    ],
  };
  return reply.code(200).type('application/jrd+json; charset=utf-8').send(JSON.stringify(jrd));
}

function findEntry(ctx: MastodonContext, acct: string | undefined): MastodonDemoEntry | undefined {
  const wanted = acct?.trim().replace(/^@/, '').toLowerCase();
  if (!wanted) return undefined;
  if (wanted.includes('@')) return ctx.byAcct.get(wanted);
  const sameName = ctx.byUsername.get(wanted) ?? [];
  return sameName.length === 1 ? sameName[0] : undefined;
}

async function answerLookup(
  ctx: MastodonContext,
  acct: string | undefined,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const found = findEntry(ctx, acct);
  const fault = found && activeFault(found.fault, ctx.counter.next(found.acct));
  const answer = await answerWithFault(fault, () => normalAnswer(found), faultDialect(found));
  return sendAnswer(reply, withRateHeaders(ctx, answer), CONTENT_TYPE);
}

function normalAnswer(found: MastodonDemoEntry | undefined): DemoAnswer {
  if (found?.account === undefined) return notFound();
  return { status: 200, body: JSON.stringify(found.account) };
}

function notFound(): DemoAnswer {
  return { status: 404, body: JSON.stringify({ error: 'Record not found' }) };
}

/** Only used when a fault fires, and faults only exist on known entries, so `found` is set. */
function faultDialect(found: MastodonDemoEntry | undefined): FaultDialect<DemoAnswer> {
  const username = found?.acct.split('@')[0] ?? 'demo';
  // A body fault on an entry without an account still needs something account-shaped to break.
  const base = found?.account ?? { id: '1', username, acct: found?.acct ?? username };
  return {
    rateLimited,
    // What Mastodon's API answers when something behind it failed (Api::BaseController).
    serverError: () => ({ status: 503, body: JSON.stringify({ error: 'Remote data could not be fetched' }) }),
    // Valid JSON, wrong types: only a client that validates the schema notices.
    malformed: () => ({
      status: 200,
      body: JSON.stringify({ ...base, id: 109348211212, username: null, discoverable: 'yes' }),
    }),
    truncated: () => ({ status: 200, body: truncateJson(JSON.stringify(base)) }),
    oversized: (filler) => ({ status: 200, body: JSON.stringify({ ...base, note: `<p>${filler}</p>` }) }),
    hostileText: () => ({ status: 200, body: JSON.stringify(withHostileText(base as Json)) }),
    baitUrls: () => ({ status: 200, body: JSON.stringify(withBaitUrls(base as Json)) }),
  };
}

type Json = Record<string, unknown>;
const textOr = (value: unknown, change: (text: string) => string) =>
  typeof value === 'string' ? change(value) : value;

/** A NUL after the display name, a lone surrogate before the note. */
function withHostileText(account: Json): Json {
  return {
    ...account,
    display_name: textOr(account['display_name'], withNul),
    note: textOr(account['note'], withLoneSurrogate),
  };
}

/** The profile page, avatar, header and profile-field links pointed at internal addresses. */
function withBaitUrls(account: Json): Json {
  const fields = Array.isArray(account['fields'])
    ? account['fields'].map((field: Json) => ({
        ...field,
        value: `<a href="${BAIT_URLS.internal}" rel="me">${BAIT_URLS.internal}</a>`,
      }))
    : account['fields'];
  return {
    ...account,
    url: BAIT_URLS.metadata,
    avatar: BAIT_URLS.private,
    avatar_static: BAIT_URLS.private,
    header: BAIT_URLS.loopback,
    header_static: BAIT_URLS.loopback,
    fields,
  };
}

/** Mastodon's reset time: ISO 8601 in UTC with microseconds, e.g. `2026-07-02T10:15:00.000000Z`. */
export function mastodonResetTime(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Mastodon sends no Retry-After: the wait is only in `X-RateLimit-Reset`, an ISO 8601 time. */
function rateLimited(resetSeconds: number): DemoAnswer {
  return {
    status: 429,
    body: JSON.stringify({ error: 'Too many requests' }),
    headers: { 'X-RateLimit-Remaining': 0, 'X-RateLimit-Reset': mastodonResetTime(epochSecondsFromNow(resetSeconds)) },
  };
}

/** Every reply (200, 404, 429, …) carries the three headers; a fault's own values win. */
function withRateHeaders(ctx: MastodonContext, answer: DemoAnswer): DemoAnswer {
  const budget = ctx.budget.take();
  return {
    ...answer,
    headers: {
      'X-RateLimit-Limit': budget.limit,
      'X-RateLimit-Remaining': budget.remaining,
      'X-RateLimit-Reset': mastodonResetTime(budget.reset),
      ...answer.headers,
    },
  };
}
