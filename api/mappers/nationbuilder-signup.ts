import type { NationBuilderPersonWebhook } from '../../schemas/webhooks/nationbuilder.js';
import { text, type SignupDraft } from './signup-draft.js';

/**
 * The NationBuilder tag that records consent to public social-profile matching. Staff (or a page's
 * "tag people who sign up" setting next to a consent checkbox) apply it.
 */
export const NATIONBUILDER_CONSENT_TAG = 'consent_social';

/**
 * Maps a NationBuilder person webhook to a signup draft.
 *
 * Consent: NationBuilder has no field for consent to social matching. `email_opt_in` is consent to receive email,
 * and an email given for a newsletter is not consent to being looked up on social networks (CNIL guidance; the
 * reason NationBuilder itself switched its email-to-social "Match" off in France). So `email_opt_in` is ignored
 * and the signup carries consent only when the person has the {@link NATIONBUILDER_CONSENT_TAG} tag; otherwise
 * it carries none, and social lookups are skipped unless the operator chose `SOCIAL_LOOKUP_BASIS=legitimate_interest`.
 *
 * Email: `email`, else the first of `email1`…`email4` not marked bad. Address: `primary_address`, else the
 * one-line `submitted_address` as typed. Phone: `mobile`, else `phone`. Birth year: from `birthdate`.
 */
export function nationBuilderSignup(webhook: NationBuilderPersonWebhook): SignupDraft {
  const person = webhook.payload.person;
  const base = 'payload.person';
  const origins: Record<string, string> = {};
  const from = <T>(signupPath: string, field: string, value: T): T => {
    if (value !== undefined) origins[signupPath] = `${base}.${field}`;
    return value;
  };

  const emailField = (['email', 'email1', 'email2', 'email3', 'email4'] as const).find(
    (field) => text(person[field]) !== undefined && !(field !== 'email' && person[`${field}_is_bad`] === true),
  );
  const phoneField = text(person.mobile) !== undefined ? 'mobile' : 'phone';
  const birthdate = text(person.birthdate);

  const address = person.primary_address;
  const addressLines = address
    ? (['address1', 'address2', 'address3'] as const).filter((f) => text(address[f]) !== undefined)
    : [];
  const postalAddress = address
    ? {
        lines: addressLines.map((f, i) =>
          from(`postalAddress.lines.${i}`, `primary_address.${f}`, text(address[f]) as string),
        ),
        locality: from('postalAddress.locality', 'primary_address.city', text(address.city)),
        region: from('postalAddress.region', 'primary_address.state', text(address.state)),
        postalCode: from('postalAddress.postalCode', 'primary_address.zip', text(address.zip)),
        country: from('postalAddress.country', 'primary_address.country_code', text(address.country_code)),
      }
    : text(person.submitted_address) !== undefined
      ? { lines: [from('postalAddress.lines', 'submitted_address', text(person.submitted_address) as string)] }
      : undefined;

  const tagged = (person.tags ?? []).some((tag) => tag.trim().toLowerCase() === NATIONBUILDER_CONSENT_TAG);
  origins.source = 'nation_slug';

  return {
    body: {
      email: emailField ? from('email', emailField, text(person[emailField])) : undefined,
      givenName: from('givenName', 'first_name', text(person.first_name)),
      familyName: from('familyName', 'last_name', text(person.last_name)),
      phone: from('phone', phoneField, text(person[phoneField])),
      // `YYYY-MM-DD`; anything else is passed on whole, so validation names `birthdate`.
      birthYear: from(
        'birthYear',
        'birthdate',
        birthdate ? (/^(\d{4})-\d{2}-\d{2}/.exec(birthdate)?.[1] ?? birthdate) : undefined,
      ),
      postalAddress,
      source: `nationbuilder:${webhook.nation_slug}`,
      consent: tagged
        ? from('consent', 'tags', { socialProfiles: true, source: `nationbuilder:tag:${NATIONBUILDER_CONSENT_TAG}` })
        : undefined,
    },
    origins,
  };
}
