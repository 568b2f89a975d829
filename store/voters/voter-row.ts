import * as normalise from '../../domain/voter-matching/normalise.js';
import { plausibleBirthYear, zip5 } from '../../domain/voter-matching/normalise.js';
import { phoneticCode as phonetic } from '../../domain/voter-matching/phonetic.js';
import type {
  DateFormat,
  HistoryField,
  HistoryMapping,
  ResolvedHeader,
  VoterField,
  VoterFileMapping,
} from './voter-file-format.js';
import type { VoterRow } from './voter-tables.js';
import { storableLine } from '../../schemas/storable-text.js';

export { VOTER_COLUMNS, type VoterRow } from './voter-tables.js';

/**
 * A pure function of one string, remembered: a voter file repeats the same names, streets, cities and dates
 * millions of times, so folding each distinct value once is most of the import's speed. Forgets everything past
 * `limit`, so memory stays bounded whatever the file.
 */
function memo<T>(fn: (text: string) => T, limit = 200_000): (text: string | null) => T {
  const seen = new Map<string, T>();
  return (text) => {
    const key = text ?? '';
    let value = seen.get(key);
    if (value === undefined) {
      if (seen.size >= limit) seen.clear();
      value = fn(key);
      seen.set(key, value);
    }
    return value;
  };
}

const givenNameKey = memo(normalise.givenNameKey);
/** The family name's key and its phonetic code, together (one lookup for both). */
const familyKeys = memo((text): [string, string] => {
  const norm = normalise.familyNameKey(text);
  return [norm, phonetic(norm)];
});
const localityKey = memo((text) => normalise.localityKey(text) ?? null);
const streetKeysOf = memo(normalise.streetKeys);

/** What an address line gives a row: the line as stored (cleaned) and its match keys. */
interface AddressKeys {
  resAddress: string | null;
  houseNumber: string | null;
  streetCore: string | null;
}

/** The rest of a numbered line (`  W MARKET ST` of `482  W MARKET ST`), cleaned, with the keys of `1 <rest>`. */
const streetRest = memo((rest): { cleaned: string | null; keys: normalise.StreetKeys } => {
  const cleaned = clean(rest);
  return { cleaned, keys: normalise.streetKeys(cleaned === null ? null : `1 ${cleaned}`) };
});

/** True when `line` starts with 1 to 9 digits followed by a space. */
function numberEnd(line: string): number {
  let i = 0;
  while (i < line.length && i < 10 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i++;
  return i > 0 && i < 10 && line.charCodeAt(i) === 32 ? i : -1;
}

/**
 * The stored address line and its match keys, from the file's raw street field, remembered per street rather than
 * per address (almost every address is different, the streets are few): a line that starts with a plain house
 * number has the keys of `1 <rest of the line>` with its own number, since streetKeys reads a number as digits
 * (leading zeros dropped) and nothing after depends on which. Any other line is cleaned and read whole.
 */
function addressOf(raw: string | undefined): AddressKeys {
  const end = raw === undefined ? -1 : numberEnd(raw);
  if (end !== -1) {
    const rest = streetRest(raw!.slice(end));
    if (rest.cleaned !== null && rest.keys.houseNumber === '1') {
      const digits = raw!.slice(0, end);
      return {
        resAddress: `${digits} ${rest.cleaned}`,
        houseNumber: String(Number(digits)),
        streetCore: rest.keys.streetCore ?? null,
      };
    }
  }
  const resAddress = clean(raw);
  const keys = streetKeysOf(resAddress);
  return { resAddress, houseNumber: keys.houseNumber ?? null, streetCore: keys.streetCore ?? null };
}

/** One vote: a voter took part in an election (ncvhis). */
export interface VoteRow {
  voter_id: string;
  election_date: string | null;
  election: string;
  method: string | null;
  party: string | null;
  source_line: number;
}

export const VOTE_COLUMNS = [
  'voter_id',
  'election_date',
  'election',
  'method',
  'party',
  'source_line',
] as const satisfies ReadonlyArray<keyof VoteRow>;

export type { HistoryField, VoterField } from './voter-file-format.js';

/** A row that cannot be loaded, and why (the line number goes with it to the rejects file). */
export interface RowReject {
  reason: string;
}

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/**
 * Trimmed, inner runs of spaces collapsed (`1187  NEIL AVE ` → `1187 NEIL AVE`); null when blank. A NUL or other
 * control character (which COPY would refuse, failing the whole import) is removed as for any text from outside.
 */
function clean(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const storable = CONTROL.test(value) ? storableLine(value) : value;
  const text = /\s\s|^\s|\s$|[\t\r\n]/.test(storable) ? storable.replace(/\s+/g, ' ').trim() : storable;
  return text === '' ? null : text;
}

/**
 * `YYYY-MM-DD` from a date in the file's layout, or null when it is blank or not a real date (North Carolina
 * writes `##/##/####` for unknown registration dates; that is no reason to reject the voter).
 */
export function parseFileDate(value: string | null, format: DateFormat): string | null {
  if (value === null) return null;
  const parts =
    format === 'YYYY-MM-DD' ? /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(value) : /^(\d{1,2})\/(\d{1,2})\/(\d{4})/.exec(value);
  if (!parts) return null;
  const [year, month, day] =
    format === 'YYYY-MM-DD'
      ? [parts[1], parts[2], parts[3]]
      : format === 'MM/DD/YYYY'
        ? [parts[3], parts[1], parts[2]]
        : [parts[3], parts[2], parts[1]];
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (y < 1800 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return null; // 31 April and the like
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

const fieldCount = (line: string[], width: number): RowReject | undefined =>
  line.length === width ? undefined : { reason: `has ${line.length} fields, the header has ${width}` };

/** Where a field sits in the record, or -1 when the header does not have it. */
const at = <K extends string>(header: ResolvedHeader<K>, field: K) => header.index[field] ?? -1;

/** A field of the record, cleaned; null when blank or when the header does not have it (index -1). */
const field = (values: string[], index: number) => (index === -1 ? null : clean(values[index]));

/** Where each field the reader uses sits in the record (-1 when the header does not have it). */
function columnsOf(header: ResolvedHeader<VoterField>) {
  return {
    voterId: at(header, 'voterId'),
    lastName: at(header, 'lastName'),
    firstName: at(header, 'firstName'),
    middleName: at(header, 'middleName'),
    suffix: at(header, 'suffix'),
    houseNumber: at(header, 'houseNumber'),
    street: at(header, 'street'),
    city: at(header, 'city'),
    state: at(header, 'state'),
    zip: at(header, 'zip'),
    birthYear: at(header, 'birthYear'),
    birthDate: at(header, 'birthDate'),
    registrationDate: at(header, 'registrationDate'),
    status: at(header, 'status'),
    party: at(header, 'party'),
    precinct: at(header, 'precinct'),
    county: at(header, 'county'),
  };
}

/** The residential address keys, from a house number and street in two columns or one address column. */
function addressFrom(values: string[], columns: ReturnType<typeof columnsOf>): AddressKeys {
  const houseNumber = field(values, columns.houseNumber);
  if (houseNumber === null) return addressOf(columns.street === -1 ? undefined : values[columns.street]);
  const street = field(values, columns.street);
  const keys = streetKeysOf(street ? `${houseNumber} ${street}` : null);
  return {
    resAddress: street ? `${houseNumber} ${street}` : null,
    houseNumber: keys.houseNumber ?? null,
    streetCore: keys.streetCore ?? null,
  };
}

/**
 * A reader of one voter file's records: each record becomes a row to load (the registration and its match keys),
 * or the reason it cannot be loaded. Built once per file: the columns are found once, and dates are parsed once per
 * distinct value.
 */
export function voterRowReader(
  header: ResolvedHeader<VoterField>,
  mapping: VoterFileMapping,
  districtIndex: Array<[string, number]>,
): (values: string[], line: number) => VoterRow | RowReject {
  const columns = columnsOf(header);
  const fileDate = memo((text) => parseFileDate(text === '' ? null : text, mapping.dateFormat));
  return (values, line) => {
    if (values.length !== header.width)
      return { reason: `has ${values.length} fields, the header has ${header.width}` };
    const voterId = field(values, columns.voterId);
    if (voterId === null) return { reason: `no voter id (${mapping.columns.voterId})` };
    if (voterId.length > 64)
      return { reason: `the voter id (${mapping.columns.voterId}) is longer than 64 characters` };
    const lastName = field(values, columns.lastName);
    const [lastNorm, lastPhonetic] = familyKeys(lastName);
    if (lastName === null || lastNorm === '') return { reason: `no last name (${mapping.columns.lastName})` };

    const firstName = field(values, columns.firstName) ?? '';
    const middleName = field(values, columns.middleName);
    const address = addressFrom(values, columns);
    const city = field(values, columns.city);
    const birthText =
      field(values, columns.birthYear) ?? fileDate(field(values, columns.birthDate))?.slice(0, 4) ?? null;
    const statusCode = field(values, columns.status);
    const districts: Record<string, string> = {};
    for (const [key, index] of districtIndex) {
      const value = clean(values[index]);
      if (value !== null) districts[key] = value;
    }
    return {
      voter_id: voterId,
      source_line: line,
      first_name: firstName,
      middle_name: middleName,
      last_name: lastName,
      name_suffix: field(values, columns.suffix),
      first_norm: givenNameKey(firstName),
      middle_norm: givenNameKey(middleName),
      last_norm: lastNorm,
      last_phonetic: lastPhonetic,
      birth_year: plausibleBirthYear(birthText === null ? null : Number(birthText)) ?? null,
      house_number: address.houseNumber,
      street_core: address.streetCore,
      res_address: address.resAddress,
      city,
      city_norm: localityKey(city),
      state: field(values, columns.state) ?? mapping.state ?? null,
      zip5: zip5(field(values, columns.zip)) ?? null,
      county: field(values, columns.county),
      status: statusCode === null ? null : (mapping.statusValues[statusCode] ?? statusCode.toLowerCase()),
      party: field(values, columns.party),
      precinct: field(values, columns.precinct),
      registration_date: fileDate(field(values, columns.registrationDate)),
      districts,
    };
  };
}

/** One record of a history file as a vote to load, or why it cannot be loaded. */
export function voteRowFromRecord(
  values: string[],
  line: number,
  header: ResolvedHeader<HistoryField>,
  mapping: HistoryMapping,
): VoteRow | RowReject {
  const wrongWidth = fieldCount(values, header.width);
  if (wrongWidth) return wrongWidth;
  const get = (field: HistoryField) => {
    const index = header.index[field];
    return index === undefined ? null : clean(values[index]);
  };
  const voterId = get('voterId');
  if (voterId === null) return { reason: `no voter id (${mapping.columns.voterId})` };
  const dateText = get('electionDate');
  const election = get('election') ?? dateText;
  if (election === null) return { reason: `no election (${mapping.columns.election})` };
  return {
    voter_id: voterId,
    election_date: parseFileDate(dateText, mapping.dateFormat),
    election,
    method: get('method'),
    party: get('party'),
    source_line: line,
  };
}

const COPY_SPECIAL = /[\\\t\n\r]/;

/** A value in Postgres' COPY text format: `\N` for null, backslash escapes for the delimiter and line breaks. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return COPY_SPECIAL.test(text)
    ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : text;
}

/** One row as a line of COPY text input, in the order of `columns`. */
export function copyLine<T extends object>(row: T, columns: ReadonlyArray<keyof T>): string {
  let line = copyValue(row[columns[0]!]);
  for (let i = 1; i < columns.length; i++) line += `\t${copyValue(row[columns[i]!])}`;
  return `${line}\n`;
}
