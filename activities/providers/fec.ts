import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { DEFAULT_FEC_MAX_PAGES } from '../../schemas/config-env.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import { invalidInput, LookupError } from './lookup-error.js';
import { ProviderHttpClient } from './provider-http-client.js';
import type { JsonReply, ReplyRules } from './provider-reply.js';
import { header, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/**
 * A name + ZIP match: Schedule A receipts carry no email and no person ID (only the name and address the filer
 * reported, api.open.fec.gov/developers, `schedules/schedule_a`), so the link is probabilistic.
 */
const CONFIDENCE = 0.6;
/** The most rows one Schedule A page returns. */
const PER_PAGE = '100';
/** The public page listing individual contributions, for when the newest receipt has no scanned image. */
const RECEIPTS_PAGE = 'https://www.fec.gov/data/receipts/individual-contributions/';

const optionalText = z.string().nullish();

/**
 * One Schedule A receipt (`GET /v1/schedules/schedule_a/`), the parts we read; other fields pass through unread.
 * Source: api.open.fec.gov/developers and fecgov/openFEC (webservices/common/models/itemized.py).
 */
export const FecReceiptSchema = z.object({
  contributor_name: optionalText,
  contributor_first_name: optionalText,
  contributor_last_name: optionalText,
  contributor_street_1: optionalText,
  contributor_zip: optionalText,
  contributor_employer: optionalText,
  contributor_occupation: optionalText,
  contribution_receipt_amount: z.number().nullish(),
  contribution_receipt_date: optionalText,
  pdf_url: optionalText,
});
export type FecReceipt = z.infer<typeof FecReceiptSchema>;

export const FecScheduleASchema = z.object({
  results: z.array(FecReceiptSchema),
  /**
   * Keyset paging: the next page is asked with `last_index` and the last row's sort value
   * (`last_contribution_receipt_date`); null or absent on an empty page.
   */
  pagination: z
    .looseObject({
      last_indexes: z
        .looseObject({
          last_index: z.union([z.string(), z.number()]).nullish(),
          last_contribution_receipt_date: z.string().nullish(),
        })
        .nullish(),
    })
    .nullish(),
});
export type FecScheduleAPage = z.infer<typeof FecScheduleASchema>;

/** The pages one lookup reads when the deployment sets none (`PROVIDER_FEC_MAX_PAGES` has the same default). */
export const DEFAULT_MAX_PAGES = DEFAULT_FEC_MAX_PAGES;

/**
 * The query of the page after `page`, or undefined when `page` was the last: a short page, or one without keyset.
 * openFEC pages Schedule A by keyset, not by page number: the next page needs `last_index` and the last row's
 * sort value; once that value is null (receipts without a date, sorted last) it needs `sort_null_only=true`
 * instead, and `last_index` alone is refused (422). Source: api.open.fec.gov/developers (Schedule A, "keyset
 * pagination") and fecgov/openFEC `webservices/docs.py`.
 */
export function nextPageQuery(page: FecScheduleAPage, perPage: number): Record<string, string> | undefined {
  const last = page.pagination?.last_indexes;
  if (page.results.length < perPage || last?.last_index === undefined || last.last_index === null) return undefined;
  const lastIndex = String(last.last_index);
  const date = last.last_contribution_receipt_date;
  return date
    ? { last_index: lastIndex, last_contribution_receipt_date: date }
    : { last_index: lastIndex, sort_null_only: 'true' };
}

/**
 * api.data.gov's quota headers, `X-RateLimit-Limit` and `X-RateLimit-Remaining`, on every answer. It sends no reset
 * (its hourly window rolls) and no Retry-After, so when nothing remains the wait is our estimate: one slot of the
 * window (an hour over the limit), the time an evenly spread request takes to age out. Source:
 * api.data.gov/docs/developer-manual ("Web Service Rate Limits").
 */
export function apiDataGovQuota(
  headers: Record<string, string | string[] | undefined>,
): { remaining: number; resetMs: number } | undefined {
  const remaining = header(headers, 'x-ratelimit-remaining')?.trim();
  const limit = header(headers, 'x-ratelimit-limit')?.trim();
  if (remaining === undefined || !/^\d+$/.test(remaining) || limit === undefined || !/^\d+$/.test(limit))
    return undefined;
  return { remaining: Number(remaining), resetMs: Math.ceil(3_600_000 / Math.max(1, Number(limit))) };
}

/** Case-, accent- and punctuation-insensitive form of a name or street: `Chloé  O'Neil` → `CHLOE O NEIL`. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}

/** The first five digits of a US ZIP or ZIP+4, or undefined when there are not five. */
export function zip5(postalCode: string | undefined): string | undefined {
  const digits = (postalCode ?? '').replace(/\D/g, '');
  return digits.length >= 5 ? digits.slice(0, 5) : undefined;
}

/** Street words the filers spell both ways; folded to one spelling so `12 Elm Street` and `12 ELM ST.` agree. */
const STREET_WORDS: Record<string, string> = {
  STREET: 'ST',
  AVENUE: 'AVE',
  AV: 'AVE',
  ROAD: 'RD',
  DRIVE: 'DR',
  BOULEVARD: 'BLVD',
  LANE: 'LN',
  COURT: 'CT',
  PLACE: 'PL',
  PARKWAY: 'PKWY',
  CIRCLE: 'CIR',
  HIGHWAY: 'HWY',
  TERRACE: 'TER',
  NORTH: 'N',
  SOUTH: 'S',
  EAST: 'E',
  WEST: 'W',
};

/** A street line in a comparable form; undefined when blank. */
export function normalizeStreet(street: string | null | undefined): string | undefined {
  const folded = foldText(street ?? '');
  if (folded === '') return undefined;
  return folded
    .split(' ')
    .map((word) => STREET_WORDS[word] ?? word)
    .join(' ');
}

/** First and last name of a receipt: the split fields when present, else parsed from `LAST, FIRST MIDDLE`. */
function nameParts(receipt: FecReceipt): { first: string; last: string } {
  const [lastPart = '', firstPart = ''] = (receipt.contributor_name ?? '').split(',', 2);
  return {
    first: foldText(receipt.contributor_first_name ?? firstPart),
    last: foldText(receipt.contributor_last_name ?? lastPart),
  };
}

/**
 * The receipts that can be the supporter's: the same last name, a first name that starts with the given name
 * (`DANA M` for Dana), and a ZIP that starts with the supporter's ZIP5. The full-text `contributor_name` filter
 * also returns `RUIZ-LOPEZ, DANA` or `DANA, RUIZ`, so this is where the name is really checked.
 */
export function matchingReceipts(
  receipts: FecReceipt[],
  givenName: string,
  familyName: string,
  zip: string,
): FecReceipt[] {
  const given = foldText(givenName);
  const family = foldText(familyName);
  return receipts.filter((receipt) => {
    const { first, last } = nameParts(receipt);
    return (
      last === family &&
      given !== '' &&
      first.startsWith(given) &&
      (receipt.contributor_zip ?? '').replace(/\D/g, '').startsWith(zip)
    );
  });
}

/** The distinct street addresses among receipts, normalised; two or more means two donors share a name and ZIP. */
export function distinctStreets(receipts: FecReceipt[]): string[] {
  return [
    ...new Set(
      receipts.map((r) => normalizeStreet(r.contributor_street_1)).filter((s): s is string => s !== undefined),
    ),
  ].sort();
}

/** `2025-10-14` from `2025-10-14` or `2025-10-14T00:00:00`; undefined when the date is missing or unreadable. */
function receiptDay(receipt: FecReceipt): string | undefined {
  const match = /^\d{4}-\d{2}-\d{2}/.exec(receipt.contribution_receipt_date ?? '');
  return match?.[0];
}

/** Placeholders filers write when the donor gave no employer or occupation; they say nothing about the person. */
const PLACEHOLDER = /^(NONE|N\/?A|INFORMATION REQUESTED.*|REQUESTED|UNKNOWN)$/;

/** Words that stay upper-case, and short words that stay lower-case inside a title. */
const ACRONYMS = new Set([
  'LLC',
  'LLP',
  'PLLC',
  'PC',
  'PA',
  'MD',
  'RN',
  'NP',
  'DDS',
  'CPA',
  'CEO',
  'CFO',
  'COO',
  'CTO',
  'VP',
  'USA',
  'US',
  'II',
  'III',
  'IV',
]);
const SMALL_WORDS = new Set(['OF', 'AND', 'THE', 'FOR', 'IN', 'AT', 'ON', 'TO', 'A', 'AN', 'OR', 'DE']);

/** `RIVERSIDE FOOD BANK` → `Riverside Food Bank`, `UNIVERSITY OF CINCINNATI` → `University of Cincinnati`. */
export function titleCase(text: string): string {
  return text
    .trim()
    .split(/\s+/)
    .map((word, i) => {
      const upper = word.toUpperCase();
      const bare = upper.replace(/[^A-Z]/g, '');
      if (ACRONYMS.has(bare)) return upper;
      if (i > 0 && SMALL_WORDS.has(upper)) return word.toLowerCase();
      // Capitalise after a hyphen or slash too, and after an apostrophe that starts a name, not a possessive:
      // `SELF-EMPLOYED` → `Self-Employed`, `O'NEIL` → `O'Neil`, `MCDONALD'S` → `Mcdonald's`.
      return word
        .toLowerCase()
        .replace(
          /(^|[-/&(]|['’](?=\p{L}{2}))(\p{L})/gu,
          (_m, sep: string, letter: string) => sep + letter.toUpperCase(),
        );
    })
    .join(' ');
}

/** The employer or occupation as shown in the record, or undefined for blanks and placeholders. */
export function workValue(text: string | null | undefined): string | undefined {
  const trimmed = (text ?? '').trim().replace(/\s+/g, ' ');
  if (trimmed === '' || PLACEHOLDER.test(trimmed.toUpperCase())) return undefined;
  return titleCase(trimmed);
}

/**
 * Observations from the receipts of one donor, in any order: employer and occupation from the newest receipt,
 * and the totals. The totals are `restricted`: 52 U.S.C. §30111(a)(4) forbids using them to solicit
 * contributions, so they belong in research views, never in fundraising segments. `fallbackSourceUrl` is used
 * when the newest receipt has no scanned image.
 */
export function fecObservations(
  receipts: FecReceipt[],
  fetchedAt: string,
  fallbackSourceUrl: string = RECEIPTS_PAGE,
  complete = true,
): ObservationInput[] {
  const sorted = [...receipts].sort((a, b) => (receiptDay(b) ?? '').localeCompare(receiptDay(a) ?? ''));
  const newest = sorted[0];
  if (newest === undefined) return [];
  const sourceUrl = newest.pdf_url?.trim() || fallbackSourceUrl;
  const obs: ObservationInput[] = [];
  const add = (field: string, value: string | undefined) => {
    if (value !== undefined) obs.push({ field, value, confidence: CONFIDENCE, sourceUrl, fetchedAt });
  };
  add('work.employer', workValue(newest.contributor_employer));
  add('work.occupation', workValue(newest.contributor_occupation));
  // Amounts are in dollars with cents; summing floats drifts, so add cents.
  const cents = sorted.reduce((sum, r) => sum + Math.round((r.contribution_receipt_amount ?? 0) * 100), 0);
  obs.push({
    field: 'donations',
    value: {
      count: sorted.length,
      total: cents / 100,
      lastDate: receiptDay(newest) ?? null,
      restricted: true,
      // The page bound was hit: more receipts exist than were read, so count and total are at least these.
      complete,
    },
    confidence: CONFIDENCE,
    sourceUrl,
    fetchedAt,
  });
  return obs;
}

/** The api.data.gov error code of a refusal (`API_KEY_MISSING`, `OVER_RATE_LIMIT`, …), when the body has one. */
function errorCode(reply: JsonReply): string | undefined {
  const code = (reply.body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * api.data.gov's own dialect, in front of OpenFEC: a 429 (`OVER_RATE_LIMIT`) with `X-RateLimit-Remaining: 0`, no
 * reset and, as documented, no Retry-After; its hourly window rolls, so nothing says when it reopens. Without a
 * Retry-After the lookup activity backs off with full jitter inside the lookup's budget (retry-backoff.ts); waiting
 * out a whole hour per attempt would spend the budget before the third refusal, and the flagged contact's automatic
 * retries (hours apart, LOOKUP_RETRY_SCHEDULE) cover a window that stays shut (docs/provider-apis.md). A 403 means the
 * api.data.gov key is missing or invalid, a 422 a filter the API refuses: retrying cannot help either.
 */
const FEC_REPLIES = {
  rateLimit: {
    delayMs: ({ headers }, now) => parseRetryAfter(header(headers, 'retry-after'), now),
    detail: (reply, delayMs) =>
      `${errorCode(reply) ?? 'HTTP 429'}${delayMs === undefined ? ', no retry time given' : ''}`,
  },
  refusal: (reply) => {
    if (reply.status !== 403 && reply.status !== 422) return undefined;
    const code = errorCode(reply);
    const what = `HTTP ${reply.status}${code ? `, ${code}` : ''}`;
    return new LookupError(
      LOOKUP_ERROR_TYPES.providerRejected,
      `fec rejected the request (${what})`,
      undefined,
      reply.status,
    );
  },
} satisfies ReplyRules;

export function createFecProvider(config: ProviderConfig, deps: ProviderDeps): Provider {
  const http = new ProviderHttpClient({
    provider: 'fec',
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: deps.maxResponseBytes,
    // In a header, never in the URL: URLs end up in logs, request histories and sourceUrls. Only the configured key:
    // never a silent DEMO_KEY (30/h, 50/day); the configuration turns FEC off at the public service without one.
    headers: deps.apiKey ? { 'x-api-key': deps.apiKey } : {},
    quota: apiDataGovQuota,
  });
  const maxPages = deps.maxPages ?? DEFAULT_MAX_PAGES;

  /** Up to `maxPages` pages of the newest receipts; `complete` false when more were left unread. */
  async function receipts(query: Record<string, string>, signal?: AbortSignal) {
    const rows: FecReceipt[] = [];
    let next: Record<string, string> | undefined = {};
    for (let pages = 0; next !== undefined && pages < maxPages; pages += 1) {
      const page = await http.getParsed(
        http.url('v1/schedules/schedule_a/', { ...query, ...next }),
        FecScheduleASchema,
        FEC_REPLIES,
        signal,
      );
      rows.push(...page.results);
      next = nextPageQuery(page, Number(PER_PAGE));
    }
    return { rows, complete: next === undefined };
  }

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    const given = input.givenName?.trim() ?? '';
    const family = input.familyName?.trim() ?? '';
    const zip = zip5(input.postalAddress?.postalCode);
    if (given === '' || family === '' || zip === undefined)
      throw invalidInput('fec', 'a given name, a family name and a US ZIP are needed');
    const contributorName = `${foldText(family)}, ${foldText(given)}`;
    // `contributor_name` matches word prefixes, so namesakes share the pages: read up to `maxPages` of them.
    const { rows, complete } = await receipts(
      {
        contributor_name: contributorName,
        contributor_zip: zip,
        is_individual: 'true',
        per_page: PER_PAGE,
        sort: '-contribution_receipt_date',
      },
      signal,
    );
    const kept = matchingReceipts(rows, given, family, zip);
    if (kept.length === 0) return { outcome: 'no_match', observations: [] };
    const streets = distinctStreets(kept);
    if (streets.length > 1) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.ambiguousMatch,
        `fec: ${streets.length} donors at different street addresses share this name and ZIP`,
      );
    }
    const receiptsPage = new URL(RECEIPTS_PAGE);
    receiptsPage.searchParams.set('contributor_name', contributorName);
    receiptsPage.searchParams.set('contributor_zip', zip);
    return {
      outcome: 'matched',
      observations: fecObservations(kept, new Date().toISOString(), receiptsPage.toString(), complete),
    };
  }

  return { name: 'fec', lookup, close: () => http.close() };
}
