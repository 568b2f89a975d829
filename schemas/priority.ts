/**
 * Temporal task-queue priority (`priority: { priorityKey }`, lower first; the server's default range is 1–5): who
 * gets a rate-limited provider queue first when lookups wait on it. Plain constants, no zod: workflow code imports
 * them (see lookup-outcomes.ts for why that matters).
 *
 * Every enrichment is started with one class, recorded in its input; its first pass runs at that class's key,
 * operator retries (the `retryLookups` update or signal, `enrich retry`) at the operator key, and the automatic
 * retries after a contact is flagged at the automatic key. A backfill starts its enrichments with `backfill`.
 */
export const PRIORITY_CLASSES = ['live', 'operator', 'automatic', 'backfill'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

/** The default key of each class: live signups and webhooks first, backfills last. */
export const DEFAULT_PRIORITY_KEYS: Readonly<Record<PriorityClass, number>> = Object.freeze({
  live: 1,
  operator: 2,
  automatic: 3,
  backfill: 4,
});

/** The keys one enrichment runs its activities at, carried in its input. */
export interface EnrichmentPriority {
  /** The first pass: the key of the class it was started with (live, backfill, operator for a re-run). */
  firstPass: number;
  /** Lookups an operator asked to re-run. */
  operatorRetry: number;
  /** The automatic retries of transient failures after the contact is flagged. */
  automaticRetry: number;
}
