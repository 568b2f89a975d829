import { describe, expect, it } from 'vitest';
import {
  buildContactRecord,
  SIGNUP_PROVIDER,
  type MergeInput,
  type MergeLookup,
  type MergeObservation,
} from '../../domain/merge/build-contact-record.js';
import { signupObservations } from '../../domain/merge/signup-observations.js';
import { githubObservations, GithubUserSchema } from '../../activities/providers/github.js';
import { gravatarObservations, GravatarProfileSchema } from '../../activities/providers/gravatar.js';
import { CommandError } from '../../cli/commands/command-error.js';
import { signupFromOptions } from '../../cli/commands/signup.js';
import { ContactRecordSchema, parseStoredRecord, RECORD_SCHEMA_VERSION } from '../../schemas/contact-record.js';
import type { JsonValue, ObservationInput } from '../../schemas/lookup.js';
import { SignupSchema, type Consent } from '../../schemas/signup.js';

const CREATED_AT = '2026-05-01T10:00:00.000Z';
const GRAVATAR_AT = '2026-05-01T10:00:05.000Z';
const GITHUB_AT = '2026-05-01T10:00:06.000Z';
const CONSENT: Consent = { socialProfiles: true, at: '2026-05-01T10:00:00.000Z', noticeVersion: 'v3' };

function asMerge(provider: string, observations: ObservationInput[]): MergeObservation[] {
  return observations.map((o) => ({
    provider,
    field: o.field,
    value: o.value,
    confidence: o.confidence,
    fetchedAt: o.fetchedAt,
    sourceUrl: o.sourceUrl ?? null,
  }));
}

function obs(
  provider: string,
  field: string,
  value: JsonValue,
  confidence: number,
  fetchedAt: string,
  sourceUrl: string | null = null,
): MergeObservation {
  return { provider, field, value, confidence, fetchedAt, sourceUrl };
}

function profile(network: string, handle: string, verified: boolean) {
  return { network, handle, url: `https://${network}.example.net/${handle}`, verified };
}

function input(
  observations: MergeObservation[],
  lookups: MergeLookup[] = [],
  consent: Consent | null = CONSENT,
): MergeInput {
  return { id: 'c'.repeat(64), email: 'dana.ruiz@example.org', consent, createdAt: CREATED_AT, observations, lookups };
}

const lookup = (
  provider: string,
  outcome: MergeLookup['outcome'],
  completedAt: string,
  extra: Partial<MergeLookup> = {},
): MergeLookup => ({
  provider,
  outcome,
  attempts: 1,
  completedAt,
  ...extra,
});

/** Dana as the pipeline stores her: what she typed, her Gravatar profile and her GitHub user. */
function danaInput(): MergeInput {
  const signup = SignupSchema.parse({
    email: 'dana.ruiz@example.org',
    givenName: 'Dana',
    familyName: 'Ruiz',
    postalAddress: { locality: 'Columbus', region: 'OH', postalCode: '43215', country: 'us' },
    consent: CONSENT,
  });
  const gravatar = GravatarProfileSchema.parse({
    hash: 'd1468e3452130ca8504c049b7482d662b9e675d52a516715399f4974ce5dfea6',
    display_name: 'Dana Ruiz',
    profile_url: 'https://gravatar.com/danaruiz',
    avatar_url: 'https://0.gravatar.com/avatar/d1468e34',
    location: 'Columbus, OH',
    description: 'Organizer, bike commuter.',
    job_title: 'Program Manager',
    company: 'Riverside Food Bank',
    verified_accounts: [
      { service_type: 'github', service_label: 'GitHub', url: 'https://github.com/druiz-demo', is_hidden: false },
      {
        service_type: 'mastodon',
        service_label: 'Mastodon',
        url: 'https://mastodon.example.net/@druiz',
        is_hidden: false,
      },
    ],
  });
  const github = GithubUserSchema.parse({
    login: 'druiz-demo',
    html_url: 'https://github.com/druiz-demo',
    name: 'Dana Ruiz',
    company: '@riverside-fb',
    blog: 'https://danaruiz.example.com',
    location: 'Columbus, OH',
    bio: 'Volunteer data nerd',
    avatar_url: 'https://avatars.githubusercontent.com/u/4815162?v=4',
    twitter_username: 'danaruiz',
  });
  return input(
    [
      ...asMerge(SIGNUP_PROVIDER, signupObservations(signup, CREATED_AT)),
      ...asMerge('gravatar', gravatarObservations(gravatar, GRAVATAR_AT)),
      ...asMerge('github', githubObservations(github, GITHUB_AT)),
    ],
    [
      lookup('gravatar', 'matched', '2026-05-01T10:00:05.200Z'),
      lookup('github', 'matched', '2026-05-01T10:00:06.500Z', { attempts: 2 }),
    ],
  );
}

/** mulberry32: a small seeded PRNG, so a failing shuffle can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe('buildContactRecord', () => {
  it('merges a realistic contact into the documented record', () => {
    const record = buildContactRecord(danaInput());

    expect(ContactRecordSchema.parse(record)).toEqual(record);
    expect(record).toMatchObject({
      schemaVersion: RECORD_SCHEMA_VERSION,
      id: 'c'.repeat(64),
      email: 'dana.ruiz@example.org',
      status: 'enriched',
      name: { given: 'Dana', family: 'Ruiz', display: 'Dana Ruiz' },
      location: {
        locality: 'Columbus',
        region: 'OH',
        postalCode: '43215',
        country: 'US',
        lat: null,
        lon: null,
        districts: {},
      },
      work: { employer: 'Riverside Food Bank', occupation: null, title: 'Program Manager' },
      bio: 'Organizer, bike commuter.',
      avatarUrl: 'https://0.gravatar.com/avatar/d1468e34',
      voter: null,
      lookups: {
        github: { outcome: 'matched', attempts: 2, at: '2026-05-01T10:00:06.500Z' },
        gravatar: { outcome: 'matched', attempts: 1, at: '2026-05-01T10:00:05.200Z' },
      },
      conflicts: [
        {
          field: 'work.employer',
          values: [
            { provider: 'gravatar', value: 'Riverside Food Bank' },
            { provider: 'github', value: 'riverside-fb' },
          ],
        },
      ],
      consent: CONSENT,
      updatedAt: '2026-05-01T10:00:06.500Z',
    });
    expect(record.profiles).toEqual([
      { network: 'github', handle: 'druiz-demo', url: 'https://github.com/druiz-demo', verified: true },
      { network: 'gravatar', handle: 'danaruiz', url: 'https://gravatar.com/danaruiz', verified: true },
      {
        network: 'mastodon',
        handle: 'druiz@mastodon.example.net',
        url: 'https://mastodon.example.net/@druiz',
        verified: true,
      },
      { network: 'twitter', handle: 'danaruiz', url: 'https://x.com/danaruiz', verified: false },
    ]);
  });

  it('prefers what the supporter typed over Gravatar and GitHub for name.display', () => {
    const record = buildContactRecord(
      input([
        obs('github', 'name.display', 'D. Ruiz', 0.85, GITHUB_AT),
        obs('gravatar', 'name.display', 'Dana R.', 0.9, GRAVATAR_AT),
        obs(SIGNUP_PROVIDER, 'name.display', 'Dana Ruiz', 1, CREATED_AT),
      ]),
    );

    expect(record.name.display).toBe('Dana Ruiz');
  });

  it('ranks the source before its confidence', () => {
    const record = buildContactRecord(
      input([
        obs('voterfile', 'work.employer', 'County Board', 1, GITHUB_AT),
        obs('github', 'work.employer', 'riverside-fb', 0.75, GRAVATAR_AT),
      ]),
    );

    expect(record.work.employer).toBe('riverside-fb');
  });

  it('prefers the more confident value among sources of one rank, even an older one', () => {
    const record = buildContactRecord(
      input([
        obs('gravatar', 'work.employer', 'Riverside Food Bank', 0.7, GITHUB_AT),
        obs('github', 'work.employer', 'riverside-fb', 0.85, GRAVATAR_AT),
      ]),
    );

    expect(record.work.employer).toBe('riverside-fb');
  });

  it('prefers the more recent value when rank and confidence tie', () => {
    const gravatarLater = buildContactRecord(
      input([
        obs('github', 'bio', 'Volunteer data nerd', 0.9, GRAVATAR_AT),
        obs('gravatar', 'bio', 'Organizer, bike commuter.', 0.9, GITHUB_AT),
      ]),
    );
    const githubLater = buildContactRecord(
      input([
        obs('github', 'bio', 'Volunteer data nerd', 0.9, GITHUB_AT),
        obs('gravatar', 'bio', 'Organizer, bike commuter.', 0.9, GRAVATAR_AT),
      ]),
    );

    expect(gravatarLater.bio).toBe('Organizer, bike commuter.');
    expect(githubLater.bio).toBe('Volunteer data nerd');
  });

  it('falls back to the typed given and family names when nothing gives a display name', () => {
    const record = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'name.given', 'Dana', 1, CREATED_AT),
        obs(SIGNUP_PROVIDER, 'name.family', 'Ruiz', 1, CREATED_AT),
      ]),
    );

    expect(record.name).toEqual({ given: 'Dana', family: 'Ruiz', display: 'Dana Ruiz' });
  });

  it('aggregates profiles across providers, one per network and case-insensitive handle, verified if any source verified it', () => {
    const record = buildContactRecord(
      input([
        obs(
          'github',
          'profiles',
          { ...profile('twitter', 'danaruiz', false), url: 'https://x.com/danaruiz' },
          0.6,
          GITHUB_AT,
        ),
        obs('github', 'profiles', profile('github', 'druiz-demo', true), 0.85, GITHUB_AT),
        obs(
          'gravatar',
          'profiles',
          { ...profile('twitter', 'DanaRuiz', true), url: 'https://x.com/DanaRuiz' },
          0.9,
          GRAVATAR_AT,
        ),
        obs('gravatar', 'profiles', profile('github', 'druiz-demo', true), 0.9, GRAVATAR_AT),
        obs('gravatar', 'profiles', profile('mastodon', 'druiz', true), 0.9, GRAVATAR_AT),
        obs('gravatar', 'profiles', profile('github', 'druiz', false), 0.5, GRAVATAR_AT),
      ]),
    );

    expect(record.profiles.map((p) => [p.network, p.handle.toLowerCase(), p.verified])).toEqual([
      ['github', 'druiz', false],
      ['github', 'druiz-demo', true],
      ['mastodon', 'druiz', true],
      ['twitter', 'danaruiz', true],
    ]);
    expect(record.provenance.profiles).toHaveLength(6);
  });

  it('spells a profile found twice as its best source does, whatever the order, and matches networks case-insensitively', () => {
    const fromGravatar = obs('gravatar', 'profiles', profile('github', 'druiz-demo', true), 0.9, GRAVATAR_AT);
    const fromGithub = obs(
      'github',
      'profiles',
      { ...profile('GitHub', 'DRuiz-Demo', true), url: 'https://github.com/DRuiz-Demo' },
      0.85,
      GITHUB_AT,
    );
    const a = buildContactRecord(input([fromGravatar, fromGithub]));
    const b = buildContactRecord(input([fromGithub, fromGravatar]));

    expect(a).toEqual(b);
    expect(a.profiles).toEqual([profile('github', 'druiz-demo', true)]);
  });

  it('ignores profile observations that are not profiles', () => {
    const record = buildContactRecord(
      input([
        obs('github', 'profiles', 'https://github.com/druiz-demo', 0.85, GITHUB_AT),
        obs('github', 'profiles', profile('github', 'druiz-demo', true), 0.85, GITHUB_AT),
      ]),
    );

    expect(record.profiles).toEqual([profile('github', 'druiz-demo', true)]);
  });

  it('lists a conflict when confident sources disagree on a name, a location or a job', () => {
    const record = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'name.display', 'Dana Ruiz', 1, CREATED_AT),
        obs('github', 'name.display', 'D. Ruiz-Alvarez', 0.85, GITHUB_AT),
        obs(SIGNUP_PROVIDER, 'location.locality', 'Columbus', 1, CREATED_AT),
        obs('voterfile', 'location.locality', 'Dublin', 0.95, GRAVATAR_AT),
        obs('gravatar', 'work.title', 'Program Manager', 0.9, GRAVATAR_AT),
        obs('github', 'work.title', 'Staff Engineer', 0.85, GITHUB_AT),
      ]),
    );

    expect(record.conflicts).toEqual([
      {
        field: 'location.locality',
        values: [
          { provider: SIGNUP_PROVIDER, value: 'Columbus' },
          { provider: 'voterfile', value: 'Dublin' },
        ],
      },
      {
        field: 'name.display',
        values: [
          { provider: SIGNUP_PROVIDER, value: 'Dana Ruiz' },
          { provider: 'github', value: 'D. Ruiz-Alvarez' },
        ],
      },
      {
        field: 'work.title',
        values: [
          { provider: 'gravatar', value: 'Program Manager' },
          { provider: 'github', value: 'Staff Engineer' },
        ],
      },
    ]);
  });

  it('lists no conflict for a bio or an avatar that differ between networks', () => {
    const record = buildContactRecord(
      input([
        obs('gravatar', 'bio', 'Organizer, bike commuter.', 0.9, GRAVATAR_AT),
        obs('github', 'bio', 'Volunteer data nerd', 0.85, GITHUB_AT),
        obs('gravatar', 'avatarUrl', 'https://0.gravatar.com/avatar/d1468e34', 0.9, GRAVATAR_AT),
        obs('github', 'avatarUrl', 'https://avatars.githubusercontent.com/u/4815162', 0.85, GITHUB_AT),
      ]),
    );

    expect(record.conflicts).toEqual([]);
    expect(record.bio).toBe('Organizer, bike commuter.');
  });

  it('lists no conflict when a disagreeing source is below 0.7 confidence', () => {
    const record = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'name.display', 'Dana Ruiz', 1, CREATED_AT),
        obs('inference', 'name.display', 'Dana Smith', 0.69, GITHUB_AT),
      ]),
    );

    expect(record.conflicts).toEqual([]);
    expect(record.provenance['name.display']).toHaveLength(2);
  });

  it('lists no conflict for values that differ only in case and spacing', () => {
    const record = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'name.display', 'Dana Ruiz', 1, CREATED_AT),
        obs('github', 'name.display', '  dana   RUIZ ', 0.85, GITHUB_AT),
      ]),
    );

    expect(record.conflicts).toEqual([]);
  });

  it.each([
    [['matched', 'failed'], 'flagged'],
    [['failed'], 'flagged'],
    [['matched', 'no_match'], 'enriched'],
    [['skipped', 'no_match'], 'enriched'],
    [[], 'enriched'],
  ] as const)('with lookups %j has status %s', (outcomes, status) => {
    const providers = ['gravatar', 'github'];
    const lookups = outcomes.map((outcome, i) => lookup(providers[i] ?? 'x', outcome, GITHUB_AT));

    expect(buildContactRecord(input([], lookups)).status).toBe(status);
  });

  it('reports each lookup with its outcome, attempts, time, reason and last error', () => {
    const record = buildContactRecord(
      input(
        [],
        [
          lookup('github', 'failed', GITHUB_AT, {
            attempts: 3,
            lastError: 'ProviderUnavailable: github answered HTTP 500',
            reason: null,
          }),
          lookup('gravatar', 'skipped', GRAVATAR_AT, { attempts: 0, reason: 'no_lawful_basis', lastError: null }),
        ],
      ),
    );

    expect(record.lookups).toEqual({
      github: {
        outcome: 'failed',
        attempts: 3,
        at: GITHUB_AT,
        lastError: 'ProviderUnavailable: github answered HTTP 500',
      },
      gravatar: { outcome: 'skipped', attempts: 0, at: GRAVATAR_AT, reason: 'no_lawful_basis' },
    });
  });

  it('lists every source of a field in provenance, best first', () => {
    const record = buildContactRecord(danaInput());

    expect(record.provenance['name.display']).toEqual([
      { provider: SIGNUP_PROVIDER, value: 'Dana Ruiz', confidence: 1, fetchedAt: CREATED_AT, sourceUrl: null },
      {
        provider: 'gravatar',
        value: 'Dana Ruiz',
        confidence: 0.9,
        fetchedAt: GRAVATAR_AT,
        sourceUrl: 'https://gravatar.com/danaruiz',
      },
      {
        provider: 'github',
        value: 'Dana Ruiz',
        confidence: 0.85,
        fetchedAt: GITHUB_AT,
        sourceUrl: 'https://github.com/druiz-demo',
      },
    ]);
    expect(record.provenance['work.employer']?.map((p) => p.value)).toEqual(['Riverside Food Bank', 'riverside-fb']);
    expect(record.provenance.profiles?.map((p) => [p.provider, p.confidence])).toEqual([
      ['gravatar', 0.9],
      ['gravatar', 0.9],
      ['gravatar', 0.9],
      ['github', 0.85],
      ['github', 0.6],
    ]);
    expect(Object.keys(record.provenance)).toEqual([...Object.keys(record.provenance)].sort());
  });

  it('does not depend on the order of observations and lookups', () => {
    const base = danaInput();
    const extra = input(
      [
        ...base.observations,
        obs('voterfile', 'location.locality', 'Dublin', 0.95, '2026-05-01T10:00:07.000Z'),
        obs('inference', 'work.occupation', 'Organizer', 0.4, '2026-05-01T10:00:07.000Z'),
      ],
      [...base.lookups, lookup('voterfile', 'failed', '2026-05-01T10:00:08.000Z', { lastError: 'timed out' })],
    );
    const expected = buildContactRecord(extra);

    for (const seed of [1, 2, 3, 42, 2026, 31337]) {
      const random = seededRandom(seed);
      const record = buildContactRecord({
        ...extra,
        observations: shuffled(extra.observations, random),
        lookups: shuffled(extra.lookups, random),
      });
      expect(record, `seed ${seed}`).toEqual(expected);
      expect(JSON.stringify(record), `seed ${seed}`).toBe(JSON.stringify(expected));
    }
    expect(expected.status).toBe('flagged');
    expect(expected.conflicts.map((c) => c.field)).toEqual(['location.locality', 'work.employer']);
  });

  it('gives the same record, updatedAt included, every time it merges the same facts', () => {
    expect(buildContactRecord(danaInput())).toEqual(buildContactRecord(danaInput()));
  });

  it('sets updatedAt to the latest of the creation, observation and lookup times', () => {
    const latestObservation = buildContactRecord(
      input(
        [obs('github', 'bio', 'x', 0.85, '2026-05-02T00:00:00.000Z')],
        [lookup('github', 'matched', '2026-05-01T11:00:00.000Z')],
      ),
    );
    const latestLookup = buildContactRecord(
      input(
        [obs('github', 'bio', 'x', 0.85, '2026-05-01T11:00:00.000Z')],
        [lookup('github', 'matched', '2026-05-03T00:00:00.000Z')],
      ),
    );
    const onlyCreation = buildContactRecord(input([], []));

    expect(latestObservation.updatedAt).toBe('2026-05-02T00:00:00.000Z');
    expect(latestLookup.updatedAt).toBe('2026-05-03T00:00:00.000Z');
    expect(onlyCreation.updatedAt).toBe(CREATED_AT);
  });

  it('carries FEC donations as restricted, whatever the observation said', () => {
    const record = buildContactRecord(
      input([
        obs('fec', 'donations', { count: 3, total: 750, lastDate: '2025-10-14', restricted: false }, 0.6, GITHUB_AT),
      ]),
    );
    expect(record.donations).toEqual({ count: 3, total: 750, lastDate: '2025-10-14', restricted: true });
    expect(buildContactRecord(input([])).donations).toBeNull();
  });

  it('takes consent only from the input, never from an observation', () => {
    const sneaky = obs('github', 'consent', { socialProfiles: true }, 0.99, GITHUB_AT);

    expect(buildContactRecord(input([sneaky], [], null)).consent).toBeNull();
    expect(buildContactRecord(input([sneaky], [], { socialProfiles: false })).consent).toEqual({
      socialProfiles: false,
    });
    expect(buildContactRecord(input([], [], CONSENT)).consent).toEqual(CONSENT);
  });
});

describe('buildContactRecord: voter file, flags, suppression (record schema 2)', () => {
  const VOTER = {
    voterId: 'BN12345',
    status: 'A',
    party: 'DEM',
    precinct: '05-07',
    registrationDate: '2012-10-01',
    matchScore: 0.93,
  };

  it('carries the voter-file registration as `voter`, with its provenance, ranked as a public record', () => {
    const record = buildContactRecord(
      input([
        obs(
          'voterfile',
          'voter',
          { ...VOTER, districts: { congressional: 'NC-04' }, votes: [{ election: '11/05/2024', method: 'ABSENTEE' }] },
          0.93,
          GITHUB_AT,
        ),
        obs('voterfile', 'location.locality', 'Durham', 0.93, GITHUB_AT),
        obs('inference', 'location.locality', 'Raleigh', 0.95, GITHUB_AT),
      ]),
    );

    expect(record.voter).toEqual({
      ...VOTER,
      districts: { congressional: 'NC-04' },
      votes: [{ election: '11/05/2024', method: 'ABSENTEE' }],
    });
    expect(record.provenance.voter?.[0]).toMatchObject({ provider: 'voterfile', confidence: 0.93 });
    expect(record.location.locality).toBe('Durham');
    expect(ContactRecordSchema.parse(record)).toEqual(record);
  });

  it('fills what a voter observation leaves out with null, and ignores one that is not a registration', () => {
    expect(
      buildContactRecord(input([obs('voterfile', 'voter', { voterId: 'X1', matchScore: 0.9 }, 0.9, GITHUB_AT)])).voter,
    ).toEqual({
      voterId: 'X1',
      status: null,
      party: null,
      precinct: null,
      registrationDate: null,
      matchScore: 0.9,
    });
    expect(buildContactRecord(input([obs('voterfile', 'voter', 'BN12345', 0.9, GITHUB_AT)])).voter).toBeNull();
  });

  it('flags the contact when two sources of 0.85 or more disagree on a name or an address', () => {
    const name = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'name.family', 'Ruiz', 1, CREATED_AT),
        obs('github', 'name.family', 'Alvarez', 0.85, GITHUB_AT),
      ]),
    );
    const place = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'location.postalCode', '43201', 1, CREATED_AT),
        obs('voterfile', 'location.postalCode', '27705', 0.9, GITHUB_AT),
      ]),
    );

    expect(name.status).toBe('flagged');
    expect(name.conflicts.map((c) => c.field)).toEqual(['name.family']);
    expect(place.status).toBe('flagged');
  });

  it('lists but does not flag a conflict below 0.85, or one on a work field', () => {
    const weak = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'name.family', 'Ruiz', 1, CREATED_AT),
        obs('github', 'name.family', 'Alvarez', 0.8, GITHUB_AT),
      ]),
    );
    const work = buildContactRecord(
      input([
        obs('gravatar', 'work.employer', 'Riverside Food Bank', 0.9, GRAVATAR_AT),
        obs('github', 'work.employer', 'riverside-fb', 0.85, GITHUB_AT),
      ]),
    );

    expect(weak.conflicts).toHaveLength(1);
    expect(weak.status).toBe('enriched');
    expect(work.conflicts).toHaveLength(1);
    expect(work.status).toBe('enriched');
  });

  it('sees no conflict in values that differ only by accents', () => {
    const record = buildContactRecord(
      input([
        obs(SIGNUP_PROVIDER, 'location.region', 'Île-de-France', 1, CREATED_AT),
        obs('ban', 'location.region', 'Ile-de-France', 0.9, GITHUB_AT),
      ]),
    );

    expect(record.conflicts).toEqual([]);
    expect(record.location.region).toBe('Île-de-France');
  });

  it('is suppressed when the contact is, whatever its lookups and conflicts', () => {
    const record = buildContactRecord({
      ...input(
        [
          obs(SIGNUP_PROVIDER, 'name.family', 'Ruiz', 1, CREATED_AT),
          obs('github', 'name.family', 'Alvarez', 0.9, GITHUB_AT),
        ],
        [lookup('github', 'failed', GITHUB_AT)],
      ),
      suppressed: true,
    });

    expect(record.status).toBe('suppressed');
    expect(buildContactRecord({ ...input([]), suppressed: false }).status).toBe('enriched');
  });

  it('ignores observations of consent, suppression, status and the record bookkeeping entirely', () => {
    const record = buildContactRecord(
      input(
        [
          obs('github', 'consent', { socialProfiles: false }, 1, GITHUB_AT),
          obs('github', 'consent.socialProfiles', false, 1, GITHUB_AT),
          obs('gravatar', 'status', 'enriched', 1, GRAVATAR_AT),
          obs('gravatar', 'suppressed', false, 1, GRAVATAR_AT),
          obs('gravatar', 'email', 'other@example.org', 1, GRAVATAR_AT),
          obs('gravatar', 'bio', 'Organizer', 0.9, GRAVATAR_AT),
        ],
        [],
        CONSENT,
      ),
    );

    expect(Object.keys(record.provenance)).toEqual(['bio']);
    expect(record.consent).toEqual(CONSENT);
    expect(record.email).toBe('dana.ruiz@example.org');
  });
});

describe('parseStoredRecord', () => {
  it('reads a record stored under schema 1 in the current shape, and refuses what is not a record', () => {
    const current = buildContactRecord(danaInput());
    const { voter: _voter, ...v1 } = { ...current, schemaVersion: 1 };

    expect(parseStoredRecord(v1)).toEqual({ ...current, voter: null });
    expect(parseStoredRecord(current)).toEqual(current);
    expect(parseStoredRecord({ id: 'x', status: 'running' })).toBeUndefined();
  });
});

describe('signupObservations', () => {
  it('turns each typed field into a certain observation at the time the signup arrived', () => {
    const signup = SignupSchema.parse({
      email: 'dana.ruiz@example.org',
      givenName: 'Dana',
      familyName: 'Ruiz',
      phone: '+1 614 555 0100',
      postalAddress: { lines: ['12 Elm St'], locality: 'Columbus', region: 'OH', postalCode: '43215', country: 'us' },
    });

    expect(signupObservations(signup, CREATED_AT)).toEqual([
      { field: 'name.given', value: 'Dana', confidence: 1, fetchedAt: CREATED_AT },
      { field: 'name.family', value: 'Ruiz', confidence: 1, fetchedAt: CREATED_AT },
      { field: 'name.display', value: 'Dana Ruiz', confidence: 1, fetchedAt: CREATED_AT },
      { field: 'location.locality', value: 'Columbus', confidence: 1, fetchedAt: CREATED_AT },
      { field: 'location.region', value: 'OH', confidence: 1, fetchedAt: CREATED_AT },
      { field: 'location.postalCode', value: '43215', confidence: 1, fetchedAt: CREATED_AT },
      { field: 'location.country', value: 'US', confidence: 1, fetchedAt: CREATED_AT },
    ]);
  });

  it('builds the display name from the given name alone when that is all there is', () => {
    const signup = SignupSchema.parse({ email: 'dana@example.org', givenName: 'Dana' });

    expect(signupObservations(signup, CREATED_AT).map((o) => [o.field, o.value])).toEqual([
      ['name.given', 'Dana'],
      ['name.display', 'Dana'],
    ]);
  });

  it('observes nothing for a signup with only an email', () => {
    expect(signupObservations(SignupSchema.parse({ email: 'dana@example.org' }), CREATED_AT)).toEqual([]);
  });
});

describe('signupFromOptions', () => {
  const now = new Date('2026-05-01T10:00:00.000Z');

  it('builds a validated signup from command-line options, with consent when --consent-social is given', () => {
    const signup = signupFromOptions(
      ' Dana.Ruiz@Example.org ',
      {
        givenName: 'Dana',
        familyName: 'Ruiz',
        birthYear: '1988',
        address: '12 Elm St',
        locality: 'Columbus',
        region: 'OH',
        postalCode: '43215',
        country: 'us',
        consentSocial: true,
      },
      now,
    );

    expect(signup).toMatchObject({
      email: 'dana.ruiz@example.org',
      givenName: 'Dana',
      familyName: 'Ruiz',
      birthYear: 1988,
      postalAddress: { lines: ['12 Elm St'], locality: 'Columbus', region: 'OH', postalCode: '43215', country: 'US' },
      source: 'cli',
      consent: { socialProfiles: true, at: '2026-05-01T10:00:00.000Z', noticeVersion: 'cli' },
    });
  });

  it('gives no consent and no address when neither is given', () => {
    const signup = signupFromOptions('dana@example.org', { givenName: 'Dana', source: 'door-knock' }, now);

    expect(signup.consent).toBeUndefined();
    expect(signup.postalAddress).toBeUndefined();
    expect(signup.source).toBe('door-knock');
    expect(signupFromOptions('dana@example.org', { consentSocial: false }, now).consent).toBeUndefined();
  });

  it('rejects an invalid email with a CommandError naming the field', () => {
    let caught: unknown;
    try {
      signupFromOptions('not-an-email', { givenName: 'Dana' }, now);
    } catch (err) {
      caught = err;
    }

    expect(caught).toBeInstanceOf(CommandError);
    expect((caught as CommandError).message).toBe('signup: email: must be an email address');
    expect((caught as CommandError).exitCode).toBe(1);
  });

  it('rejects an invalid country with a CommandError naming the nested field', () => {
    expect(() => signupFromOptions('dana@example.org', { country: 'USA' }, now)).toThrow(
      new CommandError('signup: postalAddress.country: must be an ISO 3166-1 alpha-2 code'),
    );
  });
});
