import { userInfo } from 'node:os';
import type { SegmentCondition } from './segments.js';

/**
 * Who reads or exports personal data, as the audit log names them. Through the API the caller is whoever holds the
 * API token (`api`); a client may add who it acts for in this header (the CLI sends `cli:<OS user>` when it reads
 * through `enrich dev`), recorded as `api:<that>`.
 */
export const AUDIT_ACTOR_HEADER = 'x-audit-actor';

const PRINTABLE = /^[\x20-\x7e]{1,100}$/;

/** The actor of an API request: `api`, or `api:<X-Audit-Actor>` when that header is printable ASCII of at most 100 characters. */
export function apiActor(header: string | string[] | undefined): string {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value && PRINTABLE.test(value) ? `api:${value}` : 'api';
}

/** The actor of a command: `--actor` when given, else `cli:<OS user>`. */
export function cliActor(actor?: string): string {
  const given = actor?.trim();
  if (given) return given;
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/**
 * A stated purpose as the audit log keeps it: trimmed printable text of at most 100 characters, or undefined when
 * none was given. Throws a message fit for a 400 or a one-line CLI error otherwise.
 */
export function auditPurpose(purpose: string | undefined): string | undefined {
  const value = purpose?.trim();
  if (!value) return undefined;
  if (!PRINTABLE.test(value)) throw new TypeError('purpose must be printable text of at most 100 characters');
  return value;
}

/** Filters whose values identify a person: the audit log keeps the field and operator, not the value. */
const IDENTIFYING_FIELDS = new Set([
  'email',
  'name.given',
  'name.family',
  'name.display',
  'profiles.handle',
  'bio',
  'voter.voterId',
]);

/** A segment's filters as the audit log keeps them: `field op value`, with identifying values replaced by `[redacted]`. */
export function auditedFilters(conditions: readonly SegmentCondition[]): string[] {
  return conditions.map(({ field, operator, value }) => {
    if (operator === '?') return `${field}?`;
    return `${field}${operator}${IDENTIFYING_FIELDS.has(field) ? '[redacted]' : String(value)}`;
  });
}
