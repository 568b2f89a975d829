/**
 * A local stand-in for OpenFEC Schedule A (`GET /v1/schedules/schedule_a/`), the itemized individual
 * contributions, answering from demo entries with the real path, api.data.gov key handling and rate-limit
 * headers, status codes and JSON shapes (docs/provider-apis.md, "OpenFEC").
 */
import { z } from 'zod';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
import { RateWindow } from './rate-window.js';
import { parseOrThrow } from './zod-issues.js';

export interface FecDemoEntry {
  /** One donor as FEC spells contributor names, `LAST, FIRST` (`RUIZ, DANA`); the name filter matches its words. */
  name: string;
  /** The donor's ZIP; `contributor_zip` matches it by prefix, so a ZIP5 finds a ZIP+4. */
  zip: string;
  /** The Schedule A rows served for this donor, newest or not: the server sorts. */
  results: object[];
  fault?: Fault | undefined;
}

export interface FecDemoOptions extends ListenOptions {
  entries: FecDemoEntry[];
  /**
   * The api.data.gov keys the server accepts besides `DEMO_KEY`; any other key gets 403 `API_KEY_INVALID`.
   * Absent = every non-empty key is accepted.
   */
  apiKeys?: string[] | undefined;
}

/** Runtime check of entries handed in by code (tests), so a typo fails at start, not mid-test. */
export const FecDemoEntrySchema = z.object({
  name: z.string().min(1),
  zip: z.string().regex(/^\d{1,9}$/, 'must be digits (a ZIP5 or ZIP+4 without the dash)'),
  results: z.array(z.looseObject({})),
  fault: FaultSchema.optional(),
});

const CONTENT_TYPE = 'application/json';
const API_VERSION = '1.0';
const DEMO_KEY = 'DEMO_KEY';
/** api.data.gov: DEMO_KEY 30/h per IP, a personal key 1,000/h; the window rolls, and no reset header is sent. */
const DEMO_KEY_LIMIT_PER_HOUR = 30;
const KEYED_LIMIT_PER_HOUR = 1000;
const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 20;
/** Each of these filters takes at most 10 values; more gives 422. */
const MULTI_VALUE_FILTERS = [
  'contributor_name',
  'contributor_zip',
  'contributor_city',
  'contributor_state',
  'contributor_employer',
  'contributor_occupation',
  'committee_id',
] as const;
/** A query needs one of these (or exactly one two_year_transaction_period), or the API answers 400. */
const INDEXED_FILTERS = [
  'committee_id',
  'contributor_id',
  'contributor_name',
  'contributor_city',
  'contributor_zip',
  'contributor_employer',
  'contributor_occupation',
  'image_number',
] as const;
const SORTS = ['contribution_receipt_date', 'contribution_receipt_amount'] as const;
type SortField = (typeof SORTS)[number];

type Query = Record<string, string | string[] | undefined>;

interface Donor {
  /** Fault-counter key: the entry's position, since two donors may share a name and a ZIP. */
  key: string;
  nameWords: Set<string>;
  zip: string;
  /** The rows exactly as given (a parsed copy need not keep key order). */
  results: object[];
  fault: Fault | undefined;
}

interface FecContext {
  donors: Donor[];
  apiKeys: Set<string> | undefined;
  counter: FaultCounter;
  budgets: Map<string, RateWindow>;
}

/** Starts the demo OpenFEC server; its `url` is the server root, like `https://api.open.fec.gov`. */
export async function startFecDemo(opts: FecDemoOptions): Promise<DemoServer> {
  const ctx: FecContext = {
    donors: indexDonors(opts.entries),
    apiKeys: opts.apiKeys ? new Set(opts.apiKeys) : undefined,
    counter: new FaultCounter(),
    budgets: new Map(),
  };
  const demo = createDemoApp();
  const route = (request: FastifyRequest<{ Querystring: Query }>, reply: FastifyReply) =>
    answerScheduleA(ctx, request, reply);
  // The documented path has a trailing slash; the API answers without it too.
  demo.app.get<{ Querystring: Query }>('/v1/schedules/schedule_a/', route);
  demo.app.get<{ Querystring: Query }>('/v1/schedules/schedule_a', route);
  demo.app.setNotFoundHandler((_request, reply) =>
    sendAnswer(
      reply,
      { status: 404, body: JSON.stringify({ message: 'The requested URL was not found on the server.', status: 404 }) },
      CONTENT_TYPE,
    ),
  );
  return listenDemo(demo, opts, { basePath: '', resetFaults: () => ctx.counter.reset() });
}

function indexDonors(entries: FecDemoEntry[]): Donor[] {
  const valid = parseOrThrow(z.array(FecDemoEntrySchema), entries, 'startFecDemo: invalid entries');
  return entries.map((raw, i) => ({
    key: `#${i}`,
    nameWords: new Set(words(valid[i]?.name ?? raw.name)),
    zip: raw.zip,
    results: raw.results,
    fault: valid[i]?.fault,
  }));
}

/** Full-text words of a name: case-, accent- and punctuation-insensitive. */
function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter(Boolean);
}

function values(query: Query, name: string): string[] {
  const value = query[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v.trim() !== '');
}

// ---------------------------------------------------------------- route

async function answerScheduleA(
  ctx: FecContext,
  request: FastifyRequest<{ Querystring: Query }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const send = (answer: DemoAnswer) => sendAnswer(reply, answer, CONTENT_TYPE);
  const query = request.query;
  // api.data.gov checks the key before the API sees the request, and does not count refused requests.
  const key = headerValue(request.headers['x-api-key']) ?? values(query, 'api_key')[0];
  if (key === undefined || key.trim() === '') {
    return send(apiKeyError('API_KEY_MISSING', 'No api_key was supplied. Get one at https://api.data.gov:443/signup/'));
  }
  if (key !== DEMO_KEY && ctx.apiKeys && !ctx.apiKeys.has(key)) {
    return send(
      apiKeyError('API_KEY_INVALID', 'An invalid api_key was supplied. Get one at https://api.data.gov:443/signup/'),
    );
  }
  const budget = budgetFor(ctx, key).take();
  const withBudget = (answer: DemoAnswer): DemoAnswer => ({
    ...answer,
    headers: { 'X-RateLimit-Limit': budget.limit, 'X-RateLimit-Remaining': budget.remaining, ...answer.headers },
  });

  const invalid = validate(query);
  if (invalid) return send(withBudget(invalid));
  const perPage = Number(values(query, 'per_page')[0] ?? DEFAULT_PER_PAGE);
  const sort = parseSort(values(query, 'sort')[0]);
  const matches = ctx.donors.filter((donor) => matchesDonor(donor, query));

  const faulty = matches.find((donor) => donor.fault !== undefined);
  const fault = faulty && activeFault(faulty.fault, ctx.counter.next(faulty.key));
  const rows = sortRows(
    matches.flatMap((donor) => donor.results),
    sort,
  );
  const page = pageAfter(rows, query).slice(0, perPage);
  const body = (list: Row[]) => JSON.stringify(scheduleA(rows.length, perPage, list, sort));
  const answer = await answerWithFault<DemoAnswer>(fault, () => ({ status: 200, body: body(page) }), {
    rateLimited: overRateLimit,
    serverError: () => ({ status: 500, body: JSON.stringify({ message: 'Internal Server Error', status: 500 }) }),
    // Valid JSON, wrong types: only a client that validates the schema notices.
    malformed: () => ({
      status: 200,
      body: JSON.stringify({
        ...scheduleA(1, perPage, [], sort),
        results: [{ contributor_name: 42, contributor_zip: ['43201'], contribution_receipt_amount: 'lots' }],
      }),
    }),
    truncated: () => ({ status: 200, body: truncateJson(body(page)) }),
    oversized: (filler) => ({ status: 200, body: body(page.map((row) => ({ ...row, memo_text: filler }))) }),
    // The employer and occupation are stored (work.employer, work.occupation).
    hostileText: () => ({ status: 200, body: body(page.map(withHostileText)) }),
  });
  return send(withBudget(answer));
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function budgetFor(ctx: FecContext, key: string): RateWindow {
  let budget = ctx.budgets.get(key);
  if (budget === undefined) {
    budget = new RateWindow(key === DEMO_KEY ? DEMO_KEY_LIMIT_PER_HOUR : KEYED_LIMIT_PER_HOUR, 3600);
    ctx.budgets.set(key, budget);
  }
  return budget;
}

// ---------------------------------------------------------------- validation

/**
 * The 400 and 422 answers openFEC gives for queries it refuses, or undefined when valid: 422 for a filter given more
 * than 10 values, a bad `per_page` or `sort`, or a next page asked with `last_index` alone; 400 for a query with
 * neither one two-year period nor an indexed filter (docs/provider-apis.md, "OpenFEC").
 */
function validate(query: Query): DemoAnswer | undefined {
  for (const filter of MULTI_VALUE_FILTERS) {
    if (values(query, filter).length > 10) return unprocessable(filter, 'Must have at most 10 values.');
  }
  const perPage = values(query, 'per_page')[0];
  if (perPage !== undefined && !(/^\d+$/.test(perPage) && Number(perPage) >= 1 && Number(perPage) <= MAX_PER_PAGE)) {
    return unprocessable('per_page', `Must be between 1 and ${MAX_PER_PAGE}.`);
  }
  const sort = values(query, 'sort')[0];
  if (sort !== undefined && parseSort(sort) === undefined) {
    return unprocessable('sort', `Cannot sort on value "${sort}". Instead choose one of: ${SORTS.join(', ')}`);
  }
  const sortField = parseSort(sort)?.field ?? 'contribution_receipt_date';
  if (
    values(query, 'last_index').length > 0 &&
    values(query, `last_${sortField}`).length === 0 &&
    values(query, 'sort_null_only').length === 0
  ) {
    return unprocessable(
      `last_${sortField}`,
      `When paginating through results sorted by ${sortField}, both last_index and last_${sortField} are required.`,
    );
  }
  const periods = values(query, 'two_year_transaction_period');
  if (!INDEXED_FILTERS.some((filter) => values(query, filter).length > 0) && periods.length !== 1) {
    return {
      status: 400,
      body: JSON.stringify({
        message: `Please choose a single two_year_transaction_period or add one of the following filters to your query: ${INDEXED_FILTERS.join(', ')}`,
        status: 400,
      }),
    };
  }
  return undefined;
}

/** openFEC's argument errors come from webargs: the bad field and its messages. */
function unprocessable(field: string, message: string): DemoAnswer {
  return { status: 422, body: JSON.stringify({ messages: { query: { [field]: [message] } }, status: 422 }) };
}

function parseSort(sort: string | undefined): { field: SortField; descending: boolean } | undefined {
  const raw = sort ?? '-contribution_receipt_date';
  const descending = raw.startsWith('-');
  const field = raw.replace(/^-/, '');
  return (SORTS as readonly string[]).includes(field) ? { field: field as SortField, descending } : undefined;
}

// ---------------------------------------------------------------- matching and paging

/** Every word of a `contributor_name` value appears in the donor's name, and the donor's ZIP starts with a `contributor_zip`. */
function matchesDonor(donor: Donor, query: Query): boolean {
  const names = values(query, 'contributor_name');
  const zips = values(query, 'contributor_zip');
  const nameOk = names.length === 0 || names.some((name) => words(name).every((word) => donor.nameWords.has(word)));
  const zipOk = zips.length === 0 || zips.some((zip) => donor.zip.startsWith(zip.replace(/\D/g, '')));
  return nameOk && zipOk && (names.length > 0 || zips.length > 0);
}

type Row = Record<string, unknown>;

/** A row's string or number field as text; anything else counts as empty. */
function scalar(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

function sortRows(rows: object[], sort: ReturnType<typeof parseSort>): Row[] {
  const { field, descending } = sort ?? { field: 'contribution_receipt_date' as const, descending: true };
  const key = (row: Row) => row[field];
  // Rows whose sort value is null come last, as openFEC pages them separately (sort_null_only).
  return [...(rows as Row[])].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x == null || y == null) return x == null ? (y == null ? 0 : 1) : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : scalar(x).localeCompare(scalar(y));
    return descending ? -order : order;
  });
}

/** Keyset paging: the rows after the one whose `sub_id` is `last_index`. */
function pageAfter(rows: Row[], query: Query): Row[] {
  const lastIndex = values(query, 'last_index')[0];
  if (lastIndex === undefined) return rows;
  const at = rows.findIndex((row) => String(row['sub_id']) === lastIndex);
  return at < 0 ? [] : rows.slice(at + 1);
}

function scheduleA(count: number, perPage: number, page: Row[], sort: ReturnType<typeof parseSort>): object {
  const field = sort?.field ?? 'contribution_receipt_date';
  const last = page.at(-1);
  return {
    api_version: API_VERSION,
    pagination: {
      count,
      is_count_exact: true,
      pages: Math.ceil(count / perPage),
      per_page: perPage,
      last_indexes: last ? { last_index: scalar(last['sub_id']), [`last_${field}`]: last[field] ?? null } : null,
    },
    results: page,
  };
}

// ---------------------------------------------------------------- errors

function apiKeyError(code: 'API_KEY_MISSING' | 'API_KEY_INVALID', message: string): DemoAnswer {
  return { status: 403, body: JSON.stringify({ error: { code, message } }) };
}

/** A NUL after the employer, a lone surrogate before the occupation. */
function withHostileText(row: Row): Row {
  const employer = row['contributor_employer'];
  const occupation = row['contributor_occupation'];
  return {
    ...row,
    ...(typeof employer === 'string' ? { contributor_employer: withNul(employer) } : {}),
    ...(typeof occupation === 'string' ? { contributor_occupation: withLoneSurrogate(occupation) } : {}),
  };
}

/**
 * api.data.gov's over-limit reply: `X-RateLimit-Remaining: 0` and no reset header, as its developer manual documents
 * the headers. A third party once saw a Retry-After in seconds as well, so a fault that gives `retryAfterSeconds`
 * adds one; without it the reply says nothing about when to come back.
 */
function overRateLimit(retryAfterSeconds: number, announced: boolean): DemoAnswer {
  return {
    status: 429,
    body: JSON.stringify({
      error: {
        code: 'OVER_RATE_LIMIT',
        message:
          'You have exceeded your rate limit. Try again later or contact us at https://api.data.gov:443/contact/ for assistance',
      },
    }),
    headers: { ...(announced ? { 'Retry-After': retryAfterSeconds } : {}), 'X-RateLimit-Remaining': 0 },
  };
}
