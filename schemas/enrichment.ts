import type { ProviderName } from './providers.js';
import type { Signup } from './signup.js';
import type { ContactStatus, Conflict } from './contact-record.js';
import type { LookupState } from './lookup.js';

/** How one provider is to be called, decided by the client from configuration (workflows never read config). */
export interface ProviderPlan {
  name: ProviderName;
  enabled: boolean;
  /** Per-attempt HTTP budget; the activity's startToClose is a little longer. */
  timeoutMs: number;
  maxAttempts: number;
}

export interface RetryPlan {
  initialIntervalMs: number;
  maximumIntervalMs: number;
  /** The whole budget of one lookup including every retry and its wait on the rate-limited queue. */
  scheduleToCloseMs: number;
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
}

/** What the `status` query answers. */
export interface EnrichmentStatusView {
  status: ContactStatus;
  lookups: Partial<Record<ProviderName, LookupState>>;
  conflicts: Conflict[];
}
