import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;
/** A selection column: optional on insert (null until the first merge). */
type SelectionText = ColumnType<string | null, string | null | undefined, string | null>;

/** One row per supporter, keyed by the HMAC of the normalised email. */
export interface ContactTable {
  id: string;
  email: string;
  /** What the supporter typed at signup (the latest signup wins). */
  signup: Json;
  consent: Json | null;
  status: string;
  /** The unified record, derived from observations by the merge; null until the first merge. */
  record: Json | null;
  record_version: number | null;
  /** Selection columns, copied from the record by `updateContactRecord` (migration 0002); null until the first merge. */
  occupation: SelectionText;
  employer: SelectionText;
  postal_code: SelectionText;
  locality: SelectionText;
  region: SelectionText;
  country: SelectionText;
  congressional: SelectionText;
  state_upper: SelectionText;
  state_lower: SelectionText;
  county: SelectionText;
  precinct: SelectionText;
  party: SelectionText;
  voter_status: SelectionText;
  /** The networks of the record's profiles, lower-cased. */
  networks: ColumnType<string[], string[] | undefined, string[]>;
  /** The record fields decided by restricted (FEC) data, e.g. `donations`, `work.occupation`. */
  restricted_fields: ColumnType<string[], string[] | undefined, string[]>;
  workflow_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Append-only: every value a provider reported, with the evidence. Unique per contact, provider, field and value. */
export interface ObservationTable {
  id: Generated<string>;
  contact_id: string;
  provider: string;
  field: string;
  value: Json;
  value_hash: string;
  confidence: number;
  source_url: string | null;
  fetched_at: Timestamp;
  workflow_id: string;
  run_id: string;
  recorded_at: Timestamp;
}

/** One row per contact and provider: how its latest lookup ended. */
export interface LookupTable {
  contact_id: string;
  provider: string;
  outcome: string;
  reason: string | null;
  attempts: number;
  error_type: string | null;
  last_error: string | null;
  first_failed_at: Timestamp | null;
  last_failed_at: Timestamp | null;
  completed_at: Timestamp;
  workflow_id: string;
  run_id: string;
}

/** Keyed hashes of people who opted out or were erased: never enriched again. */
export interface SuppressionTable {
  key: string;
  reason: 'opt_out' | 'erasure';
  created_at: Timestamp;
}

/** Privacy actions and reads of personal data: who, what, when, for what purpose. */
export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  subject_key: string | null;
  purpose: string | null;
  detail: Json;
}

/** One file given to `enrich backfill` (migration 0009). */
export interface BackfillTable {
  id: string;
  workflow_id: string;
  rows: Generated<number>;
  valid: Generated<number>;
  rejected: Generated<number>;
  /** `loading` until every row is staged, then `loaded`; the workflow sets `running`, `paused`, `cancelled`, `completed`. */
  state: Generated<string>;
  created_at: Timestamp;
  loaded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** A valid row of a backfill, in file order (`seq` from 1), with its line and the signup. */
export interface BackfillRowTable {
  backfill_id: string;
  seq: number;
  line: number;
  signup: Json;
  /** How its admission ended (`started`, `existing`, `suppressed`); null until admitted. */
  admitted: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * Migration 0011: what a supporter list said about a person (`subscribed`, or an opt-out such as `unsubscribed`,
 * `do_not_contact`, `deceased`), keyed by the contact's keyed hash (never an email), with the field that said it.
 * Opt-outs are never deleted by a later `subscribed`: the most restrictive word stands until an operator acts.
 */
export interface ListStatusTable {
  contact_key: string;
  status: string;
  /** `nationbuilder:do_not_contact`, `action_network:email_addresses.status`, `csv:can2_subscription_status`. */
  source: string;
  first_seen_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface Database {
  backfills: BackfillTable;
  backfill_rows: BackfillRowTable;
  contacts: ContactTable;
  list_statuses: ListStatusTable;
  observations: ObservationTable;
  lookups: LookupTable;
  suppressions: SuppressionTable;
  audit_log: AuditLogTable;
}

export type ContactRow = Selectable<ContactTable>;
export type ObservationRow = Selectable<ObservationTable>;
export type InsertableObservationRow = Insertable<ObservationTable>;
export type LookupRow = Selectable<LookupTable>;
