import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { ObservationInput } from '../schemas/lookup.js';
import type { Database, ObservationRow } from './database.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface ObservationSource {
  contactId: string;
  provider: string;
  workflowId: string;
  runId: string;
}

/** A stable JSON text (sorted keys), so the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashValue(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

/**
 * Appends observations; one already stored (same contact, provider, field and value) is kept as first seen.
 * This is what makes retries, replays and resets leave the table as a clean run would.
 */
export async function insertObservations(
  db: Db,
  source: ObservationSource,
  observations: ObservationInput[],
): Promise<number> {
  if (observations.length === 0) return 0;
  const result = await db
    .insertInto('observations')
    .values(
      observations.map((o) => ({
        contact_id: source.contactId,
        provider: source.provider,
        field: o.field,
        value: JSON.stringify(o.value),
        value_hash: hashValue(o.value),
        confidence: o.confidence,
        source_url: o.sourceUrl ?? null,
        fetched_at: o.fetchedAt,
        workflow_id: source.workflowId,
        run_id: source.runId,
      })),
    )
    .onConflict((oc) => oc.constraint('observations_identity').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

export async function listObservations(db: Db, contactId: string): Promise<ObservationRow[]> {
  return db.selectFrom('observations').selectAll().where('contact_id', '=', contactId).orderBy('id').execute();
}
