import type { Kysely, Transaction } from 'kysely';
import { ContactRecordSchema, type ContactRecord } from '../schemas/contact-record.js';
import type { Consent, Signup } from '../schemas/signup.js';
import type { ContactRow, Database } from './database.js';

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

/** Stores the merged record and its status; idempotent (the record is a pure function of the stored facts). */
export async function updateContactRecord(db: Db, id: string, record: ContactRecord): Promise<void> {
  await db
    .updateTable('contacts')
    .set({
      record: JSON.stringify(record),
      record_version: record.schemaVersion,
      status: record.status,
      updated_at: record.updatedAt,
    })
    .where('id', '=', id)
    .execute();
}

/** What a reader gets: the merged record, or, before the first merge, the contact's id, email and status. */
export type ContactView = Record<string, unknown> & { id: string; status: string };

export async function findContactView(db: Db, id: string): Promise<ContactView | undefined> {
  const row = await db.selectFrom('contacts').select(['id', 'email', 'status', 'record']).where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  if (row.record === null) return { id: row.id, email: row.email, status: row.status };
  // jsonb does not keep key order; parsing restores the schema's order so the record reads as documented.
  const parsed = ContactRecordSchema.safeParse(row.record);
  return (parsed.success ? parsed.data : row.record) as ContactView;
}
