import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildContactRecord,
  type MergeInput,
  type MergeLookup,
  type MergeObservation,
} from '../../domain/merge/build-contact-record.js';
import { ContactRecordSchema, type ContactRecord } from '../../schemas/contact-record.js';
import { LOOKUP_OUTCOMES } from '../../schemas/lookup.js';
import type { Consent } from '../../schemas/signup.js';
import { canonicalJson } from '../../store/observations.js';

/**
 * Properties of the merge over arbitrary facts: any providers (known and unknown), any fields (record fields and
 * fields enrichment must never write), values that differ only by case, spacing or accents, profiles spelled
 * differently, hostile consent and status observations.
 */

const PROVIDERS = [
  'signup',
  'gravatar',
  'github',
  'mastodon',
  'bluesky',
  'voterfile',
  'census',
  'ban',
  'fec',
  'inference',
];
const PROTECTED_FIELDS = ['consent', 'consent.socialProfiles', 'status', 'suppressed', 'email', 'updatedAt'];
const TEXT_FIELDS = [
  'name.given',
  'name.family',
  'name.display',
  'location.locality',
  'location.postalCode',
  'location.districts.congressional',
  'work.employer',
  'work.occupation',
  'work.title',
  'bio',
  'avatarUrl',
];
const TEXTS = [
  'Dana',
  'dana',
  ' DANA ',
  'Ruiz',
  'Rúiz',
  'Alvarez',
  'NC-04',
  'OH-13',
  'Physician',
  'physician ',
  'Riverside Food Bank',
];

/** Few distinct times, so ties on rank, confidence and time (where order could leak in) are common. */
const isoTime = fc.oneof(
  fc.constantFrom('2026-05-01T10:00:00.000Z', '2026-05-01T10:00:05.000Z', '2026-06-01T00:00:00.000Z'),
  fc
    .date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-01-01T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
);
const confidence = fc.constantFrom(0.3, 0.6, 0.69, 0.7, 0.8, 0.85, 0.9, 0.95, 1);
const sourceUrl = fc.constantFrom(null, 'https://example.net/source');

const profile = fc.record({
  network: fc.constantFrom('github', 'GitHub', 'mastodon', 'twitter'),
  handle: fc.constantFrom('druiz', 'DRuiz', 'dana', 'druiz-demo'),
  url: fc.constantFrom('https://example.net/druiz', 'https://example.net/dana'),
  verified: fc.boolean(),
});
const donations = fc.record({
  count: fc.nat(20),
  total: fc.integer({ min: 0, max: 1_000_000 }).map((cents) => cents / 100),
  lastDate: fc.option(fc.constantFrom('2025-10-14', '2024-03-01'), { nil: null }),
  restricted: fc.boolean(),
});
const voter = fc.record(
  {
    voterId: fc.constantFrom('BN12345', 'OH0011102498'),
    status: fc.constantFrom('A', 'I', null),
    party: fc.constantFrom('DEM', 'REP', 'UNA', null),
    precinct: fc.constantFrom('05-07', null),
    registrationDate: fc.constantFrom('2012-10-01', null),
    matchScore: fc.constantFrom(0.8, 0.93, 1),
  },
  { requiredKeys: ['voterId', 'matchScore'] },
);

/** A value for a field: mostly well-formed, sometimes the wrong shape (a provider bug must not break the merge). */
function valueFor(field: string): fc.Arbitrary<unknown> {
  if (field === 'profiles')
    return fc.oneof(
      { arbitrary: profile, weight: 5 },
      { arbitrary: fc.constant('https://github.com/druiz'), weight: 1 },
    );
  if (field === 'donations')
    return fc.oneof({ arbitrary: donations, weight: 5 }, { arbitrary: fc.constant(42), weight: 1 });
  if (field === 'voter')
    return fc.oneof({ arbitrary: voter, weight: 5 }, { arbitrary: fc.constant('BN12345'), weight: 1 });
  if (PROTECTED_FIELDS.includes(field))
    return fc.constantFrom({ socialProfiles: true }, true, false, 'enriched', 'suppressed', 'other@example.org');
  return fc.oneof(
    { arbitrary: fc.constantFrom(...TEXTS), weight: 8 },
    { arbitrary: fc.string({ maxLength: 6 }), weight: 2 },
    { arbitrary: fc.constant(7), weight: 1 },
  );
}

const observation: fc.Arbitrary<MergeObservation> = fc
  .constantFrom(...TEXT_FIELDS, 'profiles', 'donations', 'voter', ...PROTECTED_FIELDS)
  .chain((field) =>
    fc.record({
      provider: fc.constantFrom(...PROVIDERS),
      field: fc.constant(field),
      value: valueFor(field),
      confidence,
      fetchedAt: isoTime,
      sourceUrl,
    }),
  );

const lookup: fc.Arbitrary<MergeLookup> = fc.record({
  provider: fc.constantFrom(...PROVIDERS.filter((p) => p !== 'signup')),
  outcome: fc.constantFrom(...LOOKUP_OUTCOMES),
  attempts: fc.integer({ min: 0, max: 6 }),
  completedAt: isoTime,
  reason: fc.constantFrom(null, 'no_lawful_basis'),
  lastError: fc.constantFrom(null, 'ProviderUnavailable: HTTP 500'),
});

const consent: fc.Arbitrary<Consent | null> = fc.option(
  fc.record(
    { socialProfiles: fc.boolean(), at: isoTime, noticeVersion: fc.constantFrom('v1', 'v3') },
    { requiredKeys: ['socialProfiles'] },
  ),
  { nil: null },
);

/** Providers of one rank, so a copy reported by a peer ties on everything but the provider. */
const PEERS: Record<string, string> = {
  gravatar: 'github',
  github: 'mastodon',
  mastodon: 'bluesky',
  bluesky: 'gravatar',
  voterfile: 'census',
  census: 'ban',
  ban: 'fec',
  fec: 'voterfile',
};

/** Some observations reported again, identically, by a provider of the same rank: the hardest ties to order. */
const observations = fc
  .array(observation, { maxLength: 30 })
  .chain((base) => fc.tuple(fc.constant(base), fc.subarray(base)))
  .map(([base, echoed]) => {
    const all = [
      ...base,
      ...echoed.filter((o) => PEERS[o.provider]).map((o) => ({ ...o, provider: PEERS[o.provider]! })),
    ];
    // As the store holds them: one observation per provider, field and value.
    const unique = new Map(all.map((o) => [`${o.provider}|${o.field}|${canonicalJson(o.value)}`, o]));
    return [...unique.values()];
  });

const mergeInput: fc.Arbitrary<MergeInput> = fc.record({
  id: fc.constant('c'.repeat(64)),
  email: fc.constant('dana.ruiz@example.org'),
  consent,
  suppressed: fc.boolean(),
  createdAt: fc.constant('2025-01-01T00:00:00.000Z'),
  observations,
  // One lookup per provider, as the store keeps them.
  lookups: fc.uniqueArray(lookup, { maxLength: 8, selector: (l) => l.provider }),
});

/** The facts a record shows under provenance, as observations again. */
function observationsFromProvenance(record: ContactRecord): MergeObservation[] {
  return Object.entries(record.provenance).flatMap(([field, entries]) =>
    entries.map((e) => ({
      provider: e.provider,
      field,
      value: e.value,
      confidence: e.confidence,
      fetchedAt: e.fetchedAt,
      sourceUrl: e.sourceUrl,
    })),
  );
}

const RUNS = { numRuns: 300 };

describe('buildContactRecord (properties)', () => {
  it('does not depend on the order of observations and lookups', () => {
    fc.assert(
      fc.property(
        mergeInput.chain((input) =>
          fc.tuple(
            fc.constant(input),
            fc.shuffledSubarray(input.observations, {
              minLength: input.observations.length,
              maxLength: input.observations.length,
            }),
            fc.shuffledSubarray(input.lookups, { minLength: input.lookups.length, maxLength: input.lookups.length }),
          ),
        ),
        ([input, observations, lookups]) => {
          const expected = buildContactRecord(input);
          const shuffled = buildContactRecord({ ...input, observations, lookups });
          expect(JSON.stringify(shuffled)).toBe(JSON.stringify(expected));
        },
      ),
      RUNS,
    );
  });

  it('is stable: merging again, or merging the facts its provenance shows, gives the same record', () => {
    fc.assert(
      fc.property(mergeInput, (input) => {
        const record = buildContactRecord(input);
        expect(buildContactRecord(structuredClone(input))).toEqual(record);
        // Every fact the record rests on is in its provenance, so re-deriving from there changes nothing.
        expect(buildContactRecord({ ...input, observations: observationsFromProvenance(record) })).toEqual(record);
        // And it survives being stored as JSON (jsonb) and read back.
        expect(ContactRecordSchema.parse(JSON.parse(JSON.stringify(record)))).toEqual(record);
      }),
      RUNS,
    );
  });

  it('keeps consent and suppression as the contact has them, whatever enrichment observed', () => {
    fc.assert(
      fc.property(mergeInput, (input) => {
        const record = buildContactRecord(input);
        expect(record.consent).toEqual(input.consent);
        expect(record.status === 'suppressed').toBe(input.suppressed === true);
        expect(record.email).toBe(input.email);
        for (const field of PROTECTED_FIELDS) expect(record.provenance[field]).toBeUndefined();
      }),
      RUNS,
    );
  });

  it('always marks donations restricted, and flags exactly when a lookup failed or sure sources disagree on who or where', () => {
    fc.assert(
      fc.property(mergeInput, (input) => {
        const record = buildContactRecord({ ...input, suppressed: false });
        if (record.donations) expect(record.donations.restricted).toBe(true);
        const failed = input.lookups.some((l) => l.outcome === 'failed');
        const sureConflict = record.conflicts.some(
          (c) => /^(name|location)\./.test(c.field) && c.values.length > 1 && sureValues(record, c.field) > 1,
        );
        expect(record.status).toBe(failed || sureConflict ? 'flagged' : 'enriched');
      }),
      RUNS,
    );
  });
});

/** How many different values (case, spacing and accents aside) sources of 0.85 or more give for a field. */
function sureValues(record: ContactRecord, field: string): number {
  const norm = (v: unknown) =>
    typeof v === 'string'
      ? v.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ')
      : JSON.stringify(v);
  return new Set((record.provenance[field] ?? []).filter((e) => e.confidence >= 0.85).map((e) => norm(e.value))).size;
}
