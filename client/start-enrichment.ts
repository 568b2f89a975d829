import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Config } from '../config.js';
import type { EnrichContactInput } from '../schemas/enrichment.js';
import { PROVIDER_NAMES } from '../schemas/providers.js';
import { SignupSchema, type Signup } from '../schemas/signup.js';
import { enrichContact } from '../workflows/enrich-contact.js';
import { enrichContactWorkflowId } from '../schemas/ids.js';
import { ContactKeyKey, EnrichmentStatusKey } from '../workflows/search-attributes.js';
import { contactKeyFor } from '../domain/contact-key.js';
import { socialLookupBasisFor, withPresumedCountry } from './jurisdiction.js';
import { retryPolicyBudgetMs } from '../domain/retry-budget.js';
import type { PriorityClass } from '../schemas/priority.js';
import type { BackfillRef } from '../schemas/backfill.js';
import { lookupAttemptTimeoutMs } from '../schemas/ids.js';

export interface StartEnrichmentResult {
  workflowId: string;
  contactKey: string;
  /**
   * `started`: a new run; `existing`: this supporter's enrichment was already running or done; `suppressed`: the
   * person opted out or was erased, and nothing was started (only callers that can see the store answer this).
   */
  status: 'started' | 'existing' | 'suppressed';
}

/**
 * Turns configuration into the workflow's plan: workflows never read configuration themselves. The jurisdiction
 * defaults are applied here (see `jurisdiction.ts`): an address without a country gets the operator's
 * `JURISDICTION`, so the workflow's plan geocodes it with that country's geocoder (BAN for FR, never the US
 * Census) and looks it up in the voter file when that country is in `VOTERFILE_COUNTRIES`; and social lookups
 * need consent wherever a consent-only jurisdiction applies.
 */
export function buildEnrichContactInput(
  config: Config,
  contactKey: string,
  input: Signup,
  receivedAt: Date,
  priority: PriorityClass = 'live',
): EnrichContactInput {
  const signup = withPresumedCountry(input, config.jurisdiction.default);
  return {
    contactKey,
    signup,
    receivedAt: receivedAt.toISOString(),
    providers: PROVIDER_NAMES.map((name) => {
      const provider = config.providers[name];
      const overrides = provider.retryOverrides ?? {};
      const policy = {
        maxAttempts: provider.maxAttempts,
        initialIntervalMs: overrides.initialIntervalMs ?? config.retry.initialIntervalMs,
        backoffCoefficient: overrides.backoffCoefficient ?? config.retry.backoffCoefficient,
        maximumIntervalMs: overrides.maximumIntervalMs ?? config.retry.maximumIntervalMs,
      };
      // Unset, the budget is the queue-wait allowance plus the retry policy's own whole budget.
      const budget =
        config.retry.queueWaitMs +
        retryPolicyBudgetMs({ ...policy, attemptTimeoutMs: lookupAttemptTimeoutMs(provider.timeoutMs) });
      return {
        name,
        enabled: provider.enabled,
        timeoutMs: provider.timeoutMs,
        ...policy,
        scheduleToCloseMs: overrides.scheduleToCloseMs ?? config.retry.scheduleToCloseMs ?? budget,
      };
    }),
    retry: { automaticDelaysMs: [...config.retry.automaticDelaysMs] },
    priority: {
      firstPass: config.priority[priority],
      operatorRetry: config.priority.operator,
      automaticRetry: config.priority.automatic,
    },
    quotaWait: { ...config.quotaWait },
    socialLookupBasis: socialLookupBasisFor(config, signup),
    voterfileCountries: [...config.voterfileCountries],
  };
}

/**
 * Starts a supporter's enrichment, or finds the one already running or done: the workflow ID is derived from
 * the email, a running run is reused, and a closed one is not started again (re-enrichment is a deliberate act).
 * Resolves only once Temporal has acknowledged the start.
 */
export interface StartEnrichmentOptions {
  /**
   * Start a new run for a supporter whose enrichment has finished (a running one is still `existing`). Re-running
   * a re-enrichment re-enriches again; records stay consistent since observations are idempotent.
   */
  reenrich?: boolean;
  /** Whose work this is, for the task-queue priority of every activity it runs (schemas/priority.ts); default `live`. */
  priority?: PriorityClass;
  /** Started by a backfill workflow, which the enrichment tells when its first pass has settled. */
  backfill?: BackfillRef;
}

export async function startEnrichment(
  client: Client,
  config: Config,
  input: Signup,
  receivedAt = new Date(),
  options: StartEnrichmentOptions = {},
): Promise<StartEnrichmentResult> {
  // Parsed again here, whoever the caller is: what enters workflow history is always normalised and valid.
  const signup = SignupSchema.parse(input);
  const contactKey = contactKeyFor(signup.email, config.pseudonymKey);
  const workflowId = enrichContactWorkflowId(contactKey);
  try {
    // FAIL on a running run and REJECT_DUPLICATE on a closed one: the server tells us whether this call started
    // a run, which USE_EXISTING would hide (the TypeScript client does not expose the response's `started`).
    await client.workflow.start(enrichContact, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [
        {
          ...buildEnrichContactInput(config, contactKey, signup, receivedAt, options.priority),
          ...(options.backfill ? { backfill: options.backfill } : {}),
        },
      ],
      // The workflow's own tasks too; its activities set their keys explicitly (workflows/enrich-contact.ts).
      priority: { priorityKey: config.priority[options.priority ?? 'live'] },
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: options.reenrich ? 'ALLOW_DUPLICATE' : 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: EnrichmentStatusKey, value: 'running' },
        { key: ContactKeyKey, value: contactKey },
      ],
    });
    return { workflowId, contactKey, status: 'started' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, contactKey, status: 'existing' };
    throw err;
  }
}
