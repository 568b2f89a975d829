import type { Kysely, Transaction } from 'kysely';
import type { LookupOutcome } from '../schemas/lookup.js';
import type { Database, LookupRow } from './database.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface LookupUpsert {
  contactId: string;
  provider: string;
  outcome: LookupOutcome;
  reason?: string | undefined;
  attempts: number;
  errorType?: string | undefined;
  lastError?: string | undefined;
  completedAt: string;
  workflowId: string;
  runId: string;
}

/**
 * Records how a provider's lookup ended. A failure keeps the time of the first failure until a later lookup
 * succeeds, so operators see how long a contact has been stuck.
 */
export async function upsertLookup(db: Db, row: LookupUpsert): Promise<void> {
  const failedAt = row.outcome === 'failed' ? row.completedAt : null;
  await db
    .insertInto('lookups')
    .values({
      contact_id: row.contactId,
      provider: row.provider,
      outcome: row.outcome,
      reason: row.reason ?? null,
      attempts: row.attempts,
      error_type: row.errorType ?? null,
      last_error: row.lastError ?? null,
      first_failed_at: failedAt,
      last_failed_at: failedAt,
      completed_at: row.completedAt,
      workflow_id: row.workflowId,
      run_id: row.runId,
    })
    .onConflict((oc) =>
      oc.columns(['contact_id', 'provider']).doUpdateSet((eb) => ({
        outcome: eb.ref('excluded.outcome'),
        reason: eb.ref('excluded.reason'),
        attempts: eb.ref('excluded.attempts'),
        error_type: eb.ref('excluded.error_type'),
        last_error: eb.ref('excluded.last_error'),
        first_failed_at:
          row.outcome === 'failed'
            ? eb.fn.coalesce('lookups.first_failed_at', 'excluded.first_failed_at')
            : eb.val(null),
        last_failed_at: row.outcome === 'failed' ? eb.ref('excluded.last_failed_at') : eb.ref('lookups.last_failed_at'),
        completed_at: eb.ref('excluded.completed_at'),
        workflow_id: eb.ref('excluded.workflow_id'),
        run_id: eb.ref('excluded.run_id'),
      })),
    )
    .execute();
}

export async function listLookups(db: Db, contactId: string): Promise<LookupRow[]> {
  return db.selectFrom('lookups').selectAll().where('contact_id', '=', contactId).orderBy('provider').execute();
}

/** A failed lookup of a flagged contact, with enough to decide what to do about it. */
export interface FailedLookup {
  contactId: string;
  email: string;
  provider: string;
  errorType: string | null;
  lastError: string | null;
  attempts: number;
  firstFailedAt: string | null;
  lastFailedAt: string | null;
}

/** Every failed lookup, oldest failure first: the work list behind `enrich flagged`. */
export async function listFailedLookups(db: Db, limit = 10_000): Promise<FailedLookup[]> {
  const rows = await db
    .selectFrom('lookups')
    .innerJoin('contacts', 'contacts.id', 'lookups.contact_id')
    .select([
      'contacts.id',
      'contacts.email',
      'lookups.provider',
      'lookups.error_type',
      'lookups.last_error',
      'lookups.attempts',
      'lookups.first_failed_at',
      'lookups.last_failed_at',
    ])
    .where('lookups.outcome', '=', 'failed')
    .orderBy('lookups.first_failed_at')
    .orderBy('contacts.id')
    .orderBy('lookups.provider')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    contactId: r.id,
    email: r.email,
    provider: r.provider,
    errorType: r.error_type,
    lastError: r.last_error,
    attempts: r.attempts,
    firstFailedAt: r.first_failed_at?.toISOString() ?? null,
    lastFailedAt: r.last_failed_at?.toISOString() ?? null,
  }));
}
