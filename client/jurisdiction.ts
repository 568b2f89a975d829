import type { Config } from '../config.js';
import type { Signup } from '../schemas/signup.js';

/**
 * Jurisdiction defaults, decided when an enrichment starts (workflows never read configuration):
 *
 * | jurisdiction | social lookups | geocoding | FEC |
 * |---|---|---|---|
 * | in `CONSENT_ONLY_JURISDICTIONS` (default `FR`) | only with the person's consent, whatever `SOCIAL_LOOKUP_BASIS` says | BAN (FR) | never |
 * | `US` | `SOCIAL_LOOKUP_BASIS` (default consent) | Census | name + US ZIP |
 * | any other | `SOCIAL_LOOKUP_BASIS` | none | never |
 *
 * A contact is in the jurisdiction of their address's country; an address without a country is taken to be in the
 * operator's `JURISDICTION` (when set). Social lookups need consent when either the contact's country or the
 * operator's jurisdiction requires it: an operator established in France is bound by the CNIL for every contact,
 * and a French resident is protected wherever the operator is (GDPR Art. 3).
 */

/** The country an address without one is presumed to be in: the operator's jurisdiction. */
export function withPresumedCountry(signup: Signup, jurisdiction: string | undefined): Signup {
  const address = signup.postalAddress;
  if (!jurisdiction || !address || address.country) return signup;
  return { ...signup, postalAddress: { ...address, country: jurisdiction } };
}

/** Why social lookups may run for this signup: `consent` when a consent-only jurisdiction applies, else the configured basis. */
export function socialLookupBasisFor(config: Config, signup: Signup): Config['socialLookupBasis'] {
  const consentOnly = new Set(config.jurisdiction.consentOnly);
  const country = signup.postalAddress?.country ?? config.jurisdiction.default;
  const operator = config.jurisdiction.default;
  if ((country && consentOnly.has(country)) || (operator && consentOnly.has(operator))) return 'consent';
  return config.socialLookupBasis;
}
