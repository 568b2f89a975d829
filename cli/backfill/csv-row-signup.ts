import {
  parseFlag,
  text,
  validateSignupDraft,
  type FieldIssue,
  type SignupDraft,
} from '../../api/mappers/signup-draft.js';
import { reasonFromIssues, type BackfillRow } from './backfill-row.js';
import type { CsvField, CsvHeaderMapping } from './column-aliases.js';

/** A CSV record keyed by field (csv-parse has already dropped the columns the backfill does not read). */
export type CsvRecord = Partial<Record<CsvField, string>>;

/**
 * Turns one CSV record into a signup, validated by the same schema as `POST /v1/signups`, or into a reject whose
 * reason names the column as the file's header writes it.
 *
 * Consent: `consent_social` true/yes/1 is consent to social matching, false/no/0 an explicit refusal, blank says
 * nothing (so no social lookups under the default basis); anything else rejects the row rather than guess.
 * `consent_at`, `consent_notice` and `consent_source` say when, under which notice and where the answer was given;
 * they are kept with it (and ignored when `consent_social` is blank).
 */
export function csvRowSignup(
  record: CsvRecord,
  line: number,
  header: CsvHeaderMapping,
  defaultSource: string,
): BackfillRow {
  const name = (field: CsvField) => header.headers[field] ?? field;
  const consent = parseFlag(record.consentSocial);
  const lines = [text(record.address), text(record.address2)];
  const origins: Record<string, string> = {
    email: name('email'),
    givenName: name('givenName'),
    familyName: name('familyName'),
    phone: name('phone'),
    birthYear: name('birthYear'),
    'postalAddress.lines.0': lines[0] === undefined ? name('address2') : name('address'),
    'postalAddress.lines.1': name('address2'),
    'postalAddress.locality': name('locality'),
    'postalAddress.region': name('region'),
    'postalAddress.postalCode': name('postalCode'),
    'postalAddress.country': name('country'),
    source: name('source'),
    consent: name('consentSocial'),
    'consent.at': name('consentAt'),
    'consent.noticeVersion': name('consentNotice'),
    'consent.source': name('consentSource'),
  };
  const draft: SignupDraft = {
    body: {
      email: text(record.email),
      givenName: text(record.givenName),
      familyName: text(record.familyName),
      phone: text(record.phone),
      birthYear: text(record.birthYear),
      postalAddress: {
        lines: lines.filter((l): l is string => l !== undefined),
        locality: text(record.locality),
        region: text(record.region),
        postalCode: text(record.postalCode),
        country: text(record.country),
      },
      source: text(record.source) ?? defaultSource,
      consent:
        typeof consent === 'boolean'
          ? {
              socialProfiles: consent,
              at: text(record.consentAt),
              noticeVersion: text(record.consentNotice),
              source: text(record.consentSource),
            }
          : undefined,
    },
    origins,
  };
  const issues: FieldIssue[] = [];
  if (draft.body.email === undefined) issues.push({ path: name('email'), message: 'is empty' });
  if (consent === 'invalid')
    issues.push({ path: name('consentSocial'), message: 'must be true or false (or yes/no, 1/0)' });
  const result = validateSignupDraft(draft);
  if (!result.success)
    issues.push(...result.issues.filter((i) => !(draft.body.email === undefined && i.path === name('email'))));
  if (issues.length || !result.success) return { line, reason: reasonFromIssues(issues) };
  return { line, signup: result.signup };
}
