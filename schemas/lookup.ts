import { z } from 'zod';
import type { PostalAddress } from './signup.js';

// The constants workflows use live in a zod-free module (see there); re-exported here for everything else.
export {
  LOOKUP_ERROR_TYPES,
  LOOKUP_OUTCOMES,
  NON_RETRYABLE_ERROR_TYPES,
  type LookupErrorType,
  type LookupOutcome,
  type SkipReason,
} from './lookup-outcomes.js';
import type { LookupOutcome, SkipReason } from './lookup-outcomes.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A profile on a social network, as it appears in the record's `profiles` list. */
export const ProfileSchema = z.object({
  network: z.string(),
  handle: z.string(),
  url: z.string(),
  verified: z.boolean(),
});
export type Profile = z.infer<typeof ProfileSchema>;

/** One value a provider reported for one field of the record, with the evidence for it. */
export interface ObservationInput {
  /** Dotted path in the unified record, e.g. `name.display`, `work.employer`, `profiles`. */
  field: string;
  value: JsonValue;
  /** 0–1: how sure we are the value belongs to this person (how the profile was linked, not how good it is). */
  confidence: number;
  sourceUrl?: string;
  fetchedAt: string;
}

/**
 * What a provider looks a supporter up by: what the signup gave (stage 1), or an account that stage 1 found
 * (stage 2). The workflow decides which fields a provider gets, and gives each only what it uses
 * (workflows/lookup-plan.ts): the email only to the providers that look people up by it (Gravatar, GitHub's
 * search), since every input is kept in the workflow's history. A provider with too little input is skipped.
 */
export interface LookupInput {
  contactKey: string;
  /** Gravatar and GitHub's email search only; absent for every other lookup (histories before: present for all). */
  email?: string;
  givenName?: string;
  familyName?: string;
  /** The year of birth the supporter gave: the voter file tells namesakes apart by it (never a full date). */
  birthYear?: number;
  postalAddress?: PostalAddress;
  /** Stage 2: the account to look up on this provider (`user@instance` on Mastodon, a handle on Bluesky, a login on GitHub). */
  handle?: string;
  /**
   * Stage 2: how strongly the handle is tied to the supporter (a Gravatar-verified account 0.9, a link the user
   * merely typed on another profile 0.6); the provider's observations carry it as their confidence.
   */
  linkConfidence?: number;
}

/** What a provider activity returns when the call itself succeeded. */
export interface ProviderLookupResult {
  outcome: Extract<LookupOutcome, 'matched' | 'no_match'>;
  /** The attempt that succeeded (1 = first try). */
  attempts: number;
  observations: ObservationInput[];
}

/** The state of one provider's lookup for one contact, as the `status` query and the record show it. */
export interface LookupState {
  outcome: LookupOutcome | 'pending';
  attempts: number;
  at?: string;
  reason?: SkipReason;
  errorType?: string;
  lastError?: string;
}
