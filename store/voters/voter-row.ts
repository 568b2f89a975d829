import * as normalise from '../../activities/voter-matching/normalise.js';
import { plausibleBirthYear, zip5 } from '../../activities/voter-matching/normalise.js';
import { phoneticCode as phonetic } from '../../activities/voter-matching/phonetic.js';
import type { DateFormat, HistoryMapping, ResolvedHeader, VoterFileMapping } from './voter-file-format.js';

/**
 * A pure function of one string, remembered: a voter file repeats the same names, streets and cities millions of
 * times, so folding each distinct value once is most of the import's speed. Forgets everything past `limit`.
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
const familyNameKey = memo(normalise.familyNameKey);
const streetKeys = memo(normalise.streetKeys);
const localityKey = memo(normalise.localityKey);
const phoneticCode = memo(phonetic);

/** One voter as loaded: what the file says (for display and the record) and the match keys (for blocking and scoring). */
export interface VoterRow {
  voter_id: string;
  source_line: number;
  first_name: string;
  middle_name: string | null;
  last_name: string;
  name_suffix: string | null;
  first_norm: string;
  middle_norm: string;
  last_norm: string;
  last_phonetic: string;
  birth_year: number | null;
  house_number: string | null;
  street_core: string | null;
  res_address: string | null;
  city: string | null;
  city_norm: string | null;
  state: string | null;
  zip5: string | null;
  county: string | null;
  status: string | null;
  party: string | null;
  precinct: string | null;
  registration_date: string | null;
  districts: Record<string, string>;
}

/** The columns of `voters`, in the order rows are copied. */
export const VOTER_COLUMNS = [
  'voter_id', 'source_line', 'first_name', 'middle_name', 'last_name', 'name_suffix', 'first_norm', 'middle_norm', 'last_norm',
  'last_phonetic', 'birth_year', 'house_number', 'street_core', 'res_address', 'city', 'city_norm', 'state', 'zip5', 'county',
  'status', 'party', 'precinct', 'registration_date', 'districts',
] as const satisfies ReadonlyArray<keyof VoterRow>;

/** One vote: a voter took part in an election (ncvhis). */
export interface VoteRow {
  voter_id: string;
  election_date: string | null;
  election: string;
  method: string | null;
  party: string | null;
  source_line: number;
}

export const VOTE_COLUMNS = ['voter_id', 'election_date', 'election', 'method', 'party', 'source_line'] as const satisfies ReadonlyArray<keyof VoteRow>;

export type VoterField = keyof VoterFileMapping['columns'];
export type HistoryField = keyof HistoryMapping['columns'];

/** A row that cannot be loaded, and why (the line number goes with it to the rejects file). */
export interface RowReject {
  reason: string;
}

/** Trimmed, inner runs of spaces collapsed (`1187  NEIL AVE ` → `1187 NEIL AVE`); null when blank. */
function clean(value: string | undefined): string | null {
  if (value === undefined || value === '') return null;
  const text = /\s\s|^\s|\s$|[\t\r\n]/.test(value) ? value.replace(/\s+/g, ' ').trim() : value;
  return text === '' ? null : text;
}

/**
 * `YYYY-MM-DD` from a date in the file's layout, or null when it is blank or not a real date (North Carolina
 * writes `##/##/####` for unknown registration dates; that is no reason to reject the voter).
 */
export function parseFileDate(value: string | null, format: DateFormat): string | null {
  if (value === null) return null;
  const parts = format === 'YYYY-MM-DD' ? /^(\d{4})-(\d{1,2})-(\d{1,2})/.exec(value) : /^(\d{1,2})\/(\d{1,2})\/(\d{4})/.exec(value);
  if (!parts) return null;
  const [year, month, day] =
    format === 'YYYY-MM-DD' ? [parts[1], parts[2], parts[3]] : format === 'MM/DD/YYYY' ? [parts[3], parts[1], parts[2]] : [parts[3], parts[2], parts[1]];
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

/** One record of a voter file as a row to load, or why it cannot be loaded. */
export function voterRowFromRecord(values: string[], line: number, header: ResolvedHeader<VoterField>, mapping: VoterFileMapping, districtIndex: Array<[string, number]>): VoterRow | RowReject {
  const wrongWidth = fieldCount(values, header.width);
  if (wrongWidth) return wrongWidth;
  const get = (field: VoterField) => {
    const at = header.index[field];
    return at === undefined ? null : clean(values[at]);
  };
  const voterId = get('voterId');
  if (voterId === null) return { reason: `no voter id (${mapping.columns.voterId})` };
  if (voterId.length > 64) return { reason: `the voter id (${mapping.columns.voterId}) is longer than 64 characters` };
  const lastName = get('lastName');
  const lastNorm = familyNameKey(lastName);
  if (lastName === null || lastNorm === '') return { reason: `no last name (${mapping.columns.lastName})` };

  const firstName = get('firstName') ?? '';
  const middleName = get('middleName');
  const houseNumber = get('houseNumber');
  const street = get('street');
  const resAddress = houseNumber && street ? `${houseNumber} ${street}` : street;
  const keys = streetKeys(resAddress);
  const city = get('city');
  const birthText = get('birthYear') ?? parseFileDate(get('birthDate'), mapping.dateFormat)?.slice(0, 4) ?? null;
  const statusCode = get('status');
  const districts: Record<string, string> = {};
  for (const [key, at] of districtIndex) {
    const value = clean(values[at]);
    if (value !== null) districts[key] = value;
  }
  return {
    voter_id: voterId,
    source_line: line,
    first_name: firstName,
    middle_name: middleName,
    last_name: lastName,
    name_suffix: get('suffix'),
    first_norm: givenNameKey(firstName),
    middle_norm: givenNameKey(middleName),
    last_norm: lastNorm,
    last_phonetic: phoneticCode(lastNorm),
    birth_year: plausibleBirthYear(birthText === null ? null : Number(birthText)) ?? null,
    house_number: keys.houseNumber ?? null,
    street_core: keys.streetCore ?? null,
    res_address: resAddress,
    city,
    city_norm: localityKey(city) ?? null,
    state: get('state') ?? mapping.state ?? null,
    zip5: zip5(get('zip')) ?? null,
    county: get('county'),
    status: statusCode === null ? null : (mapping.statusValues[statusCode] ?? statusCode.toLowerCase()),
    party: get('party'),
    precinct: get('precinct'),
    registration_date: parseFileDate(get('registrationDate'), mapping.dateFormat),
    districts,
  };
}

/** One record of a history file as a vote to load, or why it cannot be loaded. */
export function voteRowFromRecord(values: string[], line: number, header: ResolvedHeader<HistoryField>, mapping: HistoryMapping): VoteRow | RowReject {
  const wrongWidth = fieldCount(values, header.width);
  if (wrongWidth) return wrongWidth;
  const get = (field: HistoryField) => {
    const at = header.index[field];
    return at === undefined ? null : clean(values[at]);
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

/** A value in Postgres' COPY text format: `\N` for null, backslash escapes for the delimiter and line breaks. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : text;
}

/** One row as a line of COPY text input, in the order of `columns`. */
export function copyLine<T extends object>(row: T, columns: ReadonlyArray<keyof T>): string {
  let line = '';
  for (let i = 0; i < columns.length; i++) line += (i ? '\t' : '') + copyValue(row[columns[i]!]);
  return `${line}\n`;
}
