import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { LookupActivities, LookupFailureDetails } from '../activities/lookup-activity.js';
import type { StoreActivities } from '../activities/store-activities.js';
import type { EnrichContactInput, EnrichmentStatusView, ProviderPlan, RetryLookupsRequest } from '../schemas/enrichment.js';
import type { LookupInput, LookupState, ProviderLookupResult } from '../schemas/lookup.js';
// From the zod-free module: anything imported here is bundled into every workflow (see lookup-outcomes.ts).
import { LOOKUP_ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES, type SkipReason } from '../schemas/lookup-outcomes.js';
import { SOCIAL_PROVIDERS, type ProviderName } from '../schemas/providers.js';
import { lookupActivityName, providerTaskQueue } from '../schemas/ids.js';
import { STAGE_ONE, STAGE_TWO, stageOneInput, stageTwoInputs } from './lookup-plan.js';
import { EnrichmentStatusKey, FlaggedProvidersKey } from './search-attributes.js';

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
const store = proxyActivities<StoreActivities>({
  // Short: a write takes milliseconds, and after a worker crash its lost attempt is retried this much later.
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

function skipReason(plan: ProviderPlan, input: EnrichContactInput): SkipReason | undefined {
  if (!plan.enabled) return 'disabled';
  const social = SOCIAL_PROVIDERS.includes(plan.name);
  if (social && input.socialLookupBasis === 'consent' && input.signup.consent?.socialProfiles !== true) return 'no_lawful_basis';
  return undefined;
}

/** How many attempts a failed lookup made: the last attempt reports it; a timeout on the last attempt spent them all. */
function attemptsOf(failure: ActivityFailure, plan: ProviderPlan): number {
  if (failure.cause instanceof ApplicationFailure) {
    const details = failure.cause.details?.[0] as LookupFailureDetails | undefined;
    if (typeof details?.attempt === 'number') return details.attempt;
  }
  return failure.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? plan.maxAttempts : 1;
}

/**
 * The reason, when a store activity failed because Postgres refused the values (StoreRejected, never retried: the
 * same values would be refused again); undefined for any other failure.
 */
function storeRefusal(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === LOOKUP_ERROR_TYPES.storeRejected
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
  const view: EnrichmentStatusView = { status: 'running', lookups: { ...input.resume?.lookups }, conflicts: [] };
  /** The input each provider last ran with, so a failed lookup can run again exactly as it did. */
  const inputs: Partial<Record<ProviderName, LookupInput>> = { ...input.resume?.inputs };
  const plans = new Map(input.providers.map((plan) => [plan.name, plan]));
  const planned = (names: readonly ProviderName[]) => names.flatMap((name) => plans.get(name) ?? []);
  let busy = false;
  let signalled: RetryLookupsRequest | undefined;

  setHandler(statusQuery, () => view);
  setHandler(retryLookupsSignal, (request: RetryLookupsRequest | undefined) => {
    signalled = request ?? {};
  });
  setHandler(
    retryLookupsUpdate,
    async (request: RetryLookupsRequest | undefined) => {
      await condition(() => !busy);
      await retryFailed(request?.providers);
      return view;
    },
    {
      validator: (request: RetryLookupsRequest | undefined) => {
        const unknown = (request?.providers ?? []).filter((name) => !plans.has(name));
        if (unknown.length) throw new Error(`unknown provider(s): ${unknown.join(', ')}`);
      },
      description: 'Re-run the failed lookups (or those of `providers`) now; answers the status after the re-merge.',
    },
  );

  /** Runs one provider's lookup (or records why it is skipped) and stores how it ended. */
  async function runLookup(plan: ProviderPlan, lookupInput: LookupInput | undefined): Promise<ProviderLookupResult | undefined> {
    const skipped = skipReason(plan, input) ?? (lookupInput ? undefined : 'missing_input');
    let state: LookupState;
    let result: ProviderLookupResult | undefined;
    if (skipped || !lookupInput) {
      state = { outcome: 'skipped', reason: skipped ?? 'missing_input', attempts: 0, at: new Date().toISOString() };
    } else {
      inputs[plan.name] = lookupInput;
      view.lookups[plan.name] = { outcome: 'pending', attempts: 0 };
      try {
        result = await lookupProxy(plan)[lookupActivityName(plan.name)](lookupInput);
        state = { outcome: result.outcome, attempts: result.attempts, at: new Date().toISOString() };
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
        state = {
          outcome: 'failed',
          attempts: attemptsOf(err, plan),
          at: new Date().toISOString(),
          errorType: cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : (cause?.name ?? 'Error'),
          lastError: cause?.message ?? err.message,
        };
        log.warn('lookup failed', { provider: plan.name, errorType: state.errorType, attempts: state.attempts });
      }
    }
    try {
      await store.recordLookup({ contactKey: input.contactKey, provider: plan.name, state, observations: result?.observations ?? [] });
    } catch (err) {
      const refused = storeRefusal(err);
      if (refused === undefined) throw err;
      // What the provider found cannot be stored: the lookup ends failed with the reason (and flags the contact),
      // and stage 2 must not follow accounts that were not kept.
      state = { outcome: 'failed', attempts: state.attempts, at: state.at, errorType: LOOKUP_ERROR_TYPES.storeRejected, lastError: refused };
      result = undefined;
      log.warn('lookup result refused by the store', { provider: plan.name });
      await store.recordLookup({ contactKey: input.contactKey, provider: plan.name, state, observations: [] });
    }
    view.lookups[plan.name] = state;
    return result;
  }

  function lookupProxy(plan: ProviderPlan) {
    return proxyActivities<LookupActivities>({
      // Without an explicit queue the activity would run on the workflow's queue, outside the provider's rate limit.
      taskQueue: providerTaskQueue(workflowInfo().taskQueue, plan.name),
      startToCloseTimeout: plan.timeoutMs + 5_000,
      // Heartbeats carry cancellation to the HTTP request and detect a dead worker before startToClose.
      heartbeatTimeout: Math.min(plan.timeoutMs + 5_000, 30_000),
      scheduleToCloseTimeout: plan.scheduleToCloseMs,
      retry: {
        initialInterval: plan.initialIntervalMs,
        backoffCoefficient: plan.backoffCoefficient,
        maximumInterval: plan.maximumIntervalMs,
        maximumAttempts: plan.maxAttempts,
        nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
      },
    });
  }

  /** Re-derives the record and publishes its status (query, search attributes). */
  async function mergeAndPublish(): Promise<void> {
    const merged = await store.mergeContact({ contactKey: input.contactKey });
    view.status = merged.status;
    view.conflicts = merged.conflicts;
    upsertSearchAttributes([
      { key: EnrichmentStatusKey, value: view.status },
      { key: FlaggedProvidersKey, value: failedProviders() },
    ]);
  }

  function failedProviders(which: (state: LookupState | undefined) => boolean = (s) => s?.outcome === 'failed'): ProviderName[] {
    return planned([...STAGE_ONE, ...STAGE_TWO])
      .map((plan) => plan.name)
      .filter((name, i, all) => all.indexOf(name) === i && which(view.lookups[name]))
      .sort();
  }

  /** Runs the chosen failed lookups again with the inputs they had, then re-merges. */
  async function retryFailed(only?: ProviderName[]): Promise<void> {
    busy = true;
    try {
      const chosen = failedProviders().filter((name) => !only || only.includes(name));
      await Promise.all(chosen.map((name) => runLookup(plans.get(name)!, inputs[name])));
      if (chosen.length > 0) await mergeAndPublish();
    } finally {
      busy = false;
    }
  }

  if (!input.resume) {
    upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'running' }]);
    let saved: Awaited<ReturnType<StoreActivities['saveSignup']>>;
    try {
      saved = await store.saveSignup({ contactKey: input.contactKey, signup: input.signup, receivedAt: input.receivedAt });
    } catch (err) {
      // A signup the store refuses (a client that skipped the signup schema) ends the run at once, with the reason:
      // retrying the same values could only fail again, for ever.
      const refused = storeRefusal(err);
      if (refused === undefined) throw err;
      upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'rejected' }]);
      throw ApplicationFailure.create({ type: 'SignupNotStorable', message: `the signup cannot be stored: ${refused}`, nonRetryable: true });
    }
    // Opted out or erased: nothing is looked up or kept. (Histories recorded before suppression existed took the
    // other branch with an empty answer, so they replay unchanged.)
    if (saved?.suppressed) {
      view.status = 'suppressed';
      upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'suppressed' }]);
      return view;
    }

    // Stage 1: what the signup gave (email, name, address).
    const stageOne = await Promise.all(
      planned(STAGE_ONE).map((plan) =>
        runLookup(plan, stageOneInput(plan.name, input.contactKey, input.signup, { voterfileCountries: input.voterfileCountries })),
      ),
    );

    // Stage 2: the accounts stage 1 found. GitHub runs again only when its email search missed but a verified link names the account.
    const found = stageTwoInputs(input.contactKey, input.signup.email, stageOne.flatMap((r) => r?.observations ?? []), {
      githubFound: view.lookups.github?.outcome === 'matched',
    });
    await Promise.all(
      planned(STAGE_TWO)
        .filter((plan) => plan.name !== 'github' || found.github)
        .map((plan) => runLookup(plan, found[plan.name])),
    );
    await mergeAndPublish();
  } else {
    view.status = failedProviders().length ? 'flagged' : 'enriched';
  }

  // Flagged: wait for an operator, or retry transient failures after each delay of the schedule.
  const delays = [...(input.resume?.remainingDelaysMs ?? input.retry.automaticDelaysMs)];
  while (failedProviders().length > 0 && delays.length > 0) {
    const delay = delays[0]!;
    // While an update re-runs lookups they are pending, not failed: only a settled state may end the wait.
    const asked = await condition(() => !busy && (signalled !== undefined || failedProviders().length === 0), delay);
    await condition(() => !busy);
    if (failedProviders().length === 0) break;
    if (asked && signalled) {
      const request = signalled;
      signalled = undefined;
      await retryFailed(request.providers);
    } else {
      delays.shift();
      await retryFailed(failedProviders(transient));
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof enrichContact>({ ...input, resume: { lookups: view.lookups, inputs, remainingDelaysMs: delays } });
    }
  }
  await condition(allHandlersFinished);
  return view;
}
