import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import type { MatchKeys } from '../../domain/voter-matching/normalise.js';
import type { Database } from '../database.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
/** A `date` column: pg returns a Date, PGlite a Date too; written as `YYYY-MM-DD`. */
type DateColumn = ColumnType<Date | null, string | null, string | null>;

/**
 * The columns of `voters`, in the order rows are copied, with their SQL types: the one list the load table, the COPY,
 * the row type and every query that reads whole registrations derive from (migration 0003 made the first, empty
 * copy; each import builds its own from this list, so an import always builds the current shape). The voter id and
 * the match keys are compared byte for byte (`collate "C"`): they are folded ASCII or codes, only ever compared for
 * equality, and indexes on them build two to three times faster than under a language's collation.
 */
export const VOTER_COLUMN_TYPES = {
  voter_id: 'text collate "C" not null',
  source_line: 'integer not null',
  first_name: 'text not null',
  middle_name: 'text',
  last_name: 'text not null',
  name_suffix: 'text',
  first_norm: 'text collate "C" not null',
  middle_norm: 'text collate "C" not null',
  last_norm: 'text collate "C" not null',
  last_phonetic: 'text collate "C" not null',
  birth_year: 'smallint',
  house_number: 'text collate "C"',
  street_core: 'text collate "C"',
  res_address: 'text',
  city: 'text',
  city_norm: 'text collate "C"',
  state: 'text',
  zip5: 'text collate "C"',
  county: 'text',
  status: 'text',
  party: 'text',
  precinct: 'text',
  registration_date: 'date',
  districts: "jsonb not null default '{}'",
} as const;

type SqlTypeOf<C extends keyof typeof VOTER_COLUMN_TYPES> = (typeof VOTER_COLUMN_TYPES)[C];
/** The JavaScript value of a column of that SQL type: a date as `YYYY-MM-DD`, the districts as an object. */
type ValueOf<T extends string> = T extends `jsonb${string}`
  ? Record<string, string>
  : T extends `text${string}` | `date${string}`
    ? string
    : number;
type Nullable<T extends string, V> = T extends `${string}not null${string}` ? V : V | null;

/** One voter as loaded and read back: what the file says (for display and the record) and the match keys. */
export type VoterRow = {
  -readonly [C in keyof typeof VOTER_COLUMN_TYPES]: Nullable<SqlTypeOf<C>, ValueOf<SqlTypeOf<C>>>;
};

/** The columns of `voters`, in the order rows are copied. */
export const VOTER_COLUMNS = Object.keys(VOTER_COLUMN_TYPES) as Array<keyof VoterRow>;

/** One registration of the current voter file, with its match keys, as kysely sees it. */
export type VoterTable = {
  [C in keyof VoterRow]: C extends 'registration_date'
    ? DateColumn
    : C extends 'districts'
      ? Json<Record<string, string>>
      : VoterRow[C];
};

/** Where each match key lives: the same columns in `voters` and in `voter_contact_keys`. */
export const MATCH_KEY_COLUMNS = {
  first: 'first_norm',
  middle: 'middle_norm',
  last: 'last_norm',
  lastPhonetic: 'last_phonetic',
  birthYear: 'birth_year',
  houseNumber: 'house_number',
  streetCore: 'street_core',
  zip5: 'zip5',
  locality: 'city_norm',
} as const satisfies Record<keyof MatchKeys, keyof VoterRow>;

/** The match key columns of a row (a voter's or a contact's). */
export type MatchKeyColumns = {
  [K in keyof MatchKeys as (typeof MATCH_KEY_COLUMNS)[K]]-?: VoterRow[(typeof MATCH_KEY_COLUMNS)[K]];
};

/** Match keys as columns (an absent key is null). */
export function matchKeyColumns(keys: MatchKeys): MatchKeyColumns {
  const columns: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(MATCH_KEY_COLUMNS)) columns[column] = keys[key as keyof MatchKeys] ?? null;
  return columns as MatchKeyColumns;
}

/** Match keys from their columns (null is an absent key); written out, as every candidate of a lookup goes through it. */
export function matchKeysOf(row: MatchKeyColumns): MatchKeys {
  return {
    first: row.first_norm,
    middle: row.middle_norm,
    last: row.last_norm,
    lastPhonetic: row.last_phonetic,
    birthYear: row.birth_year ?? undefined,
    houseNumber: row.house_number ?? undefined,
    streetCore: row.street_core ?? undefined,
    zip5: row.zip5 ?? undefined,
    locality: row.city_norm ?? undefined,
  };
}

/** One vote of one voter (ncvhis): one row per voter per election, possibly repeated with another method label. */
export interface VoterVoteTable {
  voter_id: string;
  election_date: DateColumn;
  election: string;
  method: string | null;
  party: string | null;
  source_line: number;
}

/**
 * How many voters of the current file have a first name, family name, ZIP or locality (`kind`). A family name also
 * carries its phonetic code (migration 0006), so the trigram stage can reach its voters through the blocking index.
 */
export interface VoterNameCountTable {
  kind: 'first' | 'last' | 'zip' | 'city';
  name: string;
  n: number;
  phonetic: string | null;
}

/**
 * Each ZIP's distinct family names with their phonetic code (migration 0006): where the trigram stage looks for a
 * misspelt family name, among the names of the supporter's own ZIP. Hash-partitioned by ZIP (up to
 * ZIP_NAME_PARTITIONS), with a trigram index on `name` in each partition.
 */
export interface VoterZipNameTable {
  zip5: string;
  name: string;
  phonetic: string;
}

/** The most partitions an import gives `voter_zip_names` (some 12,000 names each for a statewide file of 8 million). */
export const ZIP_NAME_PARTITIONS = 256;

export interface VoterImportTable {
  id: Generated<string>;
  source: string;
  history_source: string | null;
  format: string;
  /** The country the file covers (ISO 3166-1 alpha-2; migration 0008, US before). */
  country: Generated<string>;
  /** The columns with a default (migration 0003): an import's row starts `loading`, with nothing counted. */
  state: Generated<'loading' | 'active' | 'replaced' | 'failed'>;
  rows: Generated<number>;
  rejected: Generated<number>;
  voters: Generated<number>;
  history_rows: number | null;
  error: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface VoterNicknameTable {
  name: string;
  group_id: number;
}

/** A contact's match keys, as the last rematch computed them from the signup. */
export type VoterContactKeyTable = MatchKeyColumns & {
  contact_id: string;
  /** What the keys were computed from (see `SIGNUP_HASH_SQL` in rematch/keys.ts); null before migration 0006. */
  signup_hash: string | null;
  updated_at: Timestamp;
};

/**
 * The current decision for each contact looked up in the voter file, and what was last reported of the matched
 * registration (to tell a move or a change from nothing new at the next rematch).
 */
export interface VoterMatchTable {
  contact_id: string;
  state: 'matched' | 'ambiguous' | 'no_match';
  voter_id: string | null;
  score: number | null;
  address_key: string | null;
  precinct: string | null;
  status: string | null;
  party: string | null;
  registration_date: DateColumn;
  districts: Json<Record<string, string>> | null;
  import_id: string | null;
  decided_by: 'lookup' | 'rematch';
  updated_at: Timestamp;
}

/** The candidates of an ambiguous match, for a person to decide between. */
export interface VoterMatchReviewTable {
  contact_id: string;
  import_id: string | null;
  candidates: Json<ReviewCandidate[]>;
  probability_top_two: number;
  decided_by: 'lookup' | 'rematch';
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Most candidates kept in a review, best first; fewer when the rest are below REVIEW_MIN_PROBABILITY. */
export const REVIEW_MAX_CANDIDATES = 5;
/** A review keeps the best two, and any other candidate at least this likely. */
export const REVIEW_MIN_PROBABILITY = 0.01;

/** One candidate of a review, as stored (the breakdown says why it scored what it did). */
export interface ReviewCandidate {
  voterId: string;
  probability: number;
  name: string;
  address: string | null;
  birthYear: number | null;
  breakdown: unknown;
}

/** A type alias (not an interface) so kysely's `withTables` accepts it. */
export type VoterTables = {
  voters: VoterTable;
  voter_votes: VoterVoteTable;
  voter_name_counts: VoterNameCountTable;
  voter_zip_names: VoterZipNameTable;
  voter_imports: VoterImportTable;
  voter_nicknames: VoterNicknameTable;
  voter_contact_keys: VoterContactKeyTable;
  voter_matches: VoterMatchTable;
  voter_match_reviews: VoterMatchReviewTable;
};

/** The store's tables plus the voter file's. */
export type VoterDatabase = Database & VoterTables;
export type VoterDb = Kysely<VoterDatabase> | Transaction<VoterDatabase>;

/** The same database, seen with the voter tables (they live in migration 0003, outside `Database`). */
export function withVoterTables(db: Kysely<Database>): Kysely<VoterDatabase> {
  return db.withTables<VoterTables>();
}
