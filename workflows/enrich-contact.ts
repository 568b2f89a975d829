import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { StoreActivities } from '../activities/store-activities.js';
import type {
  EnrichContactInput,
  EnrichmentStatusView,
  ProviderPlan,
  RetryLookupsRequest,
} from '../schemas/enrichment.js';
import { DEFAULT_QUOTA_WAIT } from '../schemas/enrichment.js';
import type { LookupInput, LookupState, ProviderLookupResult } from '../schemas/lookup.js';
// From the zod-free module: anything imported here is bundled into every workflow (see lookup-outcomes.ts).
import { LOOKUP_ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES, type SkipReason } from '../schemas/lookup-outcomes.js';
import { SOCIAL_PROVIDERS, type ProviderName } from '../schemas/providers.js';
import { attemptLookup, type LookupAttempt } from './lookup-attempt.js';
import { STAGE_ONE, STAGE_TWO, stageOneInput, stageTwoInputs } from './lookup-plan.js';
import { EnrichmentStatusKey, FlaggedProvidersKey } from './search-attributes.js';
import { BACKFILL_SIGNALS, type BackfillSettled } from '../schemas/backfill.js';

/** What an enrichment started by a backfill sends it when its first pass has settled. */
export const backfillSettledSignal = defineSignal<[BackfillSettled]>(BACKFILL_SIGNALS.settled);

/** The `status` query: the contact's status, each lookup's state and the record's conflicts. */
export const statusQuery = defineQuery<EnrichmentStatusView>('status');
/** Re-runs failed lookups now (all failed ones, or `providers`) and answers the status after the re-merge. */
// Typed with a required argument, but the UI may send none: handlers read it as possibly undefined.
export const retryLookupsUpdate = defineUpdate<EnrichmentStatusView, [RetryLookupsRequest]>('retryLookups');
/** The same request as a signal, for senders that cannot wait for an answer. */
export const retryLookupsSignal = defineSignal<[RetryLookupsRequest]>('retryLookups');

/**
 * Database writes retry until Postgres is back: a contact is never dropped because the store was briefly away.
 * Each write is an idempotent upsert, so a repeated attempt changes nothing.
 */
function storeAt(priorityKey: number | undefined) {
  return proxyActivities<StoreActivities>({
    // Short: a write takes milliseconds, and after a worker crash its lost attempt is retried this much later.
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
    // The same priority as the lookups they record: a live signup's writes do not queue behind a backfill's.
    ...(priorityKey !== undefined ? { priority: { priorityKey } } : {}),
  });
}

function skipReason(plan: ProviderPlan, input: EnrichContactInput): SkipReason | undefined {
  if (!plan.enabled) return 'disabled';
  const social = SOCIAL_PROVIDERS.includes(plan.name);
  if (social && input.socialLookupBasis === 'consent' && input.signup.consent?.socialProfiles !== true)
    return 'no_lawful_basis';
  return undefined;
}

/**
 * The reason, when a store activity failed because Postgres refused the values (StoreRejected, never retried: the
 * same values would be refused again); undefined for any other failure.
 */
function storeRefusal(err: unknown): string | undefined {
  return err instanceof ActivityFailure &&
    err.cause instanceof ApplicationFailure &&
    err.cause.type === LOOKUP_ERROR_TYPES.storeRejected
    ? err.cause.message
    : undefined;
}

/** Failures worth retrying later on their own: the provider was busy or away, not wrong about us. */
function transient(state: LookupState | undefined): boolean {
  return state?.outcome === 'failed' && !(NON_RETRYABLE_ERROR_TYPES as string[]).includes(state.errorType ?? '');
}

/**
 * Enriches one supporter: records what they typed, looks them up in two stages (stage 1 from the signup, stage 2
 * from the accounts stage 1 found), each provider on its own rate-limited task queue and each stage in parallel,
 * records every outcome, then merges everything into the unified record.
 *
 * A provider failing is data, not a crash: the lookup ends `failed`, is stored, and flags the contact. A flagged
 * contact's workflow then stays open: operators re-run failed lookups with the `retryLookups` update or signal,
 * and transient failures are retried on their own after each delay of `input.retry.automaticDelaysMs`. It
 * completes when nothing failed is left or the schedule is spent, continuing as new if its history grows large.
 */
export async function enrichContact(input: EnrichContactInput): Promise<EnrichmentStatusView> {
  const run = new EnrichmentRun(input);
  run.installHandlers();
  if (!input.resume) {
    const first = await run.firstPass();
    await run.reportToBackfill();
    if (first === 'suppressed') return run.view;
  } else {
    run.view.status = run.failedProviders().length ? 'flagged' : 'enriched';
  }
  await run.retryOnSchedule();
  await condition(allHandlersFinished);
  return run.view;
}

/**
 * One run's state and its steps. The order of what each step awaits is the workflow's command sequence: recorded
 * histories replay only while it stays the same.
 */
class EnrichmentRun {
  readonly view: EnrichmentStatusView;
  /** The input each provider last ran with, so a failed lookup can run again exactly as it did. */
  readonly #inputs: Partial<Record<ProviderName, LookupInput>>;
  readonly #plans: Map<ProviderName, ProviderPlan>;
  #busy = false;
  #signalled: RetryLookupsRequest | undefined;

  constructor(readonly input: EnrichContactInput) {
    this.view = { status: 'running', lookups: { ...input.resume?.lookups }, conflicts: [] };
    this.#inputs = { ...input.resume?.inputs };
    this.#plans = new Map(input.providers.map((plan) => [plan.name, plan]));
  }

  #planned(names: readonly ProviderName[]): ProviderPlan[] {
    return names.flatMap((name) => this.#plans.get(name) ?? []);
  }

  installHandlers(): void {
    setHandler(statusQuery, () => this.view);
    setHandler(retryLookupsSignal, (request: RetryLookupsRequest | undefined) => {
      this.#signalled = request ?? {};
    });
    setHandler(
      retryLookupsUpdate,
      async (request: RetryLookupsRequest | undefined) => {
        await condition(() => !this.#busy);
        await this.#retryFailed(request?.providers, this.input.priority?.operatorRetry);
        return this.view;
      },
      {
        validator: (request: RetryLookupsRequest | undefined) => {
          const unknown = (request?.providers ?? []).filter((name) => !this.#plans.has(name));
          if (unknown.length) throw new Error(`unknown provider(s): ${unknown.join(', ')}`);
        },
        description: 'Re-run the failed lookups (or those of `providers`) now; answers the status after the re-merge.',
      },
    );
  }

  /** Saves the signup, runs both stages and merges; `suppressed` when the person opted out or was erased. */
  async firstPass(): Promise<'suppressed' | 'done'> {
    const { input } = this;
    upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'running' }]);
    const priorityKey = input.priority?.firstPass;
    const saved = await this.#saveSignup(priorityKey);
    // Opted out or erased: nothing is looked up or kept. (Histories recorded before suppression existed took the
    // other branch with an empty answer, so they replay unchanged.)
    if (saved?.suppressed) {
      this.view.status = 'suppressed';
      upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'suppressed' }]);
      return 'suppressed';
    }

    // Stage 1: what the signup gave (email, name, address).
    const stageOne = await Promise.all(
      this.#planned(STAGE_ONE).map((plan) =>
        this.#runLookup(
          plan,
          stageOneInput(plan.name, input.contactKey, input.signup, { voterfileCountries: input.voterfileCountries }),
          priorityKey,
        ),
      ),
    );

    // Stage 2: the accounts stage 1 found. GitHub runs again only when its email search missed but a verified link names the account.
    const found = stageTwoInputs(
      input.contactKey,
      stageOne.flatMap((r) => r?.observations ?? []),
      {
        githubFound: this.view.lookups.github?.outcome === 'matched',
      },
    );
    await Promise.all(
      this.#planned(STAGE_TWO)
        .filter((plan) => plan.name !== 'github' || found.github)
        .map((plan) => this.#runLookup(plan, found[plan.name], priorityKey)),
    );
    await this.#mergeAndPublish(priorityKey);
    return 'done';
  }

  async #saveSignup(priorityKey: number | undefined): Promise<Awaited<ReturnType<StoreActivities['saveSignup']>>> {
    const { input } = this;
    try {
      return await storeAt(priorityKey).saveSignup({
        contactKey: input.contactKey,
        signup: input.signup,
        receivedAt: input.receivedAt,
      });
    } catch (err) {
      // A signup the store refuses (a client that skipped the signup schema) ends the run at once, with the reason:
      // retrying the same values could only fail again, for ever.
      const refused = storeRefusal(err);
      if (refused === undefined) throw err;
      upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'rejected' }]);
      throw ApplicationFailure.create({
        type: 'SignupNotStorable',
        message: `the signup cannot be stored: ${refused}`,
        nonRetryable: true,
      });
    }
  }

  /**
   * Started by a backfill: tells it this contact has settled (its status and the providers that ran, no personal
   * data), so its window admits the next row. A backfill that has ended is not there to hear it: nothing to do.
   */
  async reportToBackfill(): Promise<void> {
    const ref = this.input.backfill;
    if (!ref || !patched('backfill-settled')) return;
    const settled: BackfillSettled = {
      seq: ref.seq,
      status: this.view.status,
      providers: (Object.keys(this.view.lookups) as ProviderName[]).filter(
        (name) => this.view.lookups[name]?.outcome !== 'skipped',
      ),
    };
    try {
      await getExternalWorkflowHandle(ref.workflowId).signal(backfillSettledSignal, settled);
    } catch (err) {
      log.info('the backfill is not there to be told', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Flagged: waits for an operator, or retries transient failures after each delay of the schedule. */
  async retryOnSchedule(): Promise<void> {
    const { input } = this;
    const delays = [...(input.resume?.remainingDelaysMs ?? input.retry.automaticDelaysMs)];
    while (this.failedProviders().length > 0 && delays.length > 0) {
      const delay = delays[0]!;
      // While an update re-runs lookups they are pending, not failed: only a settled state may end the wait.
      const asked = await condition(
        () => !this.#busy && (this.#signalled !== undefined || this.failedProviders().length === 0),
        delay,
      );
      await condition(() => !this.#busy);
      if (this.failedProviders().length === 0) break;
      if (asked && this.#signalled) {
        const request = this.#signalled;
        this.#signalled = undefined;
        await this.#retryFailed(request.providers, input.priority?.operatorRetry);
      } else {
        delays.shift();
        await this.#retryFailed(this.failedProviders(transient), input.priority?.automaticRetry);
      }
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof enrichContact>({
          ...input,
          resume: { lookups: this.view.lookups, inputs: this.#inputs, remainingDelaysMs: delays },
        });
      }
    }
  }

  /** Runs one provider's lookup (or records why it is skipped) and stores how it ended. */
  async #runLookup(
    plan: ProviderPlan,
    lookupInput: LookupInput | undefined,
    priorityKey: number | undefined,
  ): Promise<ProviderLookupResult | undefined> {
    const skipped = skipReason(plan, this.input) ?? (lookupInput ? undefined : 'missing_input');
    let state: LookupState;
    let result: ProviderLookupResult | undefined;
    if (skipped || !lookupInput) {
      state = { outcome: 'skipped', reason: skipped ?? 'missing_input', attempts: 0, at: new Date().toISOString() };
    } else {
      this.#inputs[plan.name] = lookupInput;
      this.view.lookups[plan.name] = { outcome: 'pending', attempts: 0 };
      const quotaWait = this.input.quotaWait ?? DEFAULT_QUOTA_WAIT;
      ({ state, result } = await attemptLookup(plan, lookupInput, { priorityKey, quotaWait }));
    }
    ({ state, result } = await this.#recordLookup(plan, state, result, priorityKey));
    this.view.lookups[plan.name] = state;
    return result;
  }

  /** Stores how a lookup ended; a result the store refuses ends the lookup failed instead (see storeRefusal). */
  async #recordLookup(
    plan: ProviderPlan,
    state: LookupState,
    result: ProviderLookupResult | undefined,
    priorityKey: number | undefined,
  ): Promise<LookupAttempt> {
    const { contactKey } = this.input;
    const store = storeAt(priorityKey);
    try {
      await store.recordLookup({ contactKey, provider: plan.name, state, observations: result?.observations ?? [] });
      return { state, result };
    } catch (err) {
      const refused = storeRefusal(err);
      if (refused === undefined) throw err;
      // What the provider found cannot be stored: the lookup ends failed with the reason (and flags the contact),
      // and stage 2 must not follow accounts that were not kept.
      const failed: LookupState = {
        outcome: 'failed',
        attempts: state.attempts,
        at: state.at,
        errorType: LOOKUP_ERROR_TYPES.storeRejected,
        lastError: refused,
      };
      log.warn('lookup result refused by the store', { provider: plan.name });
      await store.recordLookup({ contactKey, provider: plan.name, state: failed, observations: [] });
      return { state: failed, result: undefined };
    }
  }

  /** Re-derives the record and publishes its status (query, search attributes). */
  async #mergeAndPublish(priorityKey: number | undefined): Promise<void> {
    const merged = await storeAt(priorityKey).mergeContact({ contactKey: this.input.contactKey });
    this.view.status = merged.status;
    this.view.conflicts = merged.conflicts;
    upsertSearchAttributes([
      { key: EnrichmentStatusKey, value: this.view.status },
      { key: FlaggedProvidersKey, value: this.failedProviders() },
    ]);
  }

  failedProviders(which: (state: LookupState | undefined) => boolean = (s) => s?.outcome === 'failed'): ProviderName[] {
    return this.#planned([...STAGE_ONE, ...STAGE_TWO])
      .map((plan) => plan.name)
      .filter((name, i, all) => all.indexOf(name) === i && which(this.view.lookups[name]))
      .sort();
  }

  /** Runs the chosen failed lookups again with the inputs they had, then re-merges. */
  async #retryFailed(only: ProviderName[] | undefined, priorityKey: number | undefined): Promise<void> {
    this.#busy = true;
    try {
      const chosen = this.failedProviders().filter((name) => !only || only.includes(name));
      await Promise.all(chosen.map((name) => this.#runLookup(this.#plans.get(name)!, this.#inputs[name], priorityKey)));
      if (chosen.length > 0) await this.#mergeAndPublish(priorityKey);
    } finally {
      this.#busy = false;
    }
  }
}
