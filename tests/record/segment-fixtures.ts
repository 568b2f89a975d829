import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { buildContactRecord, SIGNUP_PROVIDER } from '../../domain/merge/build-contact-record.js';
import { mergeInputFromRows } from '../../store/merge-input.js';
import type { ObservationInput } from '../../schemas/lookup.js';
import { findContactById, updateContactRecord, upsertContact } from '../../store/contacts.js';
import type { Database } from '../../store/database.js';
import { listLookups, upsertLookup } from '../../store/lookups.js';
import { insertObservations, listObservations } from '../../store/observations.js';

export const AT = '2026-05-01T10:00:00.000Z';
const LATER = '2026-05-01T10:00:05.000Z';
const run = { workflowId: 'enrich-contact:test', runId: 'run-1' };

export const keyOf = (email: string) => createHash('sha256').update(email).digest('hex');

type Facts = Record<string, Array<Omit<ObservationInput, 'fetchedAt'> & { fetchedAt?: string }>>;

const profile = (network: string, handle: string) => ({
  network,
  handle,
  url: `https://${network}.example.net/${handle}`,
  verified: true,
});
const voter = (party: string, status: string, precinct: string, matchScore: number) => ({
  voterId: `NC${party}${precinct}`,
  status,
  party,
  precinct,
  registrationDate: '2012-10-01',
  matchScore,
});

/**
 * The people of the segment tests, by provider. Ana, Ben, Eve are physicians in NC-04 (Ben only per the FEC, Eve
 * suppressed); Cat a nurse there; Dan a physician assistant in OH-13; Gil's occupation has LIKE metacharacters.
 */
export const PEOPLE: Record<string, { facts: Facts; suppressed?: boolean; failed?: string }> = {
  'ana@example.org': {
    facts: {
      [SIGNUP_PROVIDER]: [
        { field: 'name.given', value: 'Ana', confidence: 1 },
        { field: 'name.family', value: 'Okafor', confidence: 1 },
        { field: 'location.postalCode', value: '27705', confidence: 1 },
        { field: 'location.locality', value: 'Durham', confidence: 1 },
        { field: 'location.region', value: 'NC', confidence: 1 },
        { field: 'location.country', value: 'US', confidence: 1 },
      ],
      gravatar: [
        { field: 'work.occupation', value: 'Family Physician', confidence: 0.9 },
        { field: 'bio', value: '=HYPERLINK("https://evil.example")', confidence: 0.9 },
        { field: 'profiles', value: profile('mastodon', 'ana@toot.example'), confidence: 0.9 },
      ],
      census: [
        { field: 'location.lat', value: 35.99, confidence: 0.9, sourceUrl: 'https://geocoding.geo.census.gov/x' },
        { field: 'location.lon', value: -78.9, confidence: 0.9 },
        { field: 'location.districts.congressional', value: 'NC-04', confidence: 0.9 },
        { field: 'location.districts.county', value: 'Durham County', confidence: 0.9 },
        { field: 'location.districts.tract', value: '37063000101', confidence: 0.9 },
      ],
      voterfile: [{ field: 'voter', value: voter('DEM', 'A', '05-07', 0.93), confidence: 0.93 }],
    },
  },
  'ben@example.org': {
    facts: {
      [SIGNUP_PROVIDER]: [{ field: 'name.given', value: 'Ben', confidence: 1 }],
      fec: [
        { field: 'work.occupation', value: 'Physician', confidence: 0.6 },
        { field: 'work.employer', value: 'Duke Health', confidence: 0.6 },
        {
          field: 'donations',
          value: { count: 3, total: 750, lastDate: '2025-10-14', restricted: true },
          confidence: 0.6,
        },
      ],
      census: [{ field: 'location.districts.congressional', value: 'NC-04', confidence: 0.9 }],
      github: [{ field: 'profiles', value: profile('github', 'benj'), confidence: 0.85 }],
    },
  },
  'cat@example.org': {
    facts: {
      gravatar: [{ field: 'work.occupation', value: 'Nurse', confidence: 0.9 }],
      census: [{ field: 'location.districts.congressional', value: 'NC-04', confidence: 0.9 }],
      voterfile: [{ field: 'voter', value: voter('REP', 'I', '12-01', 0.88), confidence: 0.9 }],
    },
    failed: 'github',
  },
  'dan@example.org': {
    facts: {
      gravatar: [
        { field: 'work.occupation', value: 'Physician Assistant', confidence: 0.9 },
        { field: 'profiles', value: profile('mastodon', 'dan@social.example'), confidence: 0.9 },
        { field: 'profiles', value: profile('bluesky', 'dan.bsky.social'), confidence: 0.9 },
      ],
      census: [{ field: 'location.districts.congressional', value: 'OH-13', confidence: 0.9 }],
    },
  },
  'eve@example.org': {
    facts: {
      gravatar: [{ field: 'work.occupation', value: 'Physician', confidence: 0.9 }],
      census: [{ field: 'location.districts.congressional', value: 'NC-04', confidence: 0.9 }],
    },
    suppressed: true,
  },
  'gil@example.org': {
    facts: {
      gravatar: [{ field: 'work.occupation', value: '100% Organizer_in_chief', confidence: 0.9, fetchedAt: LATER }],
    },
  },
};

/** Stores a person as the pipeline would (signup, observations, lookups, merge); suppressed ones are marked so first. */
export async function seedPerson(db: Kysely<Database>, email: string): Promise<string> {
  const person = PEOPLE[email]!;
  const id = keyOf(email);
  await upsertContact(db, { id, signup: { email }, workflowId: run.workflowId });
  if (person.suppressed) await sql`update contacts set status = 'suppressed' where id = ${id}`.execute(db);
  for (const [provider, facts] of Object.entries(person.facts)) {
    await insertObservations(
      db,
      { contactId: id, provider, ...run },
      facts.map((f) => ({ fetchedAt: AT, ...f })),
    );
    if (provider !== SIGNUP_PROVIDER)
      await upsertLookup(db, { contactId: id, provider, outcome: 'matched', attempts: 1, completedAt: AT, ...run });
  }
  if (person.failed) {
    await upsertLookup(db, {
      contactId: id,
      provider: person.failed,
      outcome: 'failed',
      attempts: 3,
      lastError: 'HTTP 500',
      completedAt: AT,
      ...run,
    });
  }
  await mergeStored(db, id);
  return id;
}

/** What `mergeContact` does: re-derive the record from the stored rows and save it. */
export async function mergeStored(db: Kysely<Database>, id: string) {
  const contact = (await findContactById(db, id))!;
  const record = buildContactRecord(
    mergeInputFromRows(contact, await listObservations(db, id), await listLookups(db, id)),
  );
  await updateContactRecord(db, id, record);
  return record;
}

export async function seedPeople(db: Kysely<Database>): Promise<void> {
  for (const email of Object.keys(PEOPLE)) await seedPerson(db, email);
  // Fay signed up but was never merged: no record, so in no segment.
  await upsertContact(db, {
    id: keyOf('fay@example.org'),
    signup: { email: 'fay@example.org' },
    workflowId: run.workflowId,
  });
}
