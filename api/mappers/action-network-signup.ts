import type { ActionNetworkEvent, ActionNetworkPersonEventType } from '../../schemas/webhooks/action-network.js';
import { parseEmailStatus, type ListStatus } from '../../schemas/list-status.js';
import { parseFlag, text, type SignupDraft } from './signup-draft.js';

/**
 * The Action Network custom field (a form question) that records consent to public social-profile matching:
 * `"true"`/`"yes"`/`"1"` (any case) is consent.
 */
export const ACTION_NETWORK_CONSENT_FIELD = 'consent_social';

/** The primary element of an OSDI array, else the first one that has the wanted field. */
function primaryIndex<T extends { primary?: boolean | null }>(
  items: T[] | null | undefined,
  has: (item: T, index: number) => boolean,
): number {
  const list = items ?? [];
  const primary = list.findIndex((item, i) => item.primary === true && has(item, i));
  return primary >= 0 ? primary : list.findIndex(has);
}

/**
 * Maps the person of one Action Network event to a signup draft; `base` is the element's path in the webhook
 * array (e.g. `0.osdi:submission`) so validation errors point into the delivery.
 *
 * Consent: being on a list (`email_addresses[].status = subscribed`) is consent to email, not to being looked up
 * on social networks, so it is not read as consent; it is the list status (`unsubscribed`, `bouncing` and
 * `spam complaints` are opt-outs: the person is not enriched). Phones: `number_type` Mobile and Work are kept
 * apart from the main number. The signup carries consent only when the form asked and the activist
 * answered yes in the {@link ACTION_NETWORK_CONSENT_FIELD} custom field; the event's `created_date` is when.
 */
export function actionNetworkSignup(
  type: ActionNetworkPersonEventType,
  event: ActionNetworkEvent,
  base: string,
): SignupDraft {
  const person = event.person ?? {};
  const at = `${base}.person`;
  const origins: Record<string, string> = {};
  const from = <T>(signupPath: string, field: string, value: T): T => {
    if (value !== undefined) origins[signupPath] = `${at}.${field}`;
    return value;
  };

  const emails = person.email_addresses ?? [];
  const e = primaryIndex(emails, (item) => text(item.address) !== undefined);
  const phones = person.phone_numbers ?? [];
  const typed = (type: string) =>
    phones.findIndex((item) => text(item.number) !== undefined && item.number_type?.trim().toLowerCase() === type);
  const mobile = typed('mobile');
  const work = typed('work');
  const p = primaryIndex(phones, (item, i) => text(item.number) !== undefined && i !== mobile && i !== work);
  const addresses = person.postal_addresses ?? [];
  const a = primaryIndex(addresses, () => true);
  const address = addresses[a];
  const lines = (address?.address_lines ?? [])
    .map((line) => text(line))
    .filter((line): line is string => line !== undefined);

  const consentAnswer = parseFlag(person.custom_fields?.[ACTION_NETWORK_CONSENT_FIELD]);
  const createdAt = text(event.created_date);
  const consentAt = createdAt && !Number.isNaN(Date.parse(createdAt)) ? new Date(createdAt).toISOString() : undefined;

  return {
    body: {
      email: from('email', `email_addresses.${e}.address`, text(emails[e]?.address)),
      givenName: from('givenName', 'given_name', text(person.given_name)),
      familyName: from('familyName', 'family_name', text(person.family_name)),
      phone: from('phone', `phone_numbers.${p}.number`, text(phones[p]?.number)),
      mobilePhone: from('mobilePhone', `phone_numbers.${mobile}.number`, text(phones[mobile]?.number)),
      workPhone: from('workPhone', `phone_numbers.${work}.number`, text(phones[work]?.number)),
      birthYear: from('birthYear', 'birthdate.year', person.birthdate?.year ?? undefined),
      postalAddress: address
        ? {
            lines: lines.length ? from('postalAddress.lines', `postal_addresses.${a}.address_lines`, lines) : undefined,
            locality: from('postalAddress.locality', `postal_addresses.${a}.locality`, text(address.locality)),
            region: from('postalAddress.region', `postal_addresses.${a}.region`, text(address.region)),
            postalCode: from(
              'postalAddress.postalCode',
              `postal_addresses.${a}.postal_code`,
              text(address.postal_code),
            ),
            country: from('postalAddress.country', `postal_addresses.${a}.country`, text(address.country)),
          }
        : undefined,
      source: `action_network:${type.slice(type.indexOf(':') + 1)}`,
      consent:
        consentAnswer === true
          ? from('consent', `custom_fields.${ACTION_NETWORK_CONSENT_FIELD}`, {
              socialProfiles: true,
              ...(consentAt ? { at: consentAt } : {}),
              source: `action_network:custom_field:${ACTION_NETWORK_CONSENT_FIELD}`,
            })
          : undefined,
    },
    origins,
    statuses: emailStatuses(emails[e]?.status, `${type}.person.email_addresses.status`),
  };
}

/**
 * The list status of the email used, as Action Network sends it (`subscribed`, `unsubscribed`, `bouncing`,
 * `spam complaints`); an unknown word is not guessed at and records nothing.
 */
function emailStatuses(value: unknown, field: string): ListStatus[] {
  const status = parseEmailStatus(value);
  return status && status !== 'invalid' ? [{ status, source: `action_network:${field}` }] : [];
}
