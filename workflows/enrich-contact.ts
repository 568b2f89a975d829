import {
  ActivityFailure,
  ApplicationFailure,
  defineQuery,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { LookupActivities, LookupFailureDetails } from '../activities/lookup-activity.js';
import type { StoreActivities } from '../activities/store-activities.js';
import type { EnrichContactInput, EnrichmentStatusView, ProviderPlan } from '../schemas/enrichment.js';
import {
  NON_RETRYABLE_ERROR_TYPES,
  type LookupInput,
  type LookupState,
  type ProviderLookupResult,
  type SkipReason,
} from '../schemas/lookup.js';
import { SOCIAL_PROVIDERS, type ProviderName } from '../schemas/providers.js';
import { lookupActivityName, providerTaskQueue } from './ids.js';
import { STAGE_ONE, STAGE_TWO, stageOneInput, stageTwoInputs } from './lookup-plan.js';
import { EnrichmentStatusKey, FlaggedProvidersKey } from './search-attributes.js';

/** The `status` query: the contact's status, each lookup's state and the record's conflicts. */
export const statusQuery = defineQuery<EnrichmentStatusView>('status');

/**
 * Database writes retry until Postgres is back: a contact is never dropped because the store was briefly away.
 * Each write is an idempotent upsert, so a repeated attempt changes nothing.
 */
const store = proxyActivities<StoreActivities>({
  startToCloseTimeout: '30 seconds',
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
 * Enriches one supporter: records what they typed, looks them up in two stages (stage 1 from the signup, stage 2
 * from the accounts stage 1 found), each provider on its own rate-limited task queue and each stage in parallel,
 * records every outcome, then merges everything into the unified record.
 * A provider failing is data, not a crash: the lookup ends `failed`, is stored, and flags the contact.
 */
export async function enrichContact(input: EnrichContactInput): Promise<EnrichmentStatusView> {
  const view: EnrichmentStatusView = { status: 'running', lookups: {}, conflicts: [] };
  setHandler(statusQuery, () => view);
  upsertSearchAttributes([{ key: EnrichmentStatusKey, value: 'running' }]);

  await store.saveSignup({ contactKey: input.contactKey, signup: input.signup, receivedAt: input.receivedAt });

  /** Runs one provider's lookup (or records why it is skipped) and stores how it ended. */
  async function runLookup(plan: ProviderPlan, lookupInput: LookupInput | undefined): Promise<ProviderLookupResult | undefined> {
    const skipped = skipReason(plan, input) ?? (lookupInput ? undefined : 'missing_input');
    let state: LookupState;
    let result: ProviderLookupResult | undefined;
    if (skipped || !lookupInput) {
      state = { outcome: 'skipped', reason: skipped ?? 'missing_input', attempts: 0, at: new Date().toISOString() };
    } else {
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
    await store.recordLookup({ contactKey: input.contactKey, provider: plan.name, state, observations: result?.observations ?? [] });
    view.lookups[plan.name] = state;
    return result;
  }

  function lookupProxy(plan: ProviderPlan) {
    return proxyActivities<LookupActivities>({
      // Without an explicit queue the activity would run on the workflow's queue, outside the provider's rate limit.
      taskQueue: providerTaskQueue(workflowInfo().taskQueue, plan.name),
      startToCloseTimeout: plan.timeoutMs + 5_000,
      scheduleToCloseTimeout: input.retry.scheduleToCloseMs,
      retry: {
        initialInterval: input.retry.initialIntervalMs,
        backoffCoefficient: 2,
        maximumInterval: input.retry.maximumIntervalMs,
        maximumAttempts: plan.maxAttempts,
        nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
      },
    });
  }

  const plans = new Map(input.providers.map((plan) => [plan.name, plan]));
  const planned = (names: readonly ProviderName[]) => names.flatMap((name) => plans.get(name) ?? []);

  // Stage 1: what the signup gave (email, name, address).
  const stageOne = await Promise.all(
    planned(STAGE_ONE).map((plan) => runLookup(plan, stageOneInput(plan.name, input.contactKey, input.signup))),
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

  const merged = await store.mergeContact({ contactKey: input.contactKey });
  view.status = merged.status;
  view.conflicts = merged.conflicts;
  const flagged = Object.entries(view.lookups)
    .filter(([, s]) => s.outcome === 'failed')
    .map(([name]) => name)
    .sort();
  upsertSearchAttributes([
    { key: EnrichmentStatusKey, value: view.status },
    { key: FlaggedProvidersKey, value: flagged },
  ]);
  return view;
}
