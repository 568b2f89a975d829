import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';
import type { Database } from '../database.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
/** A `date` column: pg returns a Date, PGlite a Date too; written as `YYYY-MM-DD`. */
type DateColumn = ColumnType<Date | null, string | null, string | null>;

/** One registration of the current voter file, with its match keys (migration 0003). */
export interface VoterTable {
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
  registration_date: DateColumn;
  districts: Json<Record<string, string>>;
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

/** How many voters of the current file have a first name, family name, ZIP or locality (`kind`), and N (`all`). */
export interface VoterNameCountTable {
  kind: 'first' | 'last' | 'zip' | 'city';
  name: string;
  n: number;
}

export interface VoterImportTable {
  id: Generated<string>;
  source: string;
  history_source: string | null;
  format: string;
  state: 'loading' | 'active' | 'replaced' | 'failed';
  rows: number;
  rejected: number;
  voters: number;
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
export interface VoterContactKeyTable {
  contact_id: string;
  first_norm: string;
  middle_norm: string;
  last_norm: string;
  last_phonetic: string;
  birth_year: number | null;
  house_number: string | null;
  street_core: string | null;
  zip5: string | null;
  city_norm: string | null;
  updated_at: Timestamp;
}

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
