import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildContactRecord, SIGNUP_PROVIDER, type MergeObservation } from '../../domain/merge/build-contact-record.js';
import { recordForPurpose, restrictedFields } from '../../domain/merge/restricted-fields.js';
import { contactViewAsOsdi, toOsdiPerson } from '../../domain/osdi/osdi-person.js';
import { csvHeader, encodeSegment, type SegmentFormat } from '../../domain/osdi/segment-export.js';
import type { ContactRecord } from '../../schemas/contact-record.js';
import { validOsdiPerson } from '../support/osdi-schema.js';

const AT = '2026-05-01T10:00:00.000Z';
const obs = (
  provider: string,
  field: string,
  value: unknown,
  confidence = 0.9,
  sourceUrl: string | null = null,
): MergeObservation => ({
  provider,
  field,
  value,
  confidence,
  fetchedAt: AT,
  sourceUrl,
});

/** Priya, as the pipeline would store her: typed, geocoded, on the voter file, on Mastodon and GitHub, and in the FEC. */
function priya(): ContactRecord {
  return buildContactRecord({
    id: 'p'.repeat(64),
    email: 'priya.primary@example.com',
    consent: { socialProfiles: true, at: AT, noticeVersion: 'v1' },
    createdAt: AT,
    observations: [
      obs(SIGNUP_PROVIDER, 'name.given', 'Priya', 1),
      obs(SIGNUP_PROVIDER, 'name.family', 'Raman', 1),
      obs(SIGNUP_PROVIDER, 'location.locality', 'Durham', 1),
      obs(SIGNUP_PROVIDER, 'location.region', 'NC', 1),
      obs(SIGNUP_PROVIDER, 'location.postalCode', '27705', 1),
      obs(SIGNUP_PROVIDER, 'location.country', 'US', 1),
      obs('census', 'location.lat', 36.0),
      obs('census', 'location.lon', -78.92),
      obs('census', 'location.districts.congressional', 'NC-04'),
      obs('census', 'location.districts.stateUpper', '20'),
      obs('gravatar', 'work.title', 'Pediatrician'),
      obs('gravatar', 'bio', 'Doctor, cyclist.'),
      obs('gravatar', 'profiles', {
        network: 'mastodon',
        handle: 'priya@med.example',
        url: 'https://med.example/@priya',
        verified: true,
      }),
      obs(
        'github',
        'profiles',
        { network: 'github', handle: 'praman', url: 'https://github.com/praman', verified: true },
        0.85,
      ),
      obs('fec', 'work.occupation', 'Physician', 0.6),
      obs('fec', 'work.employer', 'Duke Health', 0.6),
      obs('fec', 'donations', { count: 2, total: 500, lastDate: '2025-09-30', restricted: true }, 0.6),
      obs(
        'voterfile',
        'voter',
        {
          voterId: 'BN12345',
          status: 'A',
          party: 'DEM',
          precinct: '05-07',
          registrationDate: '2012-10-01',
          matchScore: 0.93,
          districts: { nc_house: '29' },
        },
        0.93,
      ),
    ],
    lookups: [],
  });
}

describe('restricted fields', () => {
  it('names donations and every field the FEC decides, and empties them for any purpose but research', () => {
    const record = priya();
    expect(restrictedFields(record)).toEqual(['donations', 'work.employer', 'work.occupation']);
    expect(recordForPurpose(record, 'research')).toBe(record);

    const outreach = recordForPurpose(record, 'outreach');
    expect(outreach.donations).toBeNull();
    expect(outreach.work).toEqual({ employer: null, occupation: null, title: 'Pediatrician' });
    expect(JSON.stringify(outreach)).not.toMatch(/"fec"|Duke Health|Physician"/);
    expect(outreach.name).toEqual(record.name);
    // The record itself is untouched.
    expect(record.work.occupation).toBe('Physician');
  });
});

describe('toOsdiPerson', () => {
  it('maps the record to an OSDI 1.2 person', () => {
    const person = toOsdiPerson(recordForPurpose(priya(), 'outreach'));

    expect(person).toEqual({
      identifiers: [`enrich:${'p'.repeat(64)}`, 'voterfile-us-nc:BN12345'],
      given_name: 'Priya',
      family_name: 'Raman',
      email_addresses: [{ address: 'priya.primary@example.com', primary: true }],
      postal_addresses: [
        {
          primary: true,
          address_type: 'Home',
          locality: 'Durham',
          region: 'NC',
          postal_code: '27705',
          country: 'US',
          location: { latitude: 36.0, longitude: -78.92, accuracy: 'Approximate' },
          status: 'Verified',
          last_verified_date: AT,
        },
      ],
      work_title: 'Pediatrician',
      profiles: [
        { provider: 'GitHub', handle: 'praman', url: 'https://github.com/praman' },
        { provider: 'Mastodon', handle: 'priya@med.example', url: 'https://med.example/@priya' },
      ],
      parties: [{ identification: 'Democratic', last_verified_date: AT, active: true }],
      custom_fields: {
        'enrich:status': 'enriched',
        'enrich:display_name': 'Priya Raman',
        'enrich:bio': 'Doctor, cyclist.',
        'enrich:district_congressional': 'NC-04',
        'enrich:district_state_upper': '20',
        'enrich:verified_profiles': 'github:praman mastodon:priya@med.example',
        'enrich:voter_id': 'BN12345',
        'enrich:voter_status': 'A',
        'enrich:precinct': '05-07',
        'enrich:registration_date': '2012-10-01',
        'enrich:match_confidence': '0.93',
        'enrich:voter_district_nc_house': '29',
        'enrich:consent_social_profiles': 'true',
      },
      modified_date: AT,
    });
    expect(Object.values(person.custom_fields).every((v) => typeof v === 'string')).toBe(true);
    expect(validOsdiPerson(person), JSON.stringify(validOsdiPerson.errors)).toBe(true);
  });

  it('says the email status only from what the lists said, never subscribed by default', () => {
    const record = recordForPurpose(priya(), 'outreach');
    const statusOf = (person: ReturnType<typeof toOsdiPerson>) => person.email_addresses[0]?.status;
    expect(statusOf(toOsdiPerson(record))).toBeUndefined();
    const subscribed = toOsdiPerson(record, {
      listStatuses: [{ status: 'subscribed', source: 'action_network:email_addresses.status' }],
    });
    expect(statusOf(subscribed)).toBe('subscribed');
    const bouncing = toOsdiPerson(record, {
      listStatuses: [
        { status: 'subscribed', source: 'nationbuilder:email_opt_in' },
        { status: 'bouncing', source: 'action_network:email_addresses.status' },
      ],
    });
    expect(statusOf(bouncing)).toBe('bouncing');
    expect(statusOf(toOsdiPerson({ ...record, status: 'suppressed' }))).toBe('unsubscribed');
    for (const person of [subscribed, bouncing]) expect(validOsdiPerson(person)).toBe(true);
  });

  it('keeps a party code it does not know as written, and namespaces a voter id without a region by country', () => {
    const record = recordForPurpose(priya(), 'outreach');
    const person = toOsdiPerson({
      ...record,
      location: { ...record.location, region: null, country: 'FR' },
      voter: { ...(record.voter as NonNullable<ContactRecord['voter']>), party: 'Parti Vert' },
    });
    expect(person.identifiers[1]).toBe('voterfile-fr:BN12345');
    expect(person.parties?.[0]?.identification).toBe('Parti Vert');
  });

  it('is refused by the schema when it would carry a raw party code or a date without a time', () => {
    const person = toOsdiPerson(recordForPurpose(priya(), 'outreach'));
    expect(validOsdiPerson({ ...person, parties: [{ identification: 'DEM' }] })).toBe(false);
    expect(validOsdiPerson({ ...person, modified_date: '2026-05-01' })).toBe(false);
    expect(validOsdiPerson({ ...person, email_addresses: [{ address: 'x@example.org', status: 'yes' }] })).toBe(false);
  });

  it('maps FEC data only when the record still has it (a research export)', () => {
    const research = toOsdiPerson(priya());
    expect(research).toMatchObject({ employer: 'Duke Health', occupation: 'Physician' });
    expect(research.custom_fields).toMatchObject({
      'enrich:fec_restricted': 'true',
      'enrich:fec_donations_count': '2',
      'enrich:fec_donations_total': '500',
      'enrich:fec_donations_last_date': '2025-09-30',
    });
  });

  it('marks an address only typed as Potential, and leaves out what is unknown', () => {
    const record = buildContactRecord({
      id: 'q'.repeat(64),
      email: 'q@example.org',
      consent: null,
      createdAt: AT,
      observations: [obs(SIGNUP_PROVIDER, 'location.postalCode', '75011', 1)],
      lookups: [],
    });
    const person = toOsdiPerson(record);
    expect(person.postal_addresses).toEqual([
      { primary: true, address_type: 'Home', postal_code: '75011', status: 'Potential' },
    ]);
    expect(person).not.toHaveProperty('parties');
    expect(person).not.toHaveProperty('profiles');
    expect(person.identifiers).toEqual([`enrich:${'q'.repeat(64)}`]);
    expect(validOsdiPerson(person)).toBe(true);
  });

  it('shows a contact as `enrich contact --format osdi` does: no FEC data; before the first merge, id, email and status', () => {
    const person = contactViewAsOsdi(priya());
    expect(person).not.toHaveProperty('occupation');
    expect(person.custom_fields).not.toHaveProperty('enrich:fec_donations_total');
    expect(contactViewAsOsdi({ id: 'r'.repeat(64), email: 'r@example.org', status: 'running' })).toEqual({
      identifiers: [`enrich:${'r'.repeat(64)}`],
      email_addresses: [{ address: 'r@example.org', primary: true }],
      custom_fields: { 'enrich:status': 'running' },
    });
  });
});

async function exported(
  records: ContactRecord[],
  format: SegmentFormat,
  purpose: 'outreach' | 'research',
): Promise<string> {
  async function* source() {
    await Promise.resolve();
    yield* records.map((r) => recordForPurpose(r, purpose));
  }
  let text = '';
  for await (const chunk of encodeSegment(source(), format, purpose)) text += chunk;
  return text;
}

describe('encodeSegment', () => {
  const hostile = {
    ...priya(),
    id: 'h'.repeat(64),
    bio: '=HYPERLINK("https://evil.example","x")',
    name: { given: '@Sam', family: 'Okoro, Jr.', display: '"Sam" Okoro' },
  };

  it('writes CSV with a header row named by record paths, one row per contact, formulas neutralised', async () => {
    const rows = parse<Record<string, string>>(await exported([priya(), hostile], 'csv', 'outreach'), {
      columns: true,
    });
    expect(Object.keys(rows[0]!)).toEqual(csvHeader('outreach'));
    expect(csvHeader('outreach')).not.toContain('donations.total');
    expect(rows[0]).toMatchObject({
      email: 'priya.primary@example.com',
      'name.given': 'Priya',
      'location.districts.congressional': 'NC-04',
      'location.lat': '36',
      'work.occupation': '',
      'work.title': 'Pediatrician',
      profiles: 'github:praman mastodon:priya@med.example',
      'voter.party': 'DEM',
      'voter.matchScore': '0.93',
      'consent.socialProfiles': 'true',
    });
    expect(rows[1]).toMatchObject({
      bio: `'=HYPERLINK("https://evil.example","x")`,
      'name.given': "'@Sam",
      'name.family': 'Okoro, Jr.',
      'name.display': '"Sam" Okoro',
    });
  });

  it('adds the FEC columns to a research CSV', async () => {
    const [row] = parse<Record<string, string>>(await exported([priya()], 'csv', 'research'), { columns: true });
    expect(row).toMatchObject({
      'work.occupation': 'Physician',
      'donations.count': '2',
      'donations.total': '500',
      'donations.lastDate': '2025-09-30',
    });
  });

  it('writes a header alone for an empty segment', async () => {
    expect(await exported([], 'csv', 'outreach')).toBe(`${csvHeader('outreach').join(',')}\n`);
    expect(JSON.parse(await exported([], 'osdi', 'outreach'))).toEqual({ _embedded: { 'osdi:people': [] } });
    expect(await exported([], 'jsonl', 'outreach')).toBe('');
  });

  it('writes JSON Lines, one record per line', async () => {
    const lines = (await exported([priya(), hostile], 'jsonl', 'outreach')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual(recordForPurpose(priya(), 'outreach'));
  });

  it('writes OSDI as one collection document, a person per line', async () => {
    const text = await exported([priya(), hostile], 'osdi', 'outreach');
    const document = JSON.parse(text) as { _embedded: { 'osdi:people': unknown[] } };
    expect(document._embedded['osdi:people']).toEqual([
      toOsdiPerson(recordForPurpose(priya(), 'outreach')),
      toOsdiPerson(recordForPurpose(hostile, 'outreach')),
    ]);
    expect(text.split('\n')).toHaveLength(5);
  });
});
