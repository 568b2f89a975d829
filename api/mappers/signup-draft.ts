import type { z } from 'zod';
import { SignupSchema, type Signup } from '../../schemas/signup.js';
import type { ListStatus } from '../../schemas/list-status.js';

/** A field-level validation problem as the API and the backfill report it: where, in the sender's terms, and why. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The generic signup body built from another source's fields, before validation. */
export interface SignupDraftBody {
  email?: string;
  givenName?: string;
  familyName?: string;
  phone?: string;
  mobilePhone?: string;
  workPhone?: string;
  birthYear?: string | number;
  postalAddress?: { lines?: string[]; locality?: string; region?: string; postalCode?: string; country?: string };
  source?: string;
  consent?: {
    socialProfiles: boolean;
    at?: string | undefined;
    noticeVersion?: string | undefined;
    source?: string | undefined;
  };
}

/**
 * A signup mapped from a webhook payload or a backfill row, with where each field came from, so a validation
 * error names the sender's field (`payload.person.primary_address.country_code`, `zip`) rather than ours.
 */
export interface SignupDraft {
  body: SignupDraftBody;
  /** Signup path (`postalAddress.lines.0`) → the source's name for it. Looked up by longest prefix. */
  origins: Record<string, string>;
  /** What the source's list says about the person (its opt-outs stop the enrichment); not part of the signup. */
  statuses?: ListStatus[];
}

export type SignupDraftResult = { success: true; signup: Signup } | { success: false; issues: FieldIssue[] };

/** A trimmed string, or undefined for null, absent, blank or non-string values: senders pad with `""` and `null`. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

const YES = new Set(['true', 't', 'yes', 'y', '1', 'on', 'x']);
const NO = new Set(['false', 'f', 'no', 'n', '0', 'off']);

/**
 * Reads a yes/no flag as spreadsheets and form tools write it. Blank is `undefined` (not said); anything that is
 * neither yes nor no is `'invalid'`, so a typo is rejected rather than read as a refusal or, worse, as consent.
 */
export function parseFlag(value: unknown): boolean | undefined | 'invalid' {
  if (typeof value === 'boolean') return value;
  const t = text(value)?.toLowerCase();
  if (t === undefined) return undefined;
  if (YES.has(t)) return true;
  if (NO.has(t)) return false;
  return 'invalid';
}

/**
 * zod's messages, except for a missing field: "is required" rather than "expected string, received undefined".
 * Pass as `safeParse(value, { error: requiredMessage })`.
 */
export const requiredMessage = (issue: { input?: unknown }): string | undefined =>
  issue.input === undefined ? 'is required' : undefined;

/** Field issues of a zod error, with paths rewritten by `rename` (identity by default); the root is `(body)`. */
export function fieldIssues(error: z.ZodError, rename: (path: string) => string = (p) => p): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: rename(issue.path.map(String).join('.')) || '(body)',
    message: issue.message,
  }));
}

/** The source's name for a signup path: the origin of its longest mapped prefix, plus what is left of the path. */
export function originOf(path: string, origins: Record<string, string>): string {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) {
    const origin = origins[parts.slice(0, n).join('.')];
    if (origin !== undefined) return [origin, ...parts.slice(n)].join('.');
  }
  return path;
}

function compact<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0));
  return entries.length ? (Object.fromEntries(entries) as T) : undefined;
}

/**
 * Validates a draft with the one signup schema every entry point shares, so a webhook, a CSV row and
 * `POST /v1/signups` accept exactly the same signups. Empty parts are dropped first.
 */
export function validateSignupDraft(draft: SignupDraft): SignupDraftResult {
  const { postalAddress, ...rest } = draft.body;
  const body = compact({ ...rest, postalAddress: postalAddress ? compact(postalAddress) : undefined }) ?? {};
  const parsed = SignupSchema.safeParse(body, { error: requiredMessage });
  if (parsed.success) return { success: true, signup: parsed.data };
  return { success: false, issues: fieldIssues(parsed.error, (path) => originOf(path, draft.origins)) };
}
