import type {
  NationBuilderAddress,
  NationBuilderLegacyWebhook,
  NationBuilderPersonWebhook,
} from '../../schemas/webhooks/nationbuilder.js';
import type { ListStatus } from '../../schemas/list-status.js';
import { text, type SignupDraft } from './signup-draft.js';

/**
 * The NationBuilder tag that records consent to public social-profile matching, when it is on the person at the
 * signup (a page's "tag people who sign up" setting next to a consent checkbox). NationBuilder sends no webhook when
 * a tag is added or removed later, so a tag added by staff afterwards never reaches us (README, "Consent").
 */
export const NATIONBUILDER_CONSENT_TAG = 'consent_social';

/** The flags of a NationBuilder person that are the nation's own opt-outs, and `email_opt_in: true` as `subscribed`. */
export function nationBuilderStatuses(
  person: {
    do_not_contact?: boolean | null;
    is_deceased?: boolean | null;
    unsubscribed_at?: string | null;
    email_opt_in?: boolean | null;
  },
  prefix = 'nationbuilder',
): ListStatus[] {
  const statuses: ListStatus[] = [];
  if (person.is_deceased === true) statuses.push({ status: 'deceased', source: `${prefix}:is_deceased` });
  if (person.do_not_contact === true) statuses.push({ status: 'do_not_contact', source: `${prefix}:do_not_contact` });
  if (text(person.unsubscribed_at) !== undefined)
    statuses.push({ status: 'unsubscribed', source: `${prefix}:unsubscribed_at` });
  else if (person.email_opt_in === true) statuses.push({ status: 'subscribed', source: `${prefix}:email_opt_in` });
  return statuses;
}

type From = <T>(signupPath: string, field: string, value: T) => T;

function addressDraft(address: NationBuilderAddress, field: string, from: From) {
  const lines = (['address1', 'address2', 'address3'] as const).filter((f) => text(address[f]) !== undefined);
  return {
    lines: lines.map((f, i) => from(`postalAddress.lines.${i}`, `${field}.${f}`, text(address[f]) as string)),
    locality: from('postalAddress.locality', `${field}.city`, text(address.city)),
    region: from('postalAddress.region', `${field}.state`, text(address.state)),
    postalCode: from('postalAddress.postalCode', `${field}.zip`, text(address.zip)),
    country: from('postalAddress.country', `${field}.country_code`, text(address.country_code)),
  };
}

function originsRecorder(base: string): { origins: Record<string, string>; from: From } {
  const origins: Record<string, string> = {};
  const from: From = (signupPath, field, value) => {
    if (value !== undefined) origins[signupPath] = `${base}.${field}`;
    return value;
  };
  return { origins, from };
}

const consentFromTags = (tags: string[]) =>
  tags.some((tag) => tag.trim().toLowerCase() === NATIONBUILDER_CONSENT_TAG)
    ? { socialProfiles: true, source: `nationbuilder:tag:${NATIONBUILDER_CONSENT_TAG}` }
    : undefined;

/**
 * Maps a NationBuilder person webhook (payload version 4) to a signup draft.
 *
 * Consent: NationBuilder has no field for consent to social matching. `email_opt_in` is consent to receive email,
 * and an email given for a newsletter is not consent to being looked up on social networks (CNIL guidance; the
 * reason NationBuilder itself switched its email-to-social "Match" off in France). So `email_opt_in` is not
 * consent, and the signup carries consent only when the person has the {@link NATIONBUILDER_CONSENT_TAG} tag;
 * otherwise it carries none, and social lookups are skipped unless the operator chose
 * `SOCIAL_LOOKUP_BASIS=legitimate_interest`.
 *
 * List statuses: `do_not_contact`, `is_deceased` and `unsubscribed_at` are opt-outs (the person is not enriched);
 * `email_opt_in: true` is the nation's word that they are subscribed.
 *
 * Email: `email`, else the first of `email1`…`email4` not marked bad. Address: `primary_address`, else the
 * one-line `submitted_address` as typed. Phones: `phone`, `mobile` and `work_phone_number`, each kept as itself.
 */
export function nationBuilderSignup(webhook: NationBuilderPersonWebhook): SignupDraft {
  const person = webhook.payload.person;
  const { origins, from } = originsRecorder('payload.person');

  const emailField = (['email', 'email1', 'email2', 'email3', 'email4'] as const).find(
    (field) => text(person[field]) !== undefined && !(field !== 'email' && person[`${field}_is_bad`] === true),
  );
  const birthdate = text(person.birthdate);
  const postalAddress = person.primary_address
    ? addressDraft(person.primary_address, 'primary_address', from)
    : text(person.submitted_address) !== undefined
      ? { lines: [from('postalAddress.lines', 'submitted_address', text(person.submitted_address) as string)] }
      : undefined;
  const consent = consentFromTags(person.tags ?? []);
  origins.source = 'nation_slug';

  return {
    body: {
      email: emailField ? from('email', emailField, text(person[emailField])) : undefined,
      givenName: from('givenName', 'first_name', text(person.first_name)),
      familyName: from('familyName', 'last_name', text(person.last_name)),
      phone: from('phone', 'phone', text(person.phone)),
      mobilePhone: from('mobilePhone', 'mobile', text(person.mobile)),
      workPhone: from('workPhone', 'work_phone_number', text(person.work_phone_number)),
      // `YYYY-MM-DD`; anything else is passed on whole, so validation names `birthdate`.
      birthYear: from(
        'birthYear',
        'birthdate',
        birthdate ? (/^(\d{4})-\d{2}-\d{2}/.exec(birthdate)?.[1] ?? birthdate) : undefined,
      ),
      postalAddress,
      source: `nationbuilder:${webhook.nation_slug}`,
      consent: consent ? from('consent', 'tags', consent) : undefined,
    },
    origins,
    statuses: nationBuilderStatuses(person),
  };
}

/**
 * Maps a person webhook of payload version 3 or below (`payload.signup`) the same way: `email1`…`email4` (the
 * first one given), `phone_number`, `mobile_number`, `work_phone_number`, the address under `address` or
 * `primary_address`, the consent tag in the comma-separated `tag_list`, the same opt-out flags. `born_at` is not
 * read: the old samples show free-form dates, and a birth year guessed from one is worse than none.
 */
export function nationBuilderLegacySignup(webhook: NationBuilderLegacyWebhook): SignupDraft {
  const person = webhook.payload.signup;
  const { origins, from } = originsRecorder('payload.signup');
  const emailField = (['email', 'email1', 'email2', 'email3', 'email4'] as const).find(
    (field) => text(person[field]) !== undefined,
  );
  const addressField = person.primary_address ? 'primary_address' : person.address ? 'address' : undefined;
  const address = addressField ? person[addressField] : undefined;
  const consent = consentFromTags((person.tag_list ?? '').split(','));
  const slug = text(webhook.nation_slug);
  if (slug) origins.source = 'nation_slug';
  return {
    body: {
      email: emailField ? from('email', emailField, text(person[emailField])) : undefined,
      givenName: from('givenName', 'first_name', text(person.first_name)),
      familyName: from('familyName', 'last_name', text(person.last_name)),
      phone: from('phone', 'phone_number', text(person.phone_number)),
      mobilePhone: from('mobilePhone', 'mobile_number', text(person.mobile_number)),
      workPhone: from('workPhone', 'work_phone_number', text(person.work_phone_number)),
      postalAddress: address && addressField ? addressDraft(address, addressField, from) : undefined,
      source: slug ? `nationbuilder:${slug}` : 'nationbuilder',
      consent: consent ? from('consent', 'tag_list', consent) : undefined,
    },
    origins,
    statuses: nationBuilderStatuses(person),
  };
}
