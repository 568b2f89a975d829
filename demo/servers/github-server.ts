/**
 * A local stand-in for the two GitHub REST calls the pipeline makes:
 * `GET /search/users?q=<email> in:email type:user` and `GET /users/{login}`,
 * with GitHub's status codes, rate-limit headers and JSON shapes
 * (docs/provider-apis.md, "GitHub").
 */
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { createDemoApp, listenDemo, sendAnswer } from './demo-server.js';
import type { DemoAnswer, DemoServer, ListenOptions } from './demo-server.js';
import {
  BAIT_URLS,
  DEFAULT_OVERSIZED_BYTES,
  DEFAULT_RATE_LIMIT_RESET_SECONDS,
  FaultCounter,
  FaultSchema,
  UnservedFaultError,
  activeFault,
  epochSecondsFromNow,
  fillerText,
  truncateJson,
  withLoneSurrogate,
  withNul,
} from './faults.js';
import type { Fault } from './faults.js';
import { parseSearchQuery } from './github-search-query.js';
import type { SearchQuery, SearchQueryProblem } from './github-search-query.js';
import { RateWindow } from './rate-window.js';
import { LimitEnforcer, type ProviderLimit } from './limit-enforcer.js';
import type { RateSnapshot } from './rate-window.js';
import { parseOrThrow } from './zod-issues.js';

export interface GithubDemoEntry {
  /** The user's PUBLIC profile email: what `in:email` searches. */
  email: string;
  /** Full `GET /users/{login}` JSON; absent = the email finds nobody. */
  user?: object | undefined;
  fault?: Fault | undefined;
}

export interface GithubDemoOptions extends ListenOptions {
  entries: GithubDemoEntry[];
  /**
   * Enforce GitHub's primary limits the way GitHub does, each resource apart: a search spends only the `search`
   * window, a `/users/{login}` only the `core` one. A request over its resource's window is refused with 403,
   * `x-ratelimit-remaining: 0` and `x-ratelimit-resource`, and counted as a violation. The headers announce them.
   */
  resourceLimits?: Partial<Record<'search' | 'core', ProviderLimit>> | undefined;
}

/**
 * The least a user object needs for routing. `email: null` means the user has
 * no public email, so a search by email cannot find them, but `/users/{login}`
 * still can (as when a Gravatar verified account names the login).
 */
const GithubUserKeySchema = z.looseObject({
  login: z.string().min(1),
  id: z.number().int(),
  email: z.string().nullable().optional(),
  type: z.string().optional(),
});
type GithubUserKey = z.infer<typeof GithubUserKeySchema>;

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const GithubDemoEntrySchema = z.object({
  email: z.string().min(1),
  user: GithubUserKeySchema.optional(),
  fault: FaultSchema.optional(),
});

type Resource = 'search' | 'core';

interface Person {
  /** Lowercased entry email: the fault-counter key shared by search and user fetch. */
  key: string;
  user: GithubUserKey | undefined;
  /** The user object exactly as given (zod's parse would reorder its keys), served as-is. */
  userJson: object | undefined;
  fault: Fault | undefined;
}

interface GithubContext {
  people: Person[];
  byEmail: Map<string, Person>;
  byLogin: Map<string, Person>;
  counter: FaultCounter;
  budgets: Record<Resource, RateWindow>;
  enforcers: Partial<Record<Resource, LimitEnforcer>>;
}

/** What a single request is about, used to pick the fault, the headers and the bodies. */
interface Exchange {
  resource: Resource;
  person: Person | undefined;
  clientIp: string;
  normal: () => DemoAnswer;
  broken: (fault: BodyFault) => DemoAnswer;
}

type BodyFault = Extract<
  Fault,
  { kind: 'malformed' | 'truncated' | 'oversized' | 'hostile_text' | 'bait_urls' | 'ambiguous' }
>;

const CONTENT_TYPE = 'application/json; charset=utf-8';
const API_VERSION = '2022-11-28';
const SEARCH_DOCS = 'https://docs.github.com/rest/search/search#search-users';
const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';
/** Keyed budgets from the docs: search 30/min, core 5,000/h. */
const SEARCH_LIMIT_PER_MINUTE = 30;
const CORE_LIMIT_PER_HOUR = 5000;

/** Starts the demo GitHub server; its `url` is the server root, like `https://api.github.com`. */
export async function startGithubDemo(opts: GithubDemoOptions): Promise<DemoServer> {
  const ctx = createContext(opts.entries, opts.limit, opts.resourceLimits ?? {});
  const demo = createDemoApp();
  demo.app.get<{ Querystring: { q?: string | string[] } }>('/search/users', (request, reply) =>
    answerSearch(ctx, firstValue(request.query.q), request.ip, reply),
  );
  demo.app.get<{ Params: { login: string } }>('/users/:login', (request, reply) =>
    answerUser(ctx, request.params.login, request.ip, reply),
  );
  demo.app.setNotFoundHandler((_request, reply) => send(reply, withRateHeaders(ctx, 'core', notFound())));
  const server = await listenDemo(demo, opts, { basePath: '', resetFaults: () => ctx.counter.reset() });
  const own = () => (ctx.enforcers.search?.violations ?? 0) + (ctx.enforcers.core?.violations ?? 0);
  return { ...server, violations: () => server.violations() + own() };
}

function createContext(
  entries: GithubDemoEntry[],
  limit: ProviderLimit | undefined,
  resourceLimits: Partial<Record<Resource, ProviderLimit>>,
): GithubContext {
  // An enforced limit is also what the headers announce, as GitHub's would.
  const search = resourceLimits.search ?? limit;
  const core = resourceLimits.core;
  const ctx: GithubContext = {
    people: [],
    byEmail: new Map(),
    byLogin: new Map(),
    counter: new FaultCounter(),
    budgets: {
      search: search ? new RateWindow(search.max, search.windowMs / 1000) : new RateWindow(SEARCH_LIMIT_PER_MINUTE, 60),
      core: core ? new RateWindow(core.max, core.windowMs / 1000) : new RateWindow(CORE_LIMIT_PER_HOUR, 3600),
    },
    enforcers: {
      ...(resourceLimits.search ? { search: new LimitEnforcer(resourceLimits.search) } : {}),
      ...(core ? { core: new LimitEnforcer(core) } : {}),
    },
  };
  const valid = parseOrThrow(z.array(GithubDemoEntrySchema), entries, 'startGithubDemo: invalid entries');
  entries.forEach((raw, i) => {
    const entry = valid[i];
    if (entry === undefined) return;
    const person: Person = {
      key: entry.email.trim().toLowerCase(),
      user: entry.user,
      userJson: raw.user,
      fault: entry.fault,
    };
    ctx.people.push(person);
    ctx.byEmail.set(person.key, person);
    if (person.user) ctx.byLogin.set(person.user.login.toLowerCase(), person);
  });
  return ctx;
}

/** Fastify gives an array when `q` is repeated; GitHub uses the first. */
function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

// ---------------------------------------------------------------- routes

async function answerSearch(
  ctx: GithubContext,
  q: string | undefined,
  clientIp: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const parsed = parseSearchQuery(q);
  if (!parsed.ok) return send(reply, withRateHeaders(ctx, 'search', validationFailed(parsed.problem)));
  const { query } = parsed;
  const matches = ctx.people.filter((person) => matchesSearch(person, query));
  const answer = await exchange(ctx, {
    resource: 'search',
    person: ctx.byEmail.get(query.text),
    clientIp,
    normal: () => ({ status: 200, body: JSON.stringify(searchResult(matches)) }),
    broken: (fault) => brokenSearch(fault, matches),
  });
  return send(reply, answer);
}

async function answerUser(
  ctx: GithubContext,
  login: string,
  clientIp: string,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const person = ctx.byLogin.get(login.toLowerCase());
  const answer = await exchange(ctx, {
    resource: 'core',
    person,
    clientIp,
    normal: () => (person?.userJson ? { status: 200, body: JSON.stringify(person.userJson) } : notFound()),
    broken: (fault) => brokenUser(fault, person?.userJson),
  });
  return send(reply, answer);
}

/** Applies the person's fault (if it fires for this request) around the normal answer. */
async function exchange(ctx: GithubContext, ex: Exchange): Promise<DemoAnswer> {
  const verdict = ctx.enforcers[ex.resource]?.admit(Date.now());
  if (verdict && !verdict.ok) return primaryLimitExceeded(ctx, ex, verdict.retryAfterMs);
  const fault = ex.person && activeFault(ex.person.fault, ctx.counter.next(ex.person.key));
  const budget = ctx.budgets[ex.resource].take();
  if (fault === undefined) return withHeaders(budget, ex.resource, ex.normal());
  switch (fault.kind) {
    case 'slow':
      await delay(fault.delayMs);
      return withHeaders(budget, ex.resource, ex.normal());
    case 'rate_limit':
      return rateLimited(fault, budget, ex);
    case 'server_error':
      return withHeaders(budget, ex.resource, { status: 500, body: JSON.stringify({ message: 'Server Error' }) });
    default:
      return withHeaders(budget, ex.resource, ex.broken(fault));
  }
}

function send(reply: FastifyReply, answer: DemoAnswer): FastifyReply {
  return sendAnswer(reply, answer, CONTENT_TYPE);
}

// ---------------------------------------------------------------- search

function matchesSearch(person: Person, query: SearchQuery): boolean {
  const user = person.user;
  if (user === undefined) return false;
  if (!matchesType(user, query.qualifiers.get('type'))) return false;
  if (query.text === '') return true;
  // Without `in:`, GitHub searches login, name and email.
  const fields = query.qualifiers.get('in') ?? ['login', 'name', 'email'];
  return fields.some((field) => fieldMatches(person, user, field, query.text));
}

function matchesType(user: GithubUserKey, types: string[] | undefined): boolean {
  const type = (user.type ?? 'User').toLowerCase();
  return types === undefined || types.some((t) => (t === 'org' ? type === 'organization' : type === t));
}

function fieldMatches(person: Person, user: GithubUserKey, field: string, text: string): boolean {
  switch (field) {
    case 'email':
      // `email: null` on the user = no public email, so `in:email` cannot find them.
      return user.email !== null && person.key === text;
    case 'login':
      return user.login.toLowerCase() === text;
    case 'name': {
      const name = user['name'];
      return typeof name === 'string' && name.toLowerCase().includes(text);
    }
    default:
      return false;
  }
}

const SEARCH_ITEM_FIELDS = ['login', 'id', 'node_id', 'avatar_url', 'html_url', 'type', 'site_admin'] as const;

/** The search item is a subset of the user object plus a relevance `score`. */
function searchItem(user: GithubUserKey): Record<string, unknown> {
  const item: Record<string, unknown> = {};
  for (const field of SEARCH_ITEM_FIELDS) {
    if (field in user) item[field] = user[field];
  }
  item['score'] = 1;
  return item;
}

function searchResult(matches: Person[]): object {
  const items = matches.flatMap((person) => (person.user ? [searchItem(person.user)] : []));
  return { total_count: items.length, incomplete_results: false, items };
}

function brokenSearch(fault: BodyFault, matches: Person[]): DemoAnswer {
  switch (fault.kind) {
    case 'malformed':
      return {
        status: 200,
        body: JSON.stringify({ total_count: '1', incomplete_results: 'no', items: [{ login: null, id: 'one' }] }),
      };
    case 'truncated':
      return { status: 200, body: truncateJson(JSON.stringify(searchResult(matches))) };
    case 'oversized':
      return { status: 200, body: JSON.stringify(oversizedSearch(matches, fault.bytes ?? DEFAULT_OVERSIZED_BYTES)) };
    case 'hostile_text':
      // A search item carries no free text; the user fetch that follows does.
      return { status: 200, body: JSON.stringify(searchResult(matches)) };
    case 'bait_urls': {
      const result = searchResult(matches) as { items: Array<Record<string, unknown>> };
      return { status: 200, body: JSON.stringify({ ...result, items: result.items.map(withBaitUrls) }) };
    }
    case 'ambiguous':
      throw new UnservedFaultError('the demo GitHub server has no reply for the fault kind "ambiguous"');
  }
}

/** A huge but well-formed result: the match repeated until the body passes `bytes`. */
function oversizedSearch(matches: Person[], bytes: number): object {
  const first = matches[0]?.user;
  const item = first ? searchItem(first) : { login: 'demo-user', id: 1, type: 'User', score: 1 };
  const copies = Math.ceil(bytes / JSON.stringify(item).length) + 1;
  return { total_count: copies, incomplete_results: false, items: Array.from({ length: copies }, () => item) };
}

// ---------------------------------------------------------------- users

function brokenUser(fault: BodyFault, user: object | undefined): DemoAnswer {
  const base = user ?? { login: 'demo-user', id: 1 };
  switch (fault.kind) {
    case 'malformed':
      // Keeps every other field so only a client that validates types notices.
      return { status: 200, body: JSON.stringify({ ...base, login: null, id: 'not-a-number' }) };
    case 'truncated':
      return { status: 200, body: truncateJson(JSON.stringify(base)) };
    case 'oversized':
      return {
        status: 200,
        body: JSON.stringify({ ...base, bio: fillerText(fault.bytes ?? DEFAULT_OVERSIZED_BYTES) }),
      };
    case 'hostile_text':
      return { status: 200, body: JSON.stringify(withHostileText(base as Record<string, unknown>)) };
    case 'bait_urls':
      return { status: 200, body: JSON.stringify(withBaitUrls(base as Record<string, unknown>)) };
    case 'ambiguous':
      throw new UnservedFaultError('the demo GitHub server has no reply for the fault kind "ambiguous"');
  }
}

const textOr = (value: unknown, change: (text: string) => string) =>
  typeof value === 'string' ? change(value) : value;

/** A NUL after the name and the company, a lone surrogate before the bio. */
function withHostileText(user: Record<string, unknown>): Record<string, unknown> {
  return {
    ...user,
    name: textOr(user['name'], withNul),
    company: textOr(user['company'], withNul),
    bio: textOr(user['bio'], withLoneSurrogate),
  };
}

/** The avatar, profile page and blog (site) pointed at internal addresses; a search item has no blog. */
function withBaitUrls(user: Record<string, unknown>): Record<string, unknown> {
  return {
    ...user,
    avatar_url: BAIT_URLS.private,
    html_url: BAIT_URLS.metadata,
    ...('blog' in user ? { blog: BAIT_URLS.localhost } : {}),
  };
}

// ---------------------------------------------------------------- errors and headers

function notFound(): DemoAnswer {
  return {
    status: 404,
    body: JSON.stringify({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' }),
  };
}

const VALIDATION_MESSAGES: Record<Exclude<SearchQueryProblem, 'missing'>, string> = {
  too_long: 'The search is longer than 256 characters.',
  too_many_operators: 'The search contains more than 5 AND / OR / NOT operators.',
};

function validationFailed(problem: SearchQueryProblem): DemoAnswer {
  const error =
    problem === 'missing'
      ? { resource: 'Search', field: 'q', code: 'missing' }
      : { message: VALIDATION_MESSAGES[problem], resource: 'Search', field: 'q', code: 'invalid' };
  return {
    status: 422,
    body: JSON.stringify({
      message: 'Validation Failed',
      errors: [error],
      documentation_url: SEARCH_DOCS,
      status: '422',
    }),
  };
}

/**
 * GitHub has two over-limit dialects and clients must handle both:
 * a secondary limit says how long to wait in `retry-after`; a primary limit
 * says it with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`.
 */
function rateLimited(fault: Extract<Fault, { kind: 'rate_limit' }>, budget: RateSnapshot, ex: Exchange): DemoAnswer {
  const status = fault.status ?? 403;
  if (fault.retryAfterSeconds !== undefined) {
    const message =
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. ' +
      'If you reach out to GitHub Support for help, please include the request ID.';
    const answer = { status, body: errorBody(message, `${RATE_LIMIT_DOCS}#about-secondary-rate-limits`, status) };
    return withHeaders(budget, ex.resource, { ...answer, headers: { 'retry-after': fault.retryAfterSeconds } });
  }
  const exhausted: RateSnapshot = {
    limit: budget.limit,
    remaining: 0,
    used: budget.limit,
    reset: epochSecondsFromNow(DEFAULT_RATE_LIMIT_RESET_SECONDS),
  };
  const message = `API rate limit exceeded for ${ex.clientIp}.`;
  return withHeaders(exhausted, ex.resource, { status, body: errorBody(message, RATE_LIMIT_DOCS, status) });
}

/** GitHub's answer once a resource's primary limit is spent: 403, nothing remaining, the reset of that resource. */
function primaryLimitExceeded(ctx: GithubContext, ex: Exchange, retryAfterMs: number): DemoAnswer {
  const limit = ctx.budgets[ex.resource].take().limit;
  const exhausted: RateSnapshot = {
    limit,
    remaining: 0,
    used: limit,
    reset: Math.ceil((Date.now() + retryAfterMs) / 1000),
  };
  const message = `API rate limit exceeded for ${ex.clientIp}.`;
  return withHeaders(exhausted, ex.resource, { status: 403, body: errorBody(message, RATE_LIMIT_DOCS, 403) });
}

function errorBody(message: string, documentationUrl: string, status: number): string {
  return JSON.stringify({ message, documentation_url: documentationUrl, status: String(status) });
}

function withRateHeaders(ctx: GithubContext, resource: Resource, answer: DemoAnswer): DemoAnswer {
  return withHeaders(ctx.budgets[resource].take(), resource, answer);
}

let requestSerial = 0;

/** Every GitHub reply carries these, including 4xx and 5xx; an answer's own headers are kept. */
function withHeaders(budget: RateSnapshot, resource: Resource, answer: DemoAnswer): DemoAnswer {
  requestSerial += 1;
  return {
    ...answer,
    headers: {
      'x-ratelimit-limit': budget.limit,
      'x-ratelimit-remaining': budget.remaining,
      'x-ratelimit-used': budget.used,
      'x-ratelimit-reset': budget.reset,
      'x-ratelimit-resource': resource,
      'x-github-api-version-selected': API_VERSION,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': `DEMO:${requestSerial.toString(16).toUpperCase().padStart(6, '0')}`,
      ...answer.headers,
    },
  };
}
