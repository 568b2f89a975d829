/**
 * How lookups end and fail: plain constants, no zod. Workflow code imports them, and whatever a workflow imports is
 * bundled into every workflow's sandbox: zod there cost about 1 MB of memory per cached workflow.
 */

/** How every lookup ends (docs/how-it-works.md): never a crash, never a silent empty result. */
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
  /**
   * The provider answered, but the database refused to store what it found (a value Postgres cannot hold); the
   * same answer would be refused again, so the lookup ends failed and flags the contact instead of retrying.
   */
  storeRejected: 'StoreRejected',
  /**
   * The lookup input lacks what the provider needs (no handle, no street line, no name and ZIP) or holds it in a form
   * the provider cannot take (a Mastodon handle that is not user@host): the same input fails again, so it is not
   * retried. The workflow skips a lookup whose input is missing (`missing_input`), so this means a bad value found
   * upstream or a lookup started some other way.
   */
  invalidInput: 'InvalidInput',
} as const;
export type LookupErrorType = (typeof LOOKUP_ERROR_TYPES)[keyof typeof LOOKUP_ERROR_TYPES];

/** Retrying these cannot succeed, so the retry policy stops at once. */
export const NON_RETRYABLE_ERROR_TYPES: LookupErrorType[] = [
  LOOKUP_ERROR_TYPES.providerRejected,
  LOOKUP_ERROR_TYPES.malformedResponse,
  LOOKUP_ERROR_TYPES.responseTooLarge,
  LOOKUP_ERROR_TYPES.forbiddenHost,
  LOOKUP_ERROR_TYPES.ambiguousMatch,
  LOOKUP_ERROR_TYPES.storeRejected,
  LOOKUP_ERROR_TYPES.invalidInput,
];
