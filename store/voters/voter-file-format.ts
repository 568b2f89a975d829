import { z } from 'zod';

const column = z.string().trim().min(1);

/** The date layouts voter files use: ISO (Ohio), US (North Carolina), and day first (a French liste électorale). */
export const DATE_FORMATS = ['YYYY-MM-DD', 'MM/DD/YYYY', 'DD/MM/YYYY'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** How to read a history file: one row per vote (ncvhis). */
export const HistoryMappingSchema = z.object({
  delimiter: z.string().length(1).default(','),
  dateFormat: z.enum(DATE_FORMATS).default('YYYY-MM-DD'),
  columns: z.object({
    voterId: column,
    electionDate: column,
    election: column,
    method: column.optional(),
    party: column.optional(),
  }),
});
export type HistoryMapping = z.infer<typeof HistoryMappingSchema>;

/** The country of a voter file whose mapping does not name one (every file before mappings had a country). */
export const DEFAULT_VOTER_FILE_COUNTRY = 'US';

/**
 * How to read a voter file: its delimiter, its date layout, and which header names each field we use (matched
 * without regard to case). `--format csv --mapping FILE` reads this from JSON, so a new state's file, or a French
 * list, loads without code. Only `voterId` and `lastName` are required; a named column the header lacks is
 * reported and left empty.
 */
export const VoterFileMappingSchema = z.object({
  delimiter: z.string().length(1).default(','),
  dateFormat: z.enum(DATE_FORMATS).default('YYYY-MM-DD'),
  /** The state (or country) of every row, for files that do not repeat it on each row. */
  state: z.string().trim().min(1).optional(),
  /**
   * The country the file covers (ISO 3166-1 alpha-2; default US): lookups and rematches match only signups of
   * this country (or of none known) against it.
   */
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code (US, FR)')
    .optional(),
  columns: z.object({
    /** The file's stable statewide id of the registration (`ncid`, `SOS_VOTERID`). */
    voterId: column,
    lastName: column,
    firstName: column.optional(),
    middleName: column.optional(),
    suffix: column.optional(),
    /** When the file splits the house number from the street; otherwise it is read from the street line. */
    houseNumber: column.optional(),
    street: column.optional(),
    city: column.optional(),
    state: column.optional(),
    zip: column.optional(),
    birthYear: column.optional(),
    /** A full birth date; only its year is kept. */
    birthDate: column.optional(),
    registrationDate: column.optional(),
    status: column.optional(),
    party: column.optional(),
    precinct: column.optional(),
    county: column.optional(),
  }),
  /** Record key → column: each non-empty value lands in the voter's `districts`. */
  districts: z.record(z.string(), column).default({}),
  /** The file's status codes → our words (`A` → `active`); a code not listed is kept, lower-cased. */
  statusValues: z.record(z.string(), z.string()).default({}),
  /** How `--history` files for this format read. */
  history: HistoryMappingSchema.optional(),
});
export type VoterFileMapping = z.infer<typeof VoterFileMappingSchema>;

/**
 * North Carolina's ncvoter layout (the State Board of Elections' layout_ncvoter.txt of February 2022, published with
 * the files at https://s3.amazonaws.com/dl.ncsbe.gov/data/): tab-separated, every field in double quotes,
 * `registr_dt` as MM/DD/YYYY, `birth_year` public (full birth dates are confidential by statute, N.C.G.S.
 * § 163-82.10(a1), and left out of the file). Its history file is ncvhis (layout_ncvhis.txt), linked by `ncid`.
 */
export const NCVOTER_MAPPING: VoterFileMapping = {
  delimiter: '\t',
  dateFormat: 'MM/DD/YYYY',
  country: 'US',
  columns: {
    voterId: 'ncid',
    lastName: 'last_name',
    firstName: 'first_name',
    middleName: 'middle_name',
    suffix: 'name_suffix_lbl',
    street: 'res_street_address',
    city: 'res_city_desc',
    state: 'state_cd',
    zip: 'zip_code',
    birthYear: 'birth_year',
    registrationDate: 'registr_dt',
    status: 'status_cd',
    party: 'party_cd',
    precinct: 'precinct_abbrv',
    county: 'county_desc',
  },
  districts: {
    congressional: 'cong_dist_abbrv',
    stateSenate: 'nc_senate_abbrv',
    stateHouse: 'nc_house_abbrv',
    municipality: 'municipality_desc',
    ward: 'ward_abbrv',
    countyCommission: 'county_commiss_abbrv',
    school: 'school_dist_abbrv',
    superiorCourt: 'super_court_abbrv',
    judicial: 'judic_dist_abbrv',
    township: 'township_desc',
    vtd: 'vtd_abbrv',
  },
  statusValues: { A: 'active', I: 'inactive', R: 'removed', D: 'denied', S: 'temporary' },
  history: {
    delimiter: '\t',
    dateFormat: 'MM/DD/YYYY',
    columns: {
      voterId: 'ncid',
      electionDate: 'election_lbl',
      election: 'election_desc',
      method: 'voting_method',
      party: 'voted_party_cd',
    },
  },
};

/** Every column of the ncvoter layout, in order (67): what the demo file and the benchmark write. */
export const NCVOTER_COLUMNS = [
  'county_id',
  'county_desc',
  'voter_reg_num',
  'ncid',
  'last_name',
  'first_name',
  'middle_name',
  'name_suffix_lbl',
  'status_cd',
  'voter_status_desc',
  'reason_cd',
  'voter_status_reason_desc',
  'res_street_address',
  'res_city_desc',
  'state_cd',
  'zip_code',
  'mail_addr1',
  'mail_addr2',
  'mail_addr3',
  'mail_addr4',
  'mail_city',
  'mail_state',
  'mail_zipcode',
  'full_phone_number',
  'confidential_ind',
  'registr_dt',
  'race_code',
  'ethnic_code',
  'party_cd',
  'gender_code',
  'birth_year',
  'age_at_year_end',
  'birth_state',
  'drivers_lic',
  'precinct_abbrv',
  'precinct_desc',
  'municipality_abbrv',
  'municipality_desc',
  'ward_abbrv',
  'ward_desc',
  'cong_dist_abbrv',
  'super_court_abbrv',
  'judic_dist_abbrv',
  'nc_senate_abbrv',
  'nc_house_abbrv',
  'county_commiss_abbrv',
  'county_commiss_desc',
  'township_abbrv',
  'township_desc',
  'school_dist_abbrv',
  'school_dist_desc',
  'fire_dist_abbrv',
  'fire_dist_desc',
  'water_dist_abbrv',
  'water_dist_desc',
  'sewer_dist_abbrv',
  'sewer_dist_desc',
  'sanit_dist_abbrv',
  'sanit_dist_desc',
  'rescue_dist_abbrv',
  'rescue_dist_desc',
  'munic_dist_abbrv',
  'munic_dist_desc',
  'dist_1_abbrv',
  'dist_1_desc',
  'vtd_abbrv',
  'vtd_desc',
] as const;

/** Every column of the ncvhis layout, in order (15). */
export const NCVHIS_COLUMNS = [
  'county_id',
  'county_desc',
  'voter_reg_num',
  'election_lbl',
  'election_desc',
  'voting_method',
  'voted_party_cd',
  'voted_party_desc',
  'pct_label',
  'pct_description',
  'ncid',
  'voted_county_id',
  'voted_county_desc',
  'vtd_label',
  'vtd_description',
] as const;

/** Raised when a file or mapping cannot be used at all (as opposed to a bad row, which is rejected and skipped). */
export class VoterFileError extends Error {
  override readonly name = 'VoterFileError';
}

/** Reads a `--mapping` JSON text; the error names the field that is wrong. */
export function parseVoterFileMapping(text: string): VoterFileMapping {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new VoterFileError(`the mapping is not JSON (${(err as Error).message})`);
  }
  const parsed = VoterFileMappingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new VoterFileError(`the mapping's ${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Where each mapped field sits in a header row, and which named columns the header lacks. */
export interface ResolvedHeader<K extends string> {
  index: Partial<Record<K, number>>;
  width: number;
  missing: string[];
}

/**
 * Finds the mapped columns in a header row, ignoring case and surrounding spaces. A missing required column is a
 * `VoterFileError` (nothing can be loaded); a missing optional one is listed in `missing`.
 */
export function resolveHeader<K extends string>(
  header: string[],
  columns: Partial<Record<K, string>>,
  required: readonly K[],
): ResolvedHeader<K> {
  const positions = new Map<string, number>();
  header.forEach((name, i) => {
    const key = name.trim().toLowerCase();
    if (!positions.has(key)) positions.set(key, i);
  });
  const index: Partial<Record<K, number>> = {};
  const missing: string[] = [];
  for (const [field, name] of Object.entries(columns) as Array<[K, string | undefined]>) {
    if (name === undefined) continue;
    const at = positions.get(name.trim().toLowerCase());
    if (at === undefined) {
      if (required.includes(field)) throw new VoterFileError(`the header has no ${name} column (needed for ${field})`);
      missing.push(name);
    } else index[field] = at;
  }
  return { index, width: header.length, missing };
}

export type VoterField = keyof VoterFileMapping['columns'];
export type HistoryField = keyof HistoryMapping['columns'];

/** What reading a voter file's rows needs once its header is known: plain data, so a worker thread can have it. */
export interface VoterReaderSetup {
  header: ResolvedHeader<VoterField>;
  mapping: VoterFileMapping;
  districtIndex: Array<[string, number]>;
}

/**
 * The setup for a voter file's header: where each mapped column and district is (a required column missing is a
 * VoterFileError), and the mapped columns the header lacks.
 */
export function voterReaderSetup(
  header: string[],
  mapping: VoterFileMapping,
): { setup: VoterReaderSetup; missing: string[] } {
  const resolved = resolveHeader<VoterField>(header, mapping.columns, ['voterId', 'lastName']);
  const districts = resolveHeader<string>(header, mapping.districts, []);
  const districtIndex = Object.keys(mapping.districts).flatMap((key) =>
    districts.index[key] === undefined ? [] : [[key, districts.index[key]] as [string, number]],
  );
  return { setup: { header: resolved, mapping, districtIndex }, missing: [...resolved.missing, ...districts.missing] };
}
