import type { BackfillRef } from './backfill.js';
import type { ProviderName } from './providers.js';
import type { Signup } from './signup.js';
import type { ContactStatus, Conflict } from './contact-record.js';
import type { LookupInput, LookupState } from './lookup.js';
import type { EnrichmentPriority } from './priority.js';

/** How one provider is to be called and retried, decided by the client from configuration (workflows never read config). */
export interface ProviderPlan {
  name: ProviderName;
  enabled: boolean;
  /** Per-attempt HTTP budget; the activity's startToClose is a little longer. */
  timeoutMs: number;
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  /** The policy's cap on backoff; a provider's own retry time (429 + reset) overrides it. */
  maximumIntervalMs: number;
  /** The whole budget of one lookup activity including every retry and its wait on the rate-limited queue. */
  scheduleToCloseMs: number;
}

/**
 * How long one lookup may wait for a provider's quota, in all and in how many waits. Waiting is not failing: a lookup
 * refused for quota sleeps in the workflow until the provider's reset and runs again, spending this budget, not
 * its attempts.
 */
export interface QuotaWaitPlan {
  budgetMs: number;
  maxWaits: number;
}

/** For inputs recorded before the plan existed: the configuration's defaults (LOOKUP_QUOTA_WAIT_MS, LOOKUP_QUOTA_WAITS). */
export const DEFAULT_QUOTA_WAIT: QuotaWaitPlan = { budgetMs: 48 * 3600 * 1000, maxWaits: 100 };

export interface RetryPlan {
  /**
   * After a contact is flagged, its failed transient lookups (rate limits, outages, timeouts) run again after
   * each of these delays; the workflow completes when nothing failed is left or the schedule is spent.
   */
  automaticDelaysMs: number[];
}

/** What `retryLookups` asks for: every failed lookup, or only those of `providers`. */
export interface RetryLookupsRequest {
  providers?: ProviderName[];
}

/** What a run carries into the next when it continues as new: the lookups so far and what is left of the schedule. */
export interface EnrichmentResume {
  lookups: Partial<Record<ProviderName, LookupState>>;
  inputs: Partial<Record<ProviderName, LookupInput>>;
  remainingDelaysMs: number[];
}

/** The input of `enrichContact`. It carries what the signup said; the key is an HMAC, never the email. */
export interface EnrichContactInput {
  contactKey: string;
  signup: Signup;
  /** When the signup arrived (ISO 8601): the time of what the supporter typed, stable across replays and resets. */
  receivedAt: string;
  providers: ProviderPlan[];
  retry: RetryPlan;
  socialLookupBasis: 'consent' | 'legitimate_interest';
  /**
   * The countries (ISO 3166-1 alpha-2) whose signups are looked up in the voter file (`VOTERFILE_COUNTRIES`).
   * Absent in inputs recorded before the setting existed: those runs look up US signups only, as they did.
   */
  voterfileCountries?: string[];
  /**
   * The task-queue priority keys of its activities (schemas/priority.ts). Absent in inputs recorded before it
   * existed: their activities carry no priority, as they did.
   */
  priority?: EnrichmentPriority;
  /** How long a lookup may wait for quota; absent in older inputs: {@link DEFAULT_QUOTA_WAIT}. */
  quotaWait?: QuotaWaitPlan;
  /** Set only by the workflow itself when it continues as new. */
  resume?: EnrichmentResume;
  /** Started by a backfill: where to report once the first pass has settled (absent otherwise). */
  backfill?: BackfillRef;
}

/** What the `status` query answers. */
export interface EnrichmentStatusView {
  status: ContactStatus;
  lookups: Partial<Record<ProviderName, LookupState>>;
  conflicts: Conflict[];
}
