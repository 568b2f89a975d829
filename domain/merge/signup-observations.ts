import type { ObservationInput } from '../../schemas/lookup.js';
import type { Signup } from '../../schemas/signup.js';

/** What the supporter typed, as observations: certain (confidence 1), timed when the signup arrived. */
export function signupObservations(signup: Signup, receivedAt: string): ObservationInput[] {
  const address = signup.postalAddress;
  const fields: Array<[string, string | undefined]> = [
    ['name.given', signup.givenName],
    ['name.family', signup.familyName],
    ['name.display', [signup.givenName, signup.familyName].filter(Boolean).join(' ') || undefined],
    ['location.locality', address?.locality],
    ['location.region', address?.region],
    ['location.postalCode', address?.postalCode],
    ['location.country', address?.country],
  ];
  return fields
    .filter((f): f is [string, string] => f[1] !== undefined)
    .map(([field, value]) => ({ field, value, confidence: 1, fetchedAt: receivedAt }));
}
