/** The signup fields a CSV column can fill, by our name. */
export const CSV_FIELDS = [
  'email',
  'givenName',
  'familyName',
  'phone',
  'birthYear',
  'address',
  'address2',
  'locality',
  'region',
  'postalCode',
  'country',
  'consentSocial',
  'consentAt',
  'consentNotice',
  'consentSource',
  'source',
] as const;
export type CsvField = (typeof CSV_FIELDS)[number];

/**
 * Header spellings accepted for each field, after {@link normaliseHeader} (lower case, runs of spaces, dashes and
 * dots as one underscore): `Email Address`, `E-mail` and `email` all name the email column.
 */
const ALIASES: Record<CsvField, readonly string[]> = {
  email: ['email', 'e_mail', 'email_address', 'e_mail_address', 'emailaddress', 'mail'],
  givenName: ['given_name', 'first_name', 'firstname', 'first', 'givenname', 'forename', 'prenom'],
  familyName: ['family_name', 'last_name', 'lastname', 'surname', 'last', 'familyname', 'nom'],
  phone: ['phone', 'phone_number', 'mobile', 'mobile_number', 'telephone'],
  birthYear: ['birth_year', 'birthyear', 'year_of_birth', 'yob'],
  address: ['address', 'street', 'address1', 'address_1', 'address_line_1', 'street_address', 'address_line1'],
  address2: ['address2', 'address_2', 'address_line_2', 'address_line2'],
  locality: ['locality', 'city', 'town'],
  region: ['region', 'state', 'province', 'state_code'],
  postalCode: ['postal_code', 'zip', 'zip5', 'zipcode', 'zip_code', 'postcode', 'postalcode'],
  country: ['country', 'country_code'],
  consentSocial: ['consent_social', 'consent_social_profiles', 'social_consent'],
  consentAt: ['consent_at', 'consent_date', 'consent_time', 'consented_at'],
  consentNotice: ['consent_notice', 'consent_notice_version', 'notice_version'],
  consentSource: ['consent_source'],
  source: ['source'],
};

const BY_ALIAS = new Map<string, CsvField>(
  CSV_FIELDS.flatMap((field) => ALIASES[field].map((alias) => [alias, field] as const)),
);

/** `"  Email Address "` → `email_address`. */
export function normaliseHeader(header: string): string {
  return header
    .trim()
    .toLowerCase()
    .replace(/[\s\-.]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** The field a header names, or undefined for a column the backfill does not read (it is ignored). */
export function fieldForHeader(header: string): CsvField | undefined {
  return BY_ALIAS.get(normaliseHeader(header));
}

/** Raised for a CSV header the backfill cannot work with; the message says what to change. */
export class CsvHeaderError extends Error {
  override readonly name = 'CsvHeaderError';
}

/** A header row read: the csv-parse column names (our field, or `false` to skip) and each field's header as written. */
export interface CsvHeaderMapping {
  columns: Array<CsvField | false>;
  headers: Partial<Record<CsvField, string>>;
}

/**
 * Maps a header row to fields. An email column is required; two columns for one field (`zip` and `postal_code`)
 * are refused rather than one silently winning; other columns are ignored.
 */
export function mapHeader(row: string[]): CsvHeaderMapping {
  const headers: Partial<Record<CsvField, string>> = {};
  const columns = row.map((header) => {
    const field = fieldForHeader(header);
    if (!field) return false as const;
    const earlier = headers[field];
    if (earlier !== undefined)
      throw new CsvHeaderError(`columns "${earlier}" and "${header}" both name ${field}; keep one`);
    headers[field] = header.trim();
    return field;
  });
  if (headers.email === undefined) {
    throw new CsvHeaderError(
      `the header has no email column (email, e-mail or Email Address, in any case); it has: ${row.join(', ')}`,
    );
  }
  return { columns, headers };
}
