import { z } from 'zod';
import type { PostalAddress } from './signup.js';

/** How every lookup ends (product.md): never a crash, never a silent empty result. */
export const LOOKUP_OUTCOMES = ['matched', 'no_match', 'skipped', 'failed'] as const;
export type LookupOutcome = (typeof LOOKUP_OUTCOMES)[number];

/** Why a lookup was skipped. */
export type SkipReason = 'disabled' | 'missing_input' | 'no_lawful_basis';

/** Error classes of a provider call; the Temporal failure `type` of an activity error. */
export const LOOKUP_ERROR_TYPES = {
  /** 429, or GitHub's 403 with no quota left: retried after the provider's announced delay. */
  rateLimited: 'RateLimited',
  /** 5xx: retried with backoff. */
  providerUnavailable: 'ProviderUnavailable',
  /** Connection reset, refused, or a timeout: retried with backoff. */
  network: 'NetworkError',
  /** Any other 4xx: our request is wrong or refused; retrying will not help. */
  providerRejected: 'ProviderRejected',
  /** The body is not JSON or does not have the documented shape. */
  malformedResponse: 'MalformedResponse',
  /** The body is larger than HTTP_MAX_RESPONSE_BYTES. */
  responseTooLarge: 'ResponseTooLarge',
  /** The provider redirected, or a URL pointed somewhere other than its configured host. */
  forbiddenHost: 'ForbiddenHost',
  /** More than one candidate fits and nothing tells them apart: a person must decide. */
  ambiguousMatch: 'AmbiguousMatch',
} as const;
export type LookupErrorType = (typeof LOOKUP_ERROR_TYPES)[keyof typeof LOOKUP_ERROR_TYPES];

/** Retrying these cannot succeed, so the retry policy stops at once. */
export const NON_RETRYABLE_ERROR_TYPES: LookupErrorType[] = [
  LOOKUP_ERROR_TYPES.providerRejected,
  LOOKUP_ERROR_TYPES.malformedResponse,
  LOOKUP_ERROR_TYPES.responseTooLarge,
  LOOKUP_ERROR_TYPES.forbiddenHost,
  LOOKUP_ERROR_TYPES.ambiguousMatch,
];

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
 * (stage 2). The workflow decides which fields a provider gets; a provider with too little input is skipped.
 */
export interface LookupInput {
  contactKey: string;
  email: string;
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
