/**
 * Which country an address is in, for the voter file: plain code, no zod. The workflow's plan
 * (workflows/lookup-plan.ts) and the voter-file lookup (activities/providers/voterfile.ts) read it alike, and
 * whatever a workflow imports is bundled into every workflow's sandbox.
 */

/** A US ZIP: five digits, or ZIP+4. */
export const US_ZIP = /^\d{5}(-?\d{4})?$/;

/**
 * The address's country: its own, else US for a five-digit ZIP (an address without a country had the operator's
 * JURISDICTION put in by the client before the workflow started, when one is set); else undefined (unknown).
 */
export function countryOfAddress(
  address: { country?: string | undefined; postalCode?: string | undefined } | undefined,
): string | undefined {
  return address?.country ?? (US_ZIP.test(address?.postalCode ?? '') ? 'US' : undefined);
}
