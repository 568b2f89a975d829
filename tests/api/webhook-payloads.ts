/**
 * Webhook bodies shaped like the real ones (docs/api.md, "Webhooks": NationBuilder's envelope of payload version 4,
 * Action Network's OSDI-flavoured arrays), with invented people. Each builder returns a fresh object so tests can alter it.
 */

export const NATION_TOKEN = 'nb-shared-secret-for-tests';

/** A NationBuilder "Person created" webhook: the envelope and a person with many of the fields NationBuilder sends. */
export function nationBuilderPersonCreated(overrides: Record<string, unknown> = {}, token = NATION_TOKEN) {
  return {
    nation_slug: 'examplenation',
    payload: {
      person: {
        id: 4821,
        first_name: 'Ada',
        middle_name: null,
        last_name: 'Moreau',
        full_name: 'Ada Moreau',
        email: 'Ada.Moreau@Example.org',
        email1: 'Ada.Moreau@Example.org',
        email1_is_bad: false,
        email2: null,
        email2_is_bad: false,
        email3: null,
        email3_is_bad: false,
        email4: null,
        email4_is_bad: false,
        email_opt_in: true,
        mobile: '9195550100',
        mobile_opt_in: false,
        phone: null,
        do_not_contact: false,
        do_not_call: false,
        federal_donotcall: false,
        is_deceased: false,
        unsubscribed_at: null,
        birthdate: '1988-04-12',
        primary_address: {
          address1: '12 Elm St',
          address2: 'Apt 3',
          address3: null,
          city: 'Raleigh',
          county: 'Wake',
          state: 'NC',
          country_code: 'US',
          zip: '27601',
          lat: '35.7796',
          lng: '-78.6382',
        },
        submitted_address: '12 Elm St Raleigh, NC 27601',
        state_file_id: null,
        county_file_id: null,
        van_id: null,
        dw_id: null,
        rnc_id: null,
        ngp_id: null,
        external_id: null,
        twitter_login: null,
        twitter_id: null,
        facebook_username: null,
        linkedin_id: null,
        employer: null,
        occupation: null,
        party: null,
        support_level: null,
        tags: ['signup-2025'],
        recruiter_id: 3232,
        recruiter: { id: 3232, first_name: 'Carol', last_name: 'Smith', email: 'carol@example.com', tags: [] },
        created_at: '2025-03-02T10:21:43-05:00',
        updated_at: '2025-03-02T10:21:43-05:00',
        ...overrides,
      },
    },
    token,
    version: 4,
  };
}

/** A NationBuilder "Person contacted" webhook: `payload.person_call`, which starts nothing. */
export function nationBuilderPersonContacted(token = NATION_TOKEN) {
  return {
    nation_slug: 'examplenation',
    payload: {
      person_call: {
        contact_method_id: 8,
        contact_method_name: 'Phone call',
        contact_status_name: 'Left message',
        person: { id: 22, first_name: 'John', last_name: 'Doe', email: 'john.doe@example.org' },
      },
    },
    token,
    version: 4,
  };
}

/** A NationBuilder "Donation succeeded" webhook. */
export function nationBuilderDonation(token = NATION_TOKEN) {
  return {
    nation_slug: 'examplenation',
    payload: { donation: { id: 991, amount_in_cents: 2500, donor: { id: 4821, email: 'ada.moreau@example.org' } } },
    token,
    version: 4,
  };
}

export const AN_SECRET = 'an-path-secret-for-tests';

interface AnPerson {
  given?: string;
  family?: string;
  email?: string;
  postalCode?: string;
  country?: string;
  customFields?: Record<string, string>;
  /** The email's list status; `subscribed` unless said. */
  status?: string;
}

function osdiPerson({
  given,
  family,
  email,
  postalCode = '27601',
  country = 'US',
  customFields = {},
  status = 'subscribed',
}: AnPerson) {
  return {
    ...(given ? { given_name: given } : {}),
    ...(family ? { family_name: family } : {}),
    email_addresses: email ? [{ address: email, primary: true, status }] : [],
    postal_addresses: [{ primary: true, postal_code: postalCode, country }],
    phone_numbers: [{ number: '19195550100', number_type: 'Mobile', primary: true }],
    custom_fields: customFields,
  };
}

/** One element of an Action Network delivery: `{idempotency_key, action_network:sponsor, <type>: event}`. */
export function actionNetworkElement(type: string, person: AnPerson, idempotencyKey?: string) {
  return {
    ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
    'action_network:sponsor': {
      title: 'Example Climate Group',
      url: 'https://actionnetwork.org/groups/example-climate-group',
    },
    [type]: {
      identifiers: ['action_network:6f1c2d3e-0000-4aaa-8bbb-1234567890ab'],
      created_date: '2025-03-02T15:21:43Z',
      modified_date: '2025-03-02T15:21:43Z',
      person: osdiPerson(person),
      add_tags: ['climate-2025'],
      'action_network:referrer_data': {
        source: 'fb-ad-march',
        referrer: 'group-example-climate-group',
        website: 'https://facebook.com',
      },
      _links: {
        self: {
          href: 'https://actionnetwork.org/api/v2/forms/9f8e7d6c/submissions/6f1c2d3e-0000-4aaa-8bbb-1234567890ab',
        },
        'osdi:form': { href: 'https://actionnetwork.org/api/v2/forms/9f8e7d6c' },
        'osdi:person': { href: 'https://actionnetwork.org/api/v2/people/1a2b3c4d' },
      },
    },
  };
}
