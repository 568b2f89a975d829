import { LOOKUP_ERROR_TYPES, NON_RETRYABLE_ERROR_TYPES, type LookupErrorType } from '../../schemas/lookup.js';

/**
 * A provider call that did not produce an answer, classified. Free of Temporal so the HTTP layer and its tests
 * stay plain; the activity wrapper turns it into an `ApplicationFailure` of the same type.
 */
export class LookupError extends Error {
  override readonly name = 'LookupError';
  constructor(
    readonly type: LookupErrorType,
    message: string,
    /** The provider's own "retry after", when it gave one. */
    readonly retryAfterMs?: number,
    readonly httpStatus?: number,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return !NON_RETRYABLE_ERROR_TYPES.includes(this.type);
  }
}

/** Classifies a status that is neither success nor a provider's own "not found" or rate-limit reply. */
export function errorForStatus(provider: string, status: number): LookupError {
  if (status >= 300 && status < 400) {
    return new LookupError(
      LOOKUP_ERROR_TYPES.forbiddenHost,
      `${provider} answered a redirect (HTTP ${status}); redirects are not followed`,
      undefined,
      status,
    );
  }
  if (status === 408 || status >= 500) {
    return new LookupError(
      LOOKUP_ERROR_TYPES.providerUnavailable,
      `${provider} answered HTTP ${status}`,
      undefined,
      status,
    );
  }
  if (status === 429) {
    return new LookupError(
      LOOKUP_ERROR_TYPES.rateLimited,
      `${provider} answered HTTP 429 without a retry time`,
      undefined,
      status,
    );
  }
  return new LookupError(
    LOOKUP_ERROR_TYPES.providerRejected,
    `${provider} rejected the request (HTTP ${status})`,
    undefined,
    status,
  );
}

/**
 * The lookup cannot be made from this input (no handle, no street line, a handle of the wrong form): non-retryable,
 * since the same input fails again. `reason` names the field and what it lacks.
 */
export function invalidInput(provider: string, reason: string): LookupError {
  return new LookupError(LOOKUP_ERROR_TYPES.invalidInput, `${provider}: ${reason}`);
}
