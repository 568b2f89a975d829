import { recordForPurpose } from '../merge/restricted-fields.js';
import { ContactRecordSchema, type ContactRecord, type ProvenanceEntry } from '../../schemas/contact-record.js';
import { optOutsOf, type ListStatus } from '../../schemas/list-status.js';
import { partyName } from './party-names.js';

/** Our namespace for OSDI `identifiers` (`enrich:<contact id>`) and for `custom_fields` keys. */
export const OSDI_NAMESPACE = 'enrich';

/** An OSDI 1.2 postal address, with the fields we fill. */
export interface OsdiPostalAddress {
  primary: true;
  address_type: 'Home';
  locality?: string;
  region?: string;
  postal_code?: string;
  country?: string;
  location?: { latitude: number; longitude: number; accuracy: 'Rooftop' | 'Approximate' };
  /** `Verified` when a geocoder or the voter file placed it, `Potential` when only the supporter typed it. */
  status: 'Verified' | 'Potential';
  /** An ISO 8601 datetime (OSDI `datetime`), when a geocoder or the voter file last placed it. */
  last_verified_date?: string;
}

/** OSDI's `email_addresses.status` enum. */
export type OsdiEmailStatus = 'subscribed' | 'unsubscribed' | 'bouncing' | 'spam complaints';

/** What the store knows beside the record: what the supporter lists said about the person. */
export interface OsdiContext {
  listStatuses?: readonly ListStatus[];
}

/** An OSDI 1.2 person (opensupporter/osdi-docs `people.md`), with the fields the unified record can fill. */
export interface OsdiPerson {
  identifiers: string[];
  given_name?: string;
  family_name?: string;
  /** `status` only from what a list said (or `unsubscribed` for a suppressed contact); never guessed. */
  email_addresses: Array<{ address: string; primary: true; status?: OsdiEmailStatus }>;
  postal_addresses?: OsdiPostalAddress[];
  employer?: string;
  occupation?: string;
  work_title?: string;
  profiles?: Array<{ provider: string; handle: string; url: string }>;
  /** `identification` a party name (`Democratic`), not the voter file's code (`DEM`). */
  parties?: Array<{ identification: string; last_verified_date?: string; active?: boolean }>;
  /** A flat string → string map; our keys are prefixed `enrich:`. */
  custom_fields: Record<string, string>;
  /** When the record last changed (its `updatedAt`); absent before the first merge. */
  modified_date?: string;
}

/** How OSDI consumers spell the networks we know (`profiles[].provider`); others are capitalised. */
const PROVIDER_LABELS: Record<string, string> = {
  github: 'GitHub',
  gravatar: 'Gravatar',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  twitter: 'Twitter',
  x: 'Twitter',
  linkedin: 'LinkedIn',
  facebook: 'Facebook',
  instagram: 'Instagram',
};

/** Providers that place an address: their observations make it `Verified`. */
const LOCATING_PROVIDERS = new Set(['census', 'ban', 'voterfile']);

const providerLabel = (network: string) =>
  PROVIDER_LABELS[network.toLowerCase()] ?? (network ? network[0]!.toUpperCase() + network.slice(1) : network);

/** `stateUpper` → `state_upper`: custom field keys are snake_case, as OSDI's own fields are. */
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** An OSDI `datetime`: ISO 8601 with its time and zone (UTC), or undefined for what is not a time. */
const datetime = (iso: string | undefined) =>
  iso && !Number.isNaN(Date.parse(iso)) ? new Date(iso).toISOString() : undefined;

/**
 * The email's OSDI status from what we know: `unsubscribed` for a contact suppressed here (an opt-out of any kind
 * means no email either); else the most restrictive thing a list said (`bouncing`, `spam complaints`,
 * `unsubscribed` for an unsubscribe, do-not-contact or deceased); else `subscribed` only if a list said so; else
 * nothing. Action Network subscribes a new person who arrives without a status, so a missing status is a choice
 * the write-back makes (cli/export), never a default here.
 */
export function osdiEmailStatus(record: { status: string }, context: OsdiContext = {}): OsdiEmailStatus | undefined {
  const statuses = context.listStatuses ?? [];
  const optOut = optOutsOf(statuses)[0];
  if (optOut?.status === 'bouncing') return 'bouncing';
  if (optOut?.status === 'spam_complaint') return 'spam complaints';
  if (optOut || record.status === 'suppressed') return 'unsubscribed';
  return statuses.some((s) => s.status === 'subscribed') ? 'subscribed' : undefined;
}

/**
 * The voter file's identifier, namespaced by where the file is from (`voterfile-us-nc:AA123456`), since voter ids
 * are unique only within one state's (or country's) file. The record's region and country are where the match
 * placed the supporter.
 */
function voterIdentifier(record: ContactRecord): string | undefined {
  if (!record.voter) return undefined;
  const place = [record.location.country ?? 'us', record.location.region]
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  const id = record.voter.voterId.replace(/[^\x21-\x7e]/g, '');
  return id ? `voterfile-${place.join('-')}:${id}` : undefined;
}

/** The most recent time one of `providers` reported any of `fields`. */
function latestFrom(record: ContactRecord, fields: string[], providers: Set<string>): string | undefined {
  const times = fields
    .flatMap((f) => record.provenance[f] ?? [])
    .filter((e: ProvenanceEntry) => providers.has(e.provider))
    .map((e) => e.fetchedAt)
    .sort();
  return times.at(-1);
}

function postalAddress(record: ContactRecord): OsdiPostalAddress | undefined {
  const { location } = record;
  const address: OsdiPostalAddress = { primary: true, address_type: 'Home', status: 'Potential' };
  if (location.locality) address.locality = location.locality;
  if (location.region) address.region = location.region;
  if (location.postalCode) address.postal_code = location.postalCode;
  if (location.country) address.country = location.country;
  // Geocoders interpolate along a street or match an address point; neither is surveyed to the rooftop.
  if (location.lat !== null && location.lon !== null)
    address.location = { latitude: location.lat, longitude: location.lon, accuracy: 'Approximate' };
  const locationFields = Object.keys(record.provenance).filter((f) => f.startsWith('location.'));
  const verifiedAt = latestFrom(record, [...locationFields, 'voter'], LOCATING_PROVIDERS);
  if (verifiedAt) {
    address.status = 'Verified';
    const verified = datetime(verifiedAt);
    if (verified) address.last_verified_date = verified;
  }
  return Object.keys(address).length > 3 ? address : undefined;
}

function customFields(record: ContactRecord): Record<string, string> {
  const fields: Record<string, string> = {};
  const put = (key: string, value: string | number | boolean | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') fields[`${OSDI_NAMESPACE}:${key}`] = String(value);
  };
  put('status', record.status);
  put('display_name', record.name.display);
  put('bio', record.bio);
  put('avatar_url', record.avatarUrl);
  for (const [name, value] of Object.entries(record.location.districts).sort(([a], [b]) => (a < b ? -1 : 1)))
    put(`district_${snake(name)}`, value);
  put(
    'verified_profiles',
    record.profiles
      .filter((p) => p.verified)
      .map((p) => `${p.network}:${p.handle}`)
      .join(' '),
  );
  if (record.voter) {
    put('voter_id', record.voter.voterId);
    put('voter_status', record.voter.status);
    put('precinct', record.voter.precinct);
    put('registration_date', record.voter.registrationDate);
    put('match_confidence', record.voter.matchScore);
    for (const [name, value] of Object.entries(record.voter.districts ?? {}))
      put(`voter_district_${snake(name)}`, value);
  }
  if (record.donations) {
    // Only in a research export: FEC data, which US law forbids using to solicit contributions.
    put('fec_restricted', true);
    put('fec_donations_count', record.donations.count);
    put('fec_donations_total', record.donations.total);
    put('fec_donations_last_date', record.donations.lastDate);
  }
  put('conflicts', record.conflicts.map((c) => c.field).join(' '));
  if (record.consent) put('consent_social_profiles', record.consent.socialProfiles);
  return fields;
}

/**
 * The record as an OSDI 1.2 person: names, the email, the address (with its geocoded location and whether a
 * geocoder or the voter file verified it), work, `profiles[]`, the voter-file party under `parties[]`, our id (and
 * the voter id) under `identifiers`, and the rest under `enrich:`-prefixed `custom_fields`. Give it the record as
 * the export's purpose may see it: restricted FEC data is mapped only when it is still there.
 */
export function toOsdiPerson(record: ContactRecord, context: OsdiContext = {}): OsdiPerson {
  const voterId = voterIdentifier(record);
  const emailStatus = osdiEmailStatus(record, context);
  const person: OsdiPerson = {
    identifiers: [`${OSDI_NAMESPACE}:${record.id}`, ...(voterId ? [voterId] : [])],
    email_addresses: [{ address: record.email, primary: true, ...(emailStatus ? { status: emailStatus } : {}) }],
    custom_fields: {},
  };
  const modified = datetime(record.updatedAt);
  if (modified) person.modified_date = modified;
  if (record.name.given) person.given_name = record.name.given;
  if (record.name.family) person.family_name = record.name.family;
  const address = postalAddress(record);
  if (address) person.postal_addresses = [address];
  if (record.work.employer) person.employer = record.work.employer;
  if (record.work.occupation) person.occupation = record.work.occupation;
  if (record.work.title) person.work_title = record.work.title;
  if (record.profiles.length > 0) {
    person.profiles = record.profiles.map((p) => ({
      provider: providerLabel(p.network),
      handle: p.handle,
      url: p.url,
    }));
  }
  if (record.voter?.party) {
    const verified = datetime(latestFrom(record, ['voter'], new Set(['voterfile'])));
    const status = record.voter.status?.toLowerCase();
    person.parties = [
      {
        identification: partyName(record.voter.party),
        ...(verified ? { last_verified_date: verified } : {}),
        ...(status ? { active: status === 'a' || status === 'active' } : {}),
      },
    ];
  }
  person.custom_fields = customFields(record);
  return person;
}

/** A contact not merged yet: what is known is its id, email and status. */
export function minimalOsdiPerson(
  view: { id: string; email?: unknown; status: string },
  context: OsdiContext = {},
): OsdiPerson {
  const status = osdiEmailStatus(view, context);
  return {
    identifiers: [`${OSDI_NAMESPACE}:${view.id}`],
    email_addresses:
      typeof view.email === 'string' ? [{ address: view.email, primary: true, ...(status ? { status } : {}) }] : [],
    custom_fields: { [`${OSDI_NAMESPACE}:status`]: view.status },
  };
}

/**
 * A contact as `enrich contact --format osdi` and `GET /v1/contacts/:ref?format=osdi` show it: the record as an
 * OSDI person, restricted FEC data left out (OSDI output goes to other systems, where it could reach fundraising);
 * before the first merge, just the id, email and status.
 */
export function contactViewAsOsdi(
  view: { id: string; status: string; email?: unknown },
  context: OsdiContext = {},
): OsdiPerson {
  const record = ContactRecordSchema.safeParse(view);
  return record.success
    ? toOsdiPerson(recordForPurpose(record.data, 'outreach'), context)
    : minimalOsdiPerson(view, context);
}
