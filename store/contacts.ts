import { sql, type Kysely, type Transaction } from 'kysely';
import { restrictedFields } from '../domain/merge/restricted-fields.js';
import { parseStoredRecord, type ContactRecord } from '../schemas/contact-record.js';
import type { Consent, Signup } from '../schemas/signup.js';
import type { ContactRow, Database, LookupRow, ObservationRow } from './database.js';
import { findVoterReview } from './voters/voter-lookups.js';
import { withVoterTables } from './voters/voter-tables.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface UpsertContactInput {
  id: string;
  signup: Signup;
  workflowId: string;
}

/**
 * Creates the contact, or refreshes what the supporter typed. Status and record are left alone on conflict:
 * only the merge derives them. Consent given in a newer signup replaces the older one; a signup without a
 * consent block never erases consent already given.
 */
export async function upsertContact(db: Db, input: UpsertContactInput): Promise<void> {
  const consent: Consent | null = input.signup.consent ?? null;
  await db
    .insertInto('contacts')
    .values({
      id: input.id,
      email: input.signup.email,
      signup: JSON.stringify(input.signup),
      consent: consent ? JSON.stringify(consent) : null,
      status: 'running',
      workflow_id: input.workflowId,
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        signup: eb.ref('excluded.signup'),
        consent: eb.fn.coalesce('excluded.consent', 'contacts.consent'),
        workflow_id: eb.ref('excluded.workflow_id'),
        updated_at: new Date(),
      })),
    )
    .execute();
}

export async function findContactById(db: Db, id: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The selection columns of a record (migration 0002): what segments filter on, beside the record itself. */
export type RecordColumns = Record<
  | 'occupation'
  | 'employer'
  | 'postal_code'
  | 'locality'
  | 'region'
  | 'country'
  | 'congressional'
  | 'state_upper'
  | 'state_lower'
  | 'county'
  | 'precinct'
  | 'party'
  | 'voter_status',
  string | null
> & { networks: string[]; restricted_fields: string[] };

/** Code-unit order, as Postgres sorts under `collate "C"`. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The selection columns for a record: text as the record has it (segments compare case-insensitively through
 * `lower(...)` indexes), the profiles' networks lower-cased, and the fields restricted (FEC) data decides.
 */
export function recordColumns(record: ContactRecord): RecordColumns {
  const d = record.location.districts;
  return {
    occupation: record.work.occupation,
    employer: record.work.employer,
    postal_code: record.location.postalCode,
    locality: record.location.locality,
    region: record.location.region,
    country: record.location.country,
    congressional: d.congressional ?? null,
    state_upper: d.stateUpper ?? null,
    state_lower: d.stateLower ?? null,
    county: d.county ?? null,
    precinct: record.voter?.precinct ?? null,
    party: record.voter?.party ?? null,
    voter_status: record.voter?.status ?? null,
    networks: [...new Set(record.profiles.map((p) => p.network.toLowerCase()))].sort(byCodeUnits),
    restricted_fields: restrictedFields(record),
  };
}

export interface UpdateContactRecordOptions {
  /**
   * Write only if the stored record is still this one (null: none yet), so a re-derivation from facts read earlier
   * never overwrites a merge that happened meanwhile. Returns false when it did not write.
   */
  ifRecordIs?: unknown;
}

/**
 * Stores the merged record, its status and its selection columns; idempotent (the record is a pure function of the
 * stored facts). A suppressed contact stays suppressed whatever the record says: enrichment never lifts an opt-out.
 */
export async function updateContactRecord(
  db: Db,
  id: string,
  record: ContactRecord,
  options: UpdateContactRecordOptions = {},
): Promise<boolean> {
  const json = JSON.stringify(record);
  let query = db
    .updateTable('contacts')
    .set({
      ...recordColumns(record),
      record: sql<string>`case when contacts.status = 'suppressed' then jsonb_set(cast(${json} as jsonb), '{status}', '"suppressed"') else cast(${json} as jsonb) end`,
      record_version: record.schemaVersion,
      status: sql<string>`case when contacts.status = 'suppressed' then contacts.status else ${record.status} end`,
      updated_at: record.updatedAt,
    })
    .where('id', '=', id);
  if ('ifRecordIs' in options) {
    const expected = options.ifRecordIs;
    query =
      expected === null || expected === undefined
        ? query.where('record', 'is', null)
        : query.where(sql<boolean>`record = cast(${JSON.stringify(expected)} as jsonb)`);
  }
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The contact's record in the current shape (an older stored version upgraded), or undefined without one. */
export async function findContactRecord(db: Db, id: string): Promise<ContactRecord | undefined> {
  const row = await db.selectFrom('contacts').select('record').where('id', '=', id).executeTakeFirst();
  return row?.record == null ? undefined : parseStoredRecord(row.record);
}

/** A contact as `enrich remerge` reads it: what the merge needs besides the facts, and the record it has now. */
export type RemergeCandidate = Pick<
  ContactRow,
  'id' | 'email' | 'consent' | 'status' | 'created_at' | 'record' | 'record_version'
>;

/**
 * One batch of contacts to re-derive, in id order after `after`: every contact that has a record with `all`, else
 * those whose record was derived under an older schema version than `currentVersion`. A contact without a record
 * yet is left to its workflow, whose merge will make it.
 */
export async function listRemergeCandidates(
  db: Db,
  options: { after?: string | undefined; limit: number; all: boolean; currentVersion: number },
): Promise<RemergeCandidate[]> {
  let query = db
    .selectFrom('contacts')
    .select(['id', 'email', 'consent', 'status', 'created_at', 'record', 'record_version'])
    .orderBy('id')
    .limit(options.limit);
  query = query.where('record', 'is not', null);
  if (options.after !== undefined) query = query.where('id', '>', options.after);
  if (!options.all)
    query = query.where((eb) =>
      eb.or([eb('record_version', 'is', null), eb('record_version', '<', options.currentVersion)]),
    );
  return query.execute();
}

/** The observations and lookups of several contacts at once, grouped by contact id. */
export async function listMergeFacts(
  db: Db,
  contactIds: string[],
): Promise<Map<string, { observations: ObservationRow[]; lookups: LookupRow[] }>> {
  const facts = new Map(
    contactIds.map((id) => [id, { observations: [] as ObservationRow[], lookups: [] as LookupRow[] }]),
  );
  if (contactIds.length === 0) return facts;
  const [observations, lookups] = await Promise.all([
    db.selectFrom('observations').selectAll().where('contact_id', 'in', contactIds).orderBy('id').execute(),
    db.selectFrom('lookups').selectAll().where('contact_id', 'in', contactIds).orderBy('provider').execute(),
  ]);
  for (const o of observations) facts.get(o.contact_id)?.observations.push(o);
  for (const l of lookups) facts.get(l.contact_id)?.lookups.push(l);
  return facts;
}

/** What a reader gets: the merged record, or, before the first merge, the contact's id, email and status. */
export type ContactView = Record<string, unknown> & { id: string; status: string };

export async function findContactView(db: Db, id: string): Promise<ContactView | undefined> {
  const row = await db
    .selectFrom('contacts')
    .select(['id', 'email', 'status', 'record'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.record === null) return { id: row.id, email: row.email, status: row.status };
  // jsonb does not keep key order; parsing restores the schema's order so the record reads as documented, and
  // brings a record stored under an older schema version to the current shape.
  const view = (parseStoredRecord(row.record) ?? row.record) as ContactView;
  // An ambiguous voter-file match waits for a person: show them the candidates and why each scored what it did.
  const review = await findVoterReview(withVoterTables(db), row.id);
  if (!review) return view;
  const { candidates, probability_top_two: probabilityTopTwo, decided_by: decidedBy, updated_at: updatedAt } = review;
  return {
    ...view,
    voterReview: { candidates, probabilityTopTwo, decidedBy, updatedAt: new Date(updatedAt).toISOString() },
  };
}
