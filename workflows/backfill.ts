import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  BACKFILL_PROGRESS_QUERY,
  BACKFILL_SIGNALS,
  backfillWindow,
  type AdmitRowsResult,
  type BackfillActivities,
  type BackfillCarry,
  type BackfillInput,
  type BackfillProgress,
  type BackfillProviderProgress,
  type BackfillSettled,
  type BackfillState,
} from '../schemas/backfill.js';
import type { ProviderName } from '../schemas/providers.js';
import { backfillSettledSignal } from './enrich-contact.js';

/** Rows, admitted, settled, flagged and, per provider, done, waiting, rate and ETA (see schemas/backfill.ts). */
export const progressQuery = defineQuery<BackfillProgress>(BACKFILL_PROGRESS_QUERY);
/** Stops admitting rows (the enrichments already open go on); `resume` starts again where it stopped. */
export const pauseSignal = defineSignal(BACKFILL_SIGNALS.pause);
export const resumeSignal = defineSignal(BACKFILL_SIGNALS.resume);
/** Admits no more rows and ends the backfill (`cancelled`); enrichments already started go on to the end. */
export const cancelSignal = defineSignal(BACKFILL_SIGNALS.cancel);

const FRESH: BackfillCarry = {
  cursor: 0,
  counts: { admitted: 0, started: 0, existing: 0, terminal: 0, flagged: 0, peakOpen: 0 },
  open: {},
  done: {},
  state: 'running',
  run: 1,
};

/**
 * One file's backfill: admits its staged rows into enrichment (each its own `enrichContact` workflow, at the
 * backfill priority, with the usual ID, so a supporter already enriched is not started again) in a sliding window
 * — at most `window` open at once, the window sized from the providers' rates so that no admitted lookup waits more
 * than `maxQueueWaitMs` on any queue — and continues as new every `continueAsNewPages` pages. The enrichments it
 * starts tell it when they have settled (`contactSettled`); `pause`, `resume` and `cancel` steer it.
 */
export async function backfill(input: BackfillInput): Promise<BackfillProgress> {
  const run = new BackfillRun(input);
  run.installHandlers();
  return run.admitAll();
}

class BackfillRun {
  readonly carry: BackfillCarry;
  #window: number;
  #exhausted = false;
  #recordedState: BackfillState | undefined;
  readonly #activities: BackfillActivities;

  constructor(readonly input: BackfillInput) {
    this.carry = structuredCloneCarry(input.carry ?? FRESH);
    this.#window = backfillWindow(input.pacing, 1);
    this.#recordedState = input.carry ? this.carry.state : undefined;
    this.#activities = proxyActivities<BackfillActivities>({
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
      ...(input.priorityKey !== undefined ? { priority: { priorityKey: input.priorityKey } } : {}),
    });
  }

  get openCount(): number {
    return Object.keys(this.carry.open).length;
  }

  installHandlers(): void {
    setHandler(progressQuery, () => this.progress());
    setHandler(pauseSignal, () => {
      if (this.carry.state === 'running') this.carry.state = 'paused';
    });
    setHandler(resumeSignal, () => {
      if (this.carry.state === 'paused') this.carry.state = 'running';
    });
    setHandler(cancelSignal, () => {
      if (this.carry.state !== 'completed') this.carry.state = 'cancelled';
    });
    setHandler(backfillSettledSignal, (settled: BackfillSettled) => this.#settled(settled));
  }

  #settled(settled: BackfillSettled): void {
    const key = String(settled.seq);
    // Only rows this backfill has open: a repeated or stray message changes nothing.
    if (!(key in this.carry.open)) return;
    delete this.carry.open[key];
    this.carry.counts.terminal++;
    if (settled.status === 'flagged') this.carry.counts.flagged++;
    for (const name of settled.providers) this.carry.done[name] = (this.carry.done[name] ?? 0) + 1;
  }

  async admitAll(): Promise<BackfillProgress> {
    let pages = 0;
    for (;;) {
      await condition(
        () =>
          this.carry.state !== this.#recordedState ||
          this.carry.state === 'cancelled' ||
          (this.#exhausted && this.openCount === 0) ||
          (this.carry.state === 'running' && !this.#exhausted && this.openCount < this.#window),
      );
      if (this.carry.state !== this.#recordedState) await this.#recordState(this.carry.state);
      if (this.carry.state === 'cancelled' || (this.#exhausted && this.openCount === 0)) break;
      if (this.carry.state !== 'running' || this.#exhausted || this.openCount >= this.#window) continue;
      this.#admitted(
        await this.#activities.admitBackfillRows({
          backfillId: this.input.backfillId,
          workflowId: workflowInfo().workflowId,
          afterSeq: this.carry.cursor,
          max: this.#window - this.openCount,
        }),
      );
      pages++;
      if (
        !this.#exhausted &&
        (pages >= this.input.pacing.continueAsNewPages || workflowInfo().continueAsNewSuggested)
      ) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof backfill>({ ...this.input, carry: { ...this.carry, run: this.carry.run + 1 } });
      }
    }
    if (this.carry.state !== 'cancelled') this.carry.state = 'completed';
    await this.#recordState(this.carry.state);
    await condition(allHandlersFinished);
    return this.progress();
  }

  async #recordState(state: BackfillState): Promise<void> {
    this.#recordedState = state;
    await this.#activities.setBackfillState({ backfillId: this.input.backfillId, state });
  }

  #admitted(page: AdmitRowsResult): void {
    const { counts, open } = this.carry;
    for (const row of page.rows) {
      this.carry.cursor = Math.max(this.carry.cursor, row.seq);
      counts.admitted++;
      if (row.status === 'started') {
        counts.started++;
        open[String(row.seq)] = row.providers;
      } else {
        counts[row.status === 'existing' ? 'existing' : 'terminal']++;
        if (row.status === 'existing') counts.terminal++;
      }
    }
    counts.peakOpen = Math.max(counts.peakOpen, this.openCount);
    this.#exhausted = page.exhausted;
    this.#window = backfillWindow(this.input.pacing, page.activeBackfills);
  }

  progress(): BackfillProgress {
    const { counts, done } = this.carry;
    const valid = this.input.rows - this.input.rejected;
    const remaining = Math.max(0, valid - counts.terminal);
    const settledHere = Math.max(0, counts.terminal - counts.existing);
    const waiting: Partial<Record<ProviderName, number>> = {};
    for (const names of Object.values(this.carry.open)) for (const n of names) waiting[n] = (waiting[n] ?? 0) + 1;
    const providers: Partial<Record<ProviderName, BackfillProviderProgress>> = {};
    for (const p of this.input.pacing.providers) {
      const share = settledHere > 0 ? (done[p.name] ?? 0) / settledHere : 1;
      providers[p.name] = {
        done: done[p.name] ?? 0,
        waiting: waiting[p.name] ?? 0,
        rate: p.rps,
        etaSeconds: Math.ceil((remaining * share * p.lookupsPerContact) / p.rps),
      };
    }
    return {
      backfillId: this.input.backfillId,
      state: this.carry.state,
      rows: this.input.rows,
      rejected: this.input.rejected,
      ...counts,
      open: this.openCount,
      window: this.#window,
      run: this.carry.run,
      providers,
      etaSeconds: Math.max(0, ...Object.values(providers).map((p) => p.etaSeconds)),
    };
  }
}

/** A copy of the carried state, so the input recorded in history is never mutated. */
function structuredCloneCarry(carry: BackfillCarry): BackfillCarry {
  return {
    ...carry,
    counts: { ...carry.counts },
    open: Object.fromEntries(Object.entries(carry.open).map(([k, v]) => [k, [...v]])),
    done: { ...carry.done },
  };
}
