import { z } from 'zod';
import { EmailSchema } from './email.js';
import { storableLine } from './storable-text.js';

/**
 * A one-line text field: made storable first (NUL, lone surrogates and control characters out, see
 * storable-text.ts), then trimmed and bounded, so what is checked is what will be stored.
 */
const text = (max: number) => z.string().overwrite(storableLine).trim().min(1).max(max);

/**
 * An address line with line breaks in it (a multi-line spreadsheet cell, a textarea) is several lines: split, so
 * each stays one line wherever it is printed, and blank ones dropped.
 */
const splitLines = (value: unknown) =>
  Array.isArray(value)
    ? value.flatMap((line: unknown) =>
        typeof line === 'string' ? line.split(/\r\n|[\r\n\u2028\u2029]/).filter((l) => l.trim() !== '') : [line],
      )
    : value;

export const PostalAddressSchema = z.object({
  lines: z.preprocess(splitLines, z.array(text(200)).max(4)).optional(),
  locality: text(100).optional(),
  region: text(100).optional(),
  postalCode: text(20).optional(),
  country: z.string().trim().toUpperCase().length(2, 'must be an ISO 3166-1 alpha-2 code').optional(),
});
export type PostalAddress = z.infer<typeof PostalAddressSchema>;

/**
 * The person's own word on social-profile matching, kept per contact as evidence of the lawful basis: what they
 * answered (`false` records a refusal or a withdrawal), when, which version of the privacy notice they were shown,
 * and where the answer was captured (a form and its checkbox, a CRM tag, an operator). Enrichment never writes it.
 */
export const ConsentSchema = z.object({
  socialProfiles: z.boolean(),
  at: z.iso.datetime({ offset: true }).optional(),
  noticeVersion: text(50).optional(),
  /** Where the answer was captured, e.g. `form:petition-2026#consent_social`, `nationbuilder:tag:consent_social`. */
  source: text(100).optional(),
});
export type Consent = z.infer<typeof ConsentSchema>;

/** The generic signup body of `POST /v1/signups` and of `enrich signup` (docs/api.md, "Signup body"). */
export const SignupSchema = z.object({
  email: EmailSchema,
  givenName: text(100).optional(),
  familyName: text(100).optional(),
  /** The main (home) phone as the source gives it: NationBuilder `phone_number`, Action Network's first number. */
  phone: text(40).optional(),
  /** A mobile number kept apart from `phone` (NationBuilder `mobile_number`, an OSDI `number_type: Mobile`). */
  mobilePhone: text(40).optional(),
  /** A work number (NationBuilder `work_phone_number`, OSDI `number_type: Work`). */
  workPhone: text(40).optional(),
  birthYear: z.coerce.number().int().min(1900).max(2100).optional(),
  postalAddress: PostalAddressSchema.optional(),
  source: text(100).optional(),
  consent: ConsentSchema.optional(),
});
export type Signup = z.infer<typeof SignupSchema>;
