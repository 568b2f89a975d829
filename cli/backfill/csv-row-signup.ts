import {
  parseFlag,
  text,
  validateSignupDraft,
  type FieldIssue,
  type SignupDraft,
} from '../../api/mappers/signup-draft.js';
import { parseEmailStatus, type ListStatus } from '../../schemas/list-status.js';
import { reasonFromIssues, type BackfillRow } from './backfill-row.js';
import type { CsvField, CsvHeaderMapping } from './column-aliases.js';

/** A CSV record keyed by column name (csv-parse has already dropped the columns the backfill does not read). */
export type CsvRecord = Partial<Record<CsvField, string>> & Record<string, string | undefined>;

/** The tag that says the person consented to social matching, in a `tag_list` / `can2_user_tags` column. */
export const CSV_CONSENT_TAG = 'consent_social';

const SYSTEM: Record<NonNullable<CsvHeaderMapping['source']> | 'generic', string> = {
  generic: 'csv',
  nationbuilder: 'nationbuilder',
  actionnetwork: 'action_network',
};

/** The first non-blank value of a field's columns, with the header it came from. */
function picker(record: CsvRecord, header: CsvHeaderMapping) {
  return (field: CsvField): { value?: string; header: string } => {
    const first = text(record[field]);
    if (first !== undefined) return { value: first, header: header.headers[field] ?? field };
    for (const fallback of header.fallbacks?.[field] ?? []) {
      const value = text(record[fallback.key]);
      if (value !== undefined) return { value, header: fallback.header };
    }
    return { header: header.headers[field] ?? field };
  };
}

/**
 * The list statuses of a row: the subscription status column (`subscribed`, `unsubscribed`, `bouncing`,
 * `spam complaints`), `do_not_contact` and `is_deceased` (yes/no), `unsubscribed_at` (any value), `email_opt_in`
 * (yes is `subscribed`). A value that is none of these rejects the row, naming the column: a typo must not read as
 * "subscribed".
 */
function rowStatuses(pick: ReturnType<typeof picker>, system: string, issues: FieldIssue[]): ListStatus[] {
  const statuses: ListStatus[] = [];
  const flag = (field: CsvField, status: ListStatus['status']) => {
    const { value, header } = pick(field);
    const answer = parseFlag(value);
    if (answer === 'invalid') issues.push({ path: header, message: 'must be true or false (or yes/no, 1/0)' });
    else if (answer === true) statuses.push({ status, source: `${system}:${header}` });
  };
  flag('deceased', 'deceased');
  flag('doNotContact', 'do_not_contact');
  const list = pick('listStatus');
  const status = parseEmailStatus(list.value);
  if (status === 'invalid')
    issues.push({ path: list.header, message: 'must be subscribed, unsubscribed, bouncing or spam complaints' });
  else if (status) statuses.push({ status, source: `${system}:${list.header}` });
  const unsubscribed = pick('unsubscribedAt');
  if (unsubscribed.value !== undefined)
    statuses.push({ status: 'unsubscribed', source: `${system}:${unsubscribed.header}` });
  else if (status === undefined) flag('emailOptIn', 'subscribed');
  return statuses;
}

const FIELD_PATHS = [
  ['email', 'email'],
  ['givenName', 'givenName'],
  ['familyName', 'familyName'],
  ['phone', 'phone'],
  ['mobilePhone', 'mobilePhone'],
  ['workPhone', 'workPhone'],
  ['birthYear', 'birthYear'],
  ['locality', 'postalAddress.locality'],
  ['region', 'postalAddress.region'],
  ['postalCode', 'postalAddress.postalCode'],
  ['country', 'postalAddress.country'],
  ['source', 'source'],
  ['consentSocial', 'consent'],
  ['consentAt', 'consent.at'],
  ['consentNotice', 'consent.noticeVersion'],
  ['consentSource', 'consent.source'],
  ['tags', 'tags'],
] as const;

/** The value of each field (first non-blank column) and the header it came from, per signup path. */
function readValues(pick: ReturnType<typeof picker>) {
  const values: Partial<Record<CsvField, string>> = {};
  const origins: Record<string, string> = {};
  const read = (field: CsvField, path: string) => {
    const { value, header: name } = pick(field);
    origins[path] = name;
    if (value !== undefined) values[field] = value;
    return value;
  };
  const address = read('address', 'postalAddress.lines.0');
  read('address2', 'postalAddress.lines.1');
  if (address === undefined) origins['postalAddress.lines.0'] = origins['postalAddress.lines.1'] as string;
  for (const [field, path] of FIELD_PATHS) read(field, path);
  return { values, origins };
}

/**
 * Turns one CSV record into a signup, validated by the same schema as `POST /v1/signups`, or into a reject whose
 * reason names the column as the file's header writes it. The row's list statuses ride along: an opt-out means the
 * person is not enriched (backfill.ts).
 *
 * Consent: `consent_social` true/yes/1 is consent to social matching, false/no/0 an explicit refusal, blank says
 * nothing (so no social lookups under the default basis); anything else rejects the row rather than guess.
 * `consent_at`, `consent_notice` and `consent_source` say when, under which notice and where the answer was given;
 * they are kept with it (and ignored when `consent_social` is blank). Without a `consent_social` column, the
 * {@link CSV_CONSENT_TAG} tag in the export's tag column is consent.
 */
export function csvRowSignup(
  record: CsvRecord,
  line: number,
  header: CsvHeaderMapping,
  defaultSource: string,
): BackfillRow {
  const pick = picker(record, header);
  const system = SYSTEM[header.source ?? 'generic'];
  const { values, origins } = readValues(pick);
  const issues: FieldIssue[] = [];
  const statuses = rowStatuses(pick, system, issues);
  const tagged =
    header.headers.consentSocial === undefined &&
    (values.tags ?? '').split(',').some((tag) => tag.trim().toLowerCase() === CSV_CONSENT_TAG);
  const consent = tagged ? true : parseFlag(values.consentSocial);
  const draft: SignupDraft = {
    body: {
      email: values.email,
      givenName: values.givenName,
      familyName: values.familyName,
      phone: values.phone,
      mobilePhone: values.mobilePhone,
      workPhone: values.workPhone,
      birthYear: values.birthYear,
      postalAddress: {
        lines: [values.address, values.address2].filter((l): l is string => l !== undefined),
        locality: values.locality,
        region: values.region,
        postalCode: values.postalCode,
        country: values.country,
      },
      source: values.source ?? defaultSource,
      consent: tagged
        ? { socialProfiles: true, source: `${system}:tag:${CSV_CONSENT_TAG}` }
        : typeof consent === 'boolean'
          ? {
              socialProfiles: consent,
              at: values.consentAt,
              noticeVersion: values.consentNotice,
              source: values.consentSource,
            }
          : undefined,
    },
    origins,
  };
  const emailHeader = origins.email as string;
  if (draft.body.email === undefined) issues.push({ path: emailHeader, message: 'is empty' });
  if (consent === 'invalid')
    issues.push({ path: origins.consent as string, message: 'must be true or false (or yes/no, 1/0)' });
  const result = validateSignupDraft(draft);
  if (!result.success)
    issues.push(...result.issues.filter((i) => !(draft.body.email === undefined && i.path === emailHeader)));
  if (issues.length || !result.success) return { line, reason: reasonFromIssues(issues) };
  return { line, signup: result.signup, ...(statuses.length ? { statuses } : {}) };
}
