import { describe, expect, it } from 'vitest';
import { actionNetworkSignup } from '../../api/mappers/action-network-signup.js';
import { nationBuilderSignup } from '../../api/mappers/nationbuilder-signup.js';
import { originOf, parseFlag, validateSignupDraft } from '../../api/mappers/signup-draft.js';
import { ActionNetworkEventSchema } from '../../schemas/webhooks/action-network.js';
import { NationBuilderPersonWebhookSchema } from '../../schemas/webhooks/nationbuilder.js';
import { nationBuilderPersonCreated } from './webhook-payloads.js';

describe('parseFlag', () => {
  it('reads yes and no as spreadsheets write them, blank as unsaid, and anything else as invalid', () => {
    for (const yes of ['true', 'TRUE', 'Yes', 'y', '1', 'on', true]) expect(parseFlag(yes)).toBe(true);
    for (const no of ['false', 'No', 'n', '0', 'off', false]) expect(parseFlag(no)).toBe(false);
    for (const unsaid of ['', '  ', null, undefined]) expect(parseFlag(unsaid)).toBeUndefined();
    expect(parseFlag('maybe')).toBe('invalid');
  });
});

describe('originOf', () => {
  it('names a signup path in the source’s terms by its longest mapped prefix', () => {
    const origins = { 'postalAddress.lines': 'person.address_lines', email: 'person.email' };
    expect(originOf('postalAddress.lines.1', origins)).toBe('person.address_lines.1');
    expect(originOf('email', origins)).toBe('person.email');
    expect(originOf('givenName', origins)).toBe('givenName');
  });
});

describe('nationBuilderSignup', () => {
  it('maps a person_creation payload and ignores email_opt_in for consent', () => {
    const webhook = NationBuilderPersonWebhookSchema.parse(
      nationBuilderPersonCreated({ email_opt_in: true, tags: [] }),
    );
    const result = validateSignupDraft(nationBuilderSignup(webhook));
    expect(result).toEqual({
      success: true,
      signup: {
        email: 'ada.moreau@example.org',
        givenName: 'Ada',
        familyName: 'Moreau',
        mobilePhone: '9195550100',
        birthYear: 1988,
        postalAddress: {
          lines: ['12 Elm St', 'Apt 3'],
          locality: 'Raleigh',
          region: 'NC',
          postalCode: '27601',
          country: 'US',
        },
        source: 'nationbuilder:examplenation',
      },
    });
  });

  it('takes consent from the consent_social tag, and says so in the consent', () => {
    const webhook = NationBuilderPersonWebhookSchema.parse(
      nationBuilderPersonCreated({ tags: ['volunteer', 'consent_social'] }),
    );
    const result = validateSignupDraft(nationBuilderSignup(webhook));
    expect(result.success && result.signup.consent).toEqual({
      socialProfiles: true,
      source: 'nationbuilder:tag:consent_social',
    });
  });

  it('treats blank strings as absent rather than as invalid values', () => {
    const webhook = NationBuilderPersonWebhookSchema.parse(
      nationBuilderPersonCreated({
        first_name: '  ',
        last_name: '',
        primary_address: { address1: '', city: '', zip: ' ', country_code: '' },
        submitted_address: '',
      }),
    );
    const result = validateSignupDraft(nationBuilderSignup(webhook));
    expect(result.success && result.signup).toMatchObject({ email: 'ada.moreau@example.org' });
    expect(result.success && result.signup.postalAddress).toBeUndefined();
    expect(result.success && result.signup.givenName).toBeUndefined();
  });
});

describe('actionNetworkSignup', () => {
  it('takes the primary email and address, and consent only from a yes to consent_social', () => {
    const event = ActionNetworkEventSchema.parse({
      identifiers: ['action_network:6f1c2d3e-0000-4aaa-8bbb-1234567890ab'],
      created_date: '2025-03-02T15:21:43Z',
      person: {
        given_name: 'Ada',
        email_addresses: [
          { address: 'old@example.org', primary: false, status: 'unsubscribed' },
          { address: 'ada@example.org', primary: true, status: 'subscribed' },
        ],
        postal_addresses: [
          {
            primary: true,
            address_lines: ['1 Rue de la Paix', ''],
            locality: 'Paris',
            postal_code: '75002',
            country: 'FR',
          },
        ],
        custom_fields: { consent_social: 'maybe' },
      },
    });
    const result = validateSignupDraft(actionNetworkSignup('osdi:submission', event, '0.osdi:submission'));
    expect(result).toEqual({
      success: true,
      signup: {
        email: 'ada@example.org',
        givenName: 'Ada',
        postalAddress: { lines: ['1 Rue de la Paix'], locality: 'Paris', postalCode: '75002', country: 'FR' },
        source: 'action_network:submission',
      },
    });
  });

  it('takes consent from a yes to consent_social, at the time of the event, and says where it came from', () => {
    const event = ActionNetworkEventSchema.parse({
      created_date: '2025-03-02T15:21:43Z',
      person: {
        email_addresses: [{ address: 'ada@example.org', primary: true }],
        custom_fields: { consent_social: 'Yes' },
      },
    });
    const result = validateSignupDraft(actionNetworkSignup('osdi:submission', event, '0.osdi:submission'));
    expect(result.success && result.signup.consent).toEqual({
      socialProfiles: true,
      at: '2025-03-02T15:21:43.000Z',
      source: 'action_network:custom_field:consent_social',
    });
  });
});
