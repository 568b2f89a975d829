import { z } from 'zod';
import { SignupSchema } from '../../schemas/signup.js';
import { LIST_STATUSES, type ListStatus } from '../../schemas/list-status.js';
import { fieldIssues, requiredMessage } from '../../api/mappers/signup-draft.js';
import { reasonFromIssues, type BackfillRow } from './backfill-row.js';

/** A JSONL line longer than this is not a signup body; it is rejected without being held in memory. */
export const MAX_JSONL_LINE_CHARS = 256 * 1024;

/**
 * The list statuses a JSONL line may carry beside the signup body: `listStatus` (one of `subscribed`,
 * `unsubscribed`, `bouncing`, `spam_complaint`, `do_not_contact`, `deceased`, or a list of them), and where it was
 * read (`listStatusSource`, default `jsonl:listStatus`).
 */
const LineStatusSchema = z.object({
  listStatus: z.union([z.enum(LIST_STATUSES), z.array(z.enum(LIST_STATUSES)).max(6)]).optional(),
  listStatusSource: z.string().trim().min(1).max(100).optional(),
});

function lineStatuses(value: object): { statuses: ListStatus[] } | { reason: string } {
  const parsed = LineStatusSchema.safeParse(value);
  if (!parsed.success) return { reason: reasonFromIssues(fieldIssues(parsed.error)) };
  const { listStatus, listStatusSource = 'jsonl:listStatus' } = parsed.data;
  const list = listStatus === undefined ? [] : Array.isArray(listStatus) ? listStatus : [listStatus];
  return { statuses: list.map((status) => ({ status, source: listStatusSource })) };
}

/** Splits text into lines (LF; the decoder already turned CRLF into LF) with their 1-based numbers, in bounded memory. */
async function* lines(text: AsyncIterable<string>): AsyncGenerator<{ line: number; text: string; tooLong: boolean }> {
  let rest = '';
  let line = 1;
  let tooLong = false;
  for await (const chunk of text) {
    const buffer = rest + chunk;
    let from = 0;
    for (let at = buffer.indexOf('\n'); at !== -1; at = buffer.indexOf('\n', from)) {
      yield { line, text: tooLong ? '' : buffer.slice(from, at), tooLong };
      from = at + 1;
      line++;
      tooLong = false;
    }
    rest = buffer.slice(from);
    if (rest.length > MAX_JSONL_LINE_CHARS) {
      tooLong = true; // the rest of this line is skipped, not held
      rest = '';
    }
  }
  if (rest.trim() || tooLong) yield { line, text: rest, tooLong };
}

/**
 * Streams JSONL rows as signups or rejects: each non-blank line is one signup body as `POST /v1/signups` takes it
 * (`{email, givenName?, …, consent?: {socialProfiles}}`), validated by the same schema, plus an optional
 * `listStatus` (see {@link LineStatusSchema}). A line without `source` gets `defaultSource`.
 */
export async function* jsonlRows(text: AsyncIterable<string>, defaultSource: string): AsyncGenerator<BackfillRow> {
  for await (const { line, text: body, tooLong } of lines(text)) {
    if (tooLong) {
      yield { line, reason: `line: longer than ${MAX_JSONL_LINE_CHARS} characters` };
      continue;
    }
    if (!body.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      yield { line, reason: 'line: not valid JSON' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, reason: 'line: must be a JSON object (one signup body per line)' };
      continue;
    }
    const status = lineStatuses(value);
    if ('reason' in status) {
      yield { line, reason: status.reason };
      continue;
    }
    const parsed = SignupSchema.safeParse({ source: defaultSource, ...value }, { error: requiredMessage });
    yield parsed.success
      ? { line, signup: parsed.data, ...(status.statuses.length ? { statuses: status.statuses } : {}) }
      : { line, reason: reasonFromIssues(fieldIssues(parsed.error)) };
  }
}
