/** The signup fields a CSV column can fill, by our name. */
export const CSV_FIELDS = [
  'email',
  'givenName',
  'familyName',
  'phone',
  'mobilePhone',
  'workPhone',
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
  'tags',
  'listStatus',
  'doNotContact',
  'deceased',
  'unsubscribedAt',
  'emailOptIn',
] as const;
export type CsvField = (typeof CSV_FIELDS)[number];

/** Where a CSV comes from: a NationBuilder people export, an Action Network export, or any other spreadsheet. */
export const CSV_SOURCES = ['generic', 'nationbuilder', 'actionnetwork'] as const;
export type CsvSource = (typeof CSV_SOURCES)[number];

/**
 * Header spellings accepted for each field, after {@link normaliseHeader} (lower case, runs of spaces, dashes and
 * dots as one underscore): `Email Address`, `E-mail` and `email` all name the email column.
 */
const ALIASES: Record<CsvField, readonly string[]> = {
  email: ['email', 'e_mail', 'email_address', 'e_mail_address', 'emailaddress', 'mail'],
  givenName: ['given_name', 'first_name', 'firstname', 'first', 'givenname', 'forename', 'prenom'],
  familyName: ['family_name', 'last_name', 'lastname', 'surname', 'last', 'familyname', 'nom'],
  phone: ['phone', 'phone_number', 'telephone', 'home_phone', 'can2_phone'],
  mobilePhone: ['mobile', 'mobile_number', 'mobile_phone', 'cell', 'cell_phone'],
  workPhone: ['work_phone', 'work_phone_number'],
  birthYear: ['birth_year', 'birthyear', 'year_of_birth', 'yob'],
  address: [
    'address',
    'street',
    'address1',
    'address_1',
    'address_line_1',
    'street_address',
    'address_line1',
    'primary_address1',
    'can2_user_address',
  ],
  address2: ['address2', 'address_2', 'address_line_2', 'address_line2', 'primary_address2'],
  locality: ['locality', 'city', 'town', 'primary_city', 'can2_user_city'],
  region: ['region', 'state', 'province', 'state_code', 'primary_state', 'can2_state_abbreviated'],
  postalCode: ['postal_code', 'zip', 'zip5', 'zipcode', 'zip_code', 'postcode', 'postalcode', 'primary_zip'],
  country: ['country', 'country_code', 'primary_country_code'],
  consentSocial: ['consent_social', 'consent_social_profiles', 'social_consent'],
  consentAt: ['consent_at', 'consent_date', 'consent_time', 'consented_at'],
  consentNotice: ['consent_notice', 'consent_notice_version', 'notice_version'],
  consentSource: ['consent_source'],
  source: ['source'],
  tags: ['tags', 'tag_list', 'can2_user_tags'],
  listStatus: ['subscription_status', 'email_status', 'list_status', 'can2_subscription_status'],
  doNotContact: ['do_not_contact'],
  deceased: ['is_deceased', 'deceased'],
  unsubscribedAt: ['unsubscribed_at'],
  emailOptIn: ['email_opt_in'],
};

/**
 * The columns of each known export that may hold the same field, best first: a row takes the first that is not
 * blank (a NationBuilder person whose `email` is empty but `email1` is set keeps `email1`). Each list is made from
 * the export's documented columns (docs/exports.md). Columns not listed fall back to {@link ALIASES}.
 */
const PROFILES: Record<Exclude<CsvSource, 'generic'>, Partial<Record<CsvField, readonly string[]>>> = {
  nationbuilder: {
    email: ['email', 'email1', 'email2', 'email3', 'email4'],
    phone: ['phone_number'],
    mobilePhone: ['mobile_number'],
    workPhone: ['work_phone_number'],
    address: ['primary_address1', 'address_address1', 'mailing_address1'],
    address2: ['primary_address2', 'address_address2', 'mailing_address2'],
    locality: ['primary_city', 'address_city', 'mailing_city'],
    region: ['primary_state', 'address_state', 'mailing_state'],
    postalCode: ['primary_zip', 'address_zip', 'mailing_zip'],
    country: ['primary_country_code', 'address_country_code', 'mailing_country_code'],
  },
  actionnetwork: {
    phone: ['can2_phone', 'phone', 'phone_number'],
    address: ['can2_user_address'],
    locality: ['can2_user_city'],
    region: ['can2_state_abbreviated', 'can2_user_state'],
    postalCode: ['zip_code', 'can2_user_zip'],
    country: ['can2_country', 'country'],
    listStatus: ['can2_subscription_status'],
    tags: ['can2_user_tags'],
  },
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

/**
 * A header row read: the csv-parse column names (our field, `<field>~<n>` for a known export's further columns for
 * the same field, or `false` to skip), each field's header as written, and the export it was read as.
 */
export interface CsvHeaderMapping {
  columns: Array<string | false>;
  headers: Partial<Record<CsvField, string>>;
  /** For a known export: the further columns of a field, best first (`email~1` is NationBuilder's `email1`). */
  fallbacks?: Partial<Record<CsvField, Array<{ key: string; header: string }>>>;
  /** Absent for a generic CSV. */
  source?: Exclude<CsvSource, 'generic'>;
}

/** The export a header comes from, when its columns say so: Action Network's `can2_…`, NationBuilder's `primary_…`. */
export function detectCsvSource(row: string[]): CsvSource {
  const names = new Set(row.map(normaliseHeader));
  if ([...names].some((n) => n.startsWith('can2_'))) return 'actionnetwork';
  if (names.has('nationbuilder_id') || names.has('primary_address1') || names.has('mobile_number'))
    return 'nationbuilder';
  return 'generic';
}

/** The field and rank (lower is better) of a header in a known export. */
function profileField(
  source: Exclude<CsvSource, 'generic'>,
  name: string,
): { field: CsvField; rank: number } | undefined {
  for (const [field, names] of Object.entries(PROFILES[source]) as Array<[CsvField, readonly string[]]>) {
    const rank = names.indexOf(name);
    if (rank >= 0) return { field, rank };
  }
  const field = BY_ALIAS.get(name);
  return field ? { field, rank: 100 } : undefined;
}

function mapProfileHeader(row: string[], source: Exclude<CsvSource, 'generic'>): CsvHeaderMapping {
  const found = row.map((header, index) => ({
    header: header.trim(),
    index,
    ...profileField(source, normaliseHeader(header)),
  }));
  const columns: Array<string | false> = row.map(() => false);
  const headers: Partial<Record<CsvField, string>> = {};
  const fallbacks: NonNullable<CsvHeaderMapping['fallbacks']> = {};
  for (const field of CSV_FIELDS) {
    const mine = found
      .filter((f): f is typeof f & { field: CsvField; rank: number } => f.field === field)
      .sort((a, b) => a.rank - b.rank || a.index - b.index);
    mine.forEach((f, n) => {
      const key = n === 0 ? field : `${field}~${n}`;
      columns[f.index] = key;
      if (n === 0) headers[field] = f.header;
      else (fallbacks[field] ??= []).push({ key, header: f.header });
    });
  }
  return { columns, headers, fallbacks, source };
}

/**
 * Maps a header row to fields. An email column is required; other columns are ignored. `from` names the export
 * (`nationbuilder`, `actionnetwork`); without it, the header's own columns tell (`can2_…` is Action Network,
 * `primary_address1`, `mobile_number` or `nationbuilder_id` NationBuilder). A known export may have several columns
 * for one field, read best first; a generic CSV with two columns for one field (`zip` and `postal_code`) is refused
 * rather than one silently winning.
 */
export function mapHeader(row: string[], from?: CsvSource): CsvHeaderMapping {
  const source = from ?? detectCsvSource(row);
  const mapping = source === 'generic' ? mapGenericHeader(row) : mapProfileHeader(row, source);
  if (mapping.headers.email === undefined) {
    throw new CsvHeaderError(
      `the header has no email column (email, e-mail or Email Address, in any case); it has: ${row.join(', ')}`,
    );
  }
  return mapping;
}

function mapGenericHeader(row: string[]): CsvHeaderMapping {
  const headers: Partial<Record<CsvField, string>> = {};
  const columns = row.map((header) => {
    const field = fieldForHeader(header);
    if (!field) return false as const;
    const earlier = headers[field];
    if (earlier !== undefined)
      throw new CsvHeaderError(
        `columns "${earlier}" and "${header}" both name ${field}; keep one, or say which export this is with --from nationbuilder|actionnetwork`,
      );
    headers[field] = header.trim();
    return field;
  });
  return { columns, headers };
}
