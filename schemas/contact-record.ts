import { z } from 'zod';
import { ConsentSchema } from './signup.js';
import { LOOKUP_OUTCOMES, ProfileSchema } from './lookup.js';

/**
 * Bumped whenever the record's shape changes; stored with every record. 2 added `voter`. Records stored under an
 * older version stay readable ({@link parseStoredRecord}); `enrich remerge` re-derives them.
 */
export const RECORD_SCHEMA_VERSION = 2;

export const CONTACT_STATUSES = ['running', 'enriched', 'flagged', 'suppressed'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

const nullableString = z.string().nullable();

export const DonationsSchema = z.object({
  count: z.number().int().min(0),
  total: z.number(),
  lastDate: z.string().nullable(),
  restricted: z.literal(true),
  /** False when the lookup stopped at its page bound (PROVIDER_FEC_MAX_PAGES): count and total are then too low. */
  complete: z.boolean().optional(),
});
export type Donations = z.infer<typeof DonationsSchema>;

export const ProvenanceEntrySchema = z.object({
  provider: z.string(),
  value: z.unknown(),
  confidence: z.number(),
  fetchedAt: z.string(),
  sourceUrl: z.string().nullable(),
});
export type ProvenanceEntry = z.infer<typeof ProvenanceEntrySchema>;

export const ConflictSchema = z.object({
  field: z.string(),
  values: z.array(z.object({ provider: z.string(), value: z.unknown() })),
});
export type Conflict = z.infer<typeof ConflictSchema>;

/**
 * The supporter's registration in the imported voter file (provider `voterfile`, observation field `voter`).
 * Loose: what the matcher adds beyond these keys (a county, a birth year) is kept.
 */
export const VoterSchema = z.looseObject({
  voterId: z.string(),
  status: nullableString.default(null),
  party: nullableString.default(null),
  precinct: nullableString.default(null),
  registrationDate: nullableString.default(null),
  districts: z.record(z.string(), z.string()).optional(),
  /** Turnout history, one object per election, as the voter file has it. */
  votes: z.array(z.record(z.string(), z.json())).optional(),
  /** How sure the matcher is that this registration is the supporter's. */
  matchScore: z.number(),
});
export type Voter = z.infer<typeof VoterSchema>;

/** The unified record: one per supporter, every field traceable to its sources (docs/how-it-works.md, "The record"). */
export const ContactRecordSchema = z.object({
  schemaVersion: z.literal(RECORD_SCHEMA_VERSION),
  id: z.string(),
  email: z.string(),
  status: z.enum(CONTACT_STATUSES),
  name: z.object({ given: nullableString, family: nullableString, display: nullableString }),
  location: z.object({
    locality: nullableString,
    region: nullableString,
    postalCode: nullableString,
    country: nullableString,
    lat: z.number().nullable(),
    lon: z.number().nullable(),
    districts: z.record(z.string(), z.string()),
  }),
  work: z.object({ employer: nullableString, occupation: nullableString, title: nullableString }),
  profiles: z.array(ProfileSchema),
  bio: nullableString,
  avatarUrl: nullableString,
  voter: VoterSchema.nullable(),
  /** Federal contributions (FEC). `restricted`: US law forbids using them to solicit contributions. */
  donations: DonationsSchema.nullable(),
  lookups: z.record(
    z.string(),
    z.object({
      outcome: z.enum(LOOKUP_OUTCOMES).or(z.literal('pending')),
      attempts: z.number(),
      at: z.string().nullable(),
      reason: z.string().optional(),
      lastError: z.string().optional(),
    }),
  ),
  provenance: z.record(z.string(), z.array(ProvenanceEntrySchema)),
  conflicts: z.array(ConflictSchema),
  consent: ConsentSchema.nullable(),
  updatedAt: z.string(),
});
export type ContactRecord = z.infer<typeof ContactRecordSchema>;

/** The record as version 1 stored it: no `voter`. */
const ContactRecordV1Schema = ContactRecordSchema.omit({ voter: true }).extend({ schemaVersion: z.literal(1) });

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The keys of `value` in `keys` order, then any others (jsonb stores keys shortest first). */
function inOrder(value: unknown, keys: readonly string[]): unknown {
  if (!isObject(value)) return value;
  const ordered: Json = {};
  for (const key of keys) if (Object.hasOwn(value, key)) ordered[key] = value[key];
  for (const key of Object.keys(value)) if (!Object.hasOwn(ordered, key)) ordered[key] = value[key];
  return ordered;
}

const shape = ContactRecordSchema.shape;
const KEYS = {
  record: Object.keys(shape),
  name: Object.keys(shape.name.shape),
  location: Object.keys(shape.location.shape),
  work: Object.keys(shape.work.shape),
  profile: Object.keys(ProfileSchema.shape),
  voter: Object.keys(VoterSchema.shape),
  donations: Object.keys(DonationsSchema.shape),
  lookup: Object.keys(shape.lookups.valueType.shape),
  provenance: Object.keys(ProvenanceEntrySchema.shape),
  conflict: Object.keys(ConflictSchema.shape),
  conflictValue: Object.keys(ConflictSchema.shape.values.element.shape),
  consent: Object.keys(ConsentSchema.shape),
};
const mapValues = (value: unknown, f: (v: unknown) => unknown) =>
  isObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, f(v)])) : value;

/**
 * A record of the current version as the store wrote it (from a validated record): checked for its structure and
 * given back its documented key order, without validating every value again — exports do this for every row.
 */
function currentRecord(raw: Json): ContactRecord | undefined {
  const { name, location, work, profiles, provenance, conflicts, lookups } = raw;
  if (typeof raw.id !== 'string' || typeof raw.email !== 'string' || typeof raw.status !== 'string') return undefined;
  if (
    !isObject(name) ||
    !isObject(location) ||
    !isObject(location.districts) ||
    !isObject(work) ||
    !isObject(provenance) ||
    !isObject(lookups)
  )
    return undefined;
  if (!Array.isArray(profiles) || !Array.isArray(conflicts) || !Object.values(provenance).every(Array.isArray))
    return undefined;
  const record = inOrder(raw, KEYS.record) as Json;
  record.name = inOrder(name, KEYS.name);
  record.location = inOrder(location, KEYS.location);
  record.work = inOrder(work, KEYS.work);
  record.profiles = profiles.map((p) => inOrder(p, KEYS.profile));
  record.voter = inOrder(raw.voter, KEYS.voter);
  record.donations = inOrder(raw.donations, KEYS.donations);
  record.lookups = mapValues(lookups, (l) => inOrder(l, KEYS.lookup));
  record.provenance = mapValues(provenance, (entries) =>
    (entries as unknown[]).map((e) => inOrder(e, KEYS.provenance)),
  );
  record.conflicts = conflicts.map((c) => {
    const conflict = inOrder(c, KEYS.conflict) as Json;
    if (Array.isArray(conflict.values)) conflict.values = conflict.values.map((v) => inOrder(v, KEYS.conflictValue));
    return conflict;
  });
  record.consent = inOrder(raw.consent, KEYS.consent);
  return record as ContactRecord;
}

/**
 * Reads a stored record of any schema version into the current shape (an older one gets the fields added since,
 * empty), or undefined when it is not a record at all. The stored `record_version` says which rules derived it.
 * A record of the current version is trusted to be what the store wrote (only its structure is checked).
 */
export function parseStoredRecord(raw: unknown): ContactRecord | undefined {
  if (isObject(raw) && raw.schemaVersion === RECORD_SCHEMA_VERSION) {
    const fast = currentRecord(raw);
    if (fast) return fast;
  }
  const current = ContactRecordSchema.safeParse(raw);
  if (current.success) return current.data;
  const v1 = ContactRecordV1Schema.safeParse(raw);
  if (v1.success) return ContactRecordSchema.parse({ ...v1.data, schemaVersion: RECORD_SCHEMA_VERSION, voter: null });
  return undefined;
}
