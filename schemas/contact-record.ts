import { z } from 'zod';
import { ConsentSchema } from './signup.js';
import { LOOKUP_OUTCOMES, ProfileSchema } from './lookup.js';

/** Bumped whenever the record's shape changes; stored with every record. */
export const RECORD_SCHEMA_VERSION = 1;

export const CONTACT_STATUSES = ['running', 'enriched', 'flagged', 'suppressed'] as const;
export type ContactStatus = (typeof CONTACT_STATUSES)[number];

const nullableString = z.string().nullable();

export const DonationsSchema = z.object({
  count: z.number().int().min(0),
  total: z.number(),
  lastDate: z.string().nullable(),
  restricted: z.literal(true),
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

/** The unified record of product.md: one per supporter, every field traceable to its sources. */
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
