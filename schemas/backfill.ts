/**
 * A backfill: the rows of one file, staged in Postgres (`backfill_rows`, migration 0009), admitted into enrichment
 * by one `backfill` workflow in a sliding window. Plain types and constants, no zod: workflow code imports them.
 */
import type { ProviderName } from './providers.js';

/** The workflow ID of a backfill: the prefix and its opaque ID (a keyed hash of the file's digest, never a name). */
export function backfillWorkflowId(backfillId: string): string {
  return `backfill:${backfillId}`;
}

/** One provider as the window sees it: its queue rate and how many lookups one contact may send there. */
export interface BackfillProviderRate {
  name: ProviderName;
  /** Lookups per second the provider's queue admits (`PROVIDER_<NAME>_RPS`). */
  rps: number;
  /** The most lookups one contact sends to it (GitHub: 2, a search in stage 1 and a user in stage 2). */
  lookupsPerContact: number;
}

/** What decides the window, taken from the configuration of the process that starts the backfill. */
export interface BackfillPacing {
  /** The enabled providers. */
  providers: BackfillProviderRate[];
  /** No admitted lookup should wait longer than this on any provider queue (`BACKFILL_MAX_QUEUE_WAIT_MS`). */
  maxQueueWaitMs: number;
  /** The most enrichments one backfill keeps open at once, whatever the rates (`BACKFILL_MAX_WINDOW`). */
  maxWindow: number;
  /** Rows admitted per activity (`BACKFILL_PAGE_SIZE`). */
  pageSize: number;
  /** A run continues as new after this many admission pages (or sooner when Temporal suggests it). */
  continueAsNewPages: number;
}

export type BackfillState = 'running' | 'paused' | 'cancelled' | 'completed';

/** One provider's figures in the `progress` query. */
export interface BackfillProviderProgress {
  /** Settled contacts that ran a lookup there. */
  done: number;
  /** Open admitted contacts with a lookup planned there (stage 1). */
  waiting: number;
  /** Its queue rate, lookups per second. */
  rate: number;
  /** Seconds until the rows left are through this provider at its rate, from the share of contacts that need it. */
  etaSeconds: number;
}

/** The `progress` query's answer. */
export interface BackfillProgress {
  backfillId: string;
  state: BackfillState;
  rows: number;
  rejected: number;
  /** Rows handed to enrichment (started or found existing). */
  admitted: number;
  started: number;
  /** Supporters whose enrichment already existed (running or done): not started twice. */
  existing: number;
  /** Admitted rows whose enrichment has settled (enriched, flagged or suppressed), and `existing` ones. */
  terminal: number;
  flagged: number;
  /** Admitted and not settled: at most `window`. */
  open: number;
  window: number;
  /** The most open at once so far (all runs). */
  peakOpen: number;
  /** Runs so far (1 + how many times it continued as new). */
  run: number;
  providers: Partial<Record<ProviderName, BackfillProviderProgress>>;
  /** The slowest provider's ETA. */
  etaSeconds: number;
}

/** The carried state of a run, for continue-as-new. */
export interface BackfillCarry {
  cursor: number;
  counts: { admitted: number; started: number; existing: number; terminal: number; flagged: number; peakOpen: number };
  /** The open admitted rows by their ordinal, with the providers each has planned. */
  open: Record<string, ProviderName[]>;
  done: Partial<Record<ProviderName, number>>;
  state: BackfillState;
  run: number;
}

export interface BackfillInput {
  backfillId: string;
  rows: number;
  rejected: number;
  pacing: BackfillPacing;
  /** The task-queue priority key of its own activities (`PRIORITY_BACKFILL`): behind live signups' writes. */
  priorityKey?: number;
  carry?: BackfillCarry;
}

/** The enrichment's message to its backfill when its first pass has settled (no personal data). */
export interface BackfillSettled {
  seq: number;
  status: string;
  /** The providers that ran a lookup (any outcome but `skipped`). */
  providers: ProviderName[];
}

/** Where an enrichment started by a backfill reports to. */
export interface BackfillRef {
  workflowId: string;
  seq: number;
}

/** One admitted row, as the admission activity answers it. */
export interface AdmittedRow {
  seq: number;
  status: 'started' | 'existing' | 'suppressed';
  /** Stage-1 providers its plan will ask (for `waiting`). */
  providers: ProviderName[];
}

export interface AdmitRowsInput {
  backfillId: string;
  workflowId: string;
  afterSeq: number;
  max: number;
}

export interface AdmitRowsResult {
  rows: AdmittedRow[];
  /** True when no staged row is left after the last one answered. */
  exhausted: boolean;
  /** Backfills running now (this one included): the window is shared equally between them. */
  activeBackfills: number;
}

/** The backfill workflow's activities (implemented in worker/backfill-activities.ts). */
export interface BackfillActivities {
  admitBackfillRows(input: AdmitRowsInput): Promise<AdmitRowsResult>;
  setBackfillState(input: { backfillId: string; state: BackfillState }): Promise<void>;
}

export const BACKFILL_SIGNALS = {
  pause: 'pause',
  resume: 'resume',
  cancel: 'cancel',
  settled: 'contactSettled',
} as const;
export const BACKFILL_PROGRESS_QUERY = 'progress';

/**
 * The window: how many enrichments one backfill keeps open. W contacts send at most W × lookupsPerContact lookups
 * to a provider, which its queue clears in W × lookupsPerContact / rps seconds; the largest W that keeps this under
 * the bound for every enabled provider, capped by `maxWindow`, shared equally between the backfills running.
 */
export function backfillWindow(pacing: BackfillPacing, activeBackfills: number): number {
  const waitSeconds = pacing.maxQueueWaitMs / 1000;
  const byRate = Math.min(...pacing.providers.map((p) => (p.rps * waitSeconds) / Math.max(1, p.lookupsPerContact)));
  const whole = Math.min(Number.isFinite(byRate) ? Math.floor(byRate) : pacing.maxWindow, pacing.maxWindow);
  return Math.max(1, Math.floor(whole / Math.max(1, activeBackfills)));
}
