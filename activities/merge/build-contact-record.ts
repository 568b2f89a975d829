import {
  DonationsSchema,
  RECORD_SCHEMA_VERSION,
  type Donations,
  type Conflict,
  type ContactRecord,
  type ContactStatus,
  type ProvenanceEntry,
} from '../../schemas/contact-record.js';
import { ProfileSchema, type LookupOutcome, type Profile } from '../../schemas/lookup.js';
import type { Consent } from '../../schemas/signup.js';

/** The provider name under which what the supporter typed is stored. */
export const SIGNUP_PROVIDER = 'signup';

/** One stored observation, as the merge sees it. */
export interface MergeObservation {
  provider: string;
  field: string;
  value: unknown;
  confidence: number;
  fetchedAt: string;
  sourceUrl: string | null;
}

export interface MergeLookup {
  provider: string;
  outcome: LookupOutcome;
  attempts: number;
  completedAt: string;
  reason?: string | null;
  lastError?: string | null;
}

export interface MergeInput {
  id: string;
  email: string;
  consent: Consent | null;
  createdAt: string;
  observations: MergeObservation[];
  lookups: MergeLookup[];
}

/**
 * How much a source is trusted, before confidence and recency: what the supporter typed outranks profiles the
 * person published themselves (how strongly each is linked to them is its confidence), which outrank public
 * records, which outrank inference. Unknown providers count as inference.
 */
const SOURCE_RANK: Record<string, number> = {
  [SIGNUP_PROVIDER]: 4,
  gravatar: 3,
  github: 3,
  mastodon: 3,
  bluesky: 3,
  voterfile: 2,
  census: 2,
  ban: 2,
  fec: 2,
};
const rankOf = (provider: string) => SOURCE_RANK[provider] ?? 1;

/** Confident sources that disagree below this are noise, not a conflict. */
const CONFLICT_MIN_CONFIDENCE = 0.7;

const MULTI_VALUED_FIELDS = new Set(['profiles']);

/**
 * Facts about the person, where two confident sources disagreeing means one of them is wrong (or is someone
 * else). A bio or an avatar differs from network to network by nature, so those pick a winner without a conflict.
 */
const IDENTITY_FIELD = /^(name\.|location\.|work\.)/;

/** Best first: source rank, then confidence, then recency; provider and value break the last ties, so order never matters. */
function compareEvidence(a: MergeObservation, b: MergeObservation): number {
  return (
    rankOf(b.provider) - rankOf(a.provider) ||
    b.confidence - a.confidence ||
    Date.parse(b.fetchedAt) - Date.parse(a.fetchedAt) ||
    a.provider.localeCompare(b.provider) ||
    JSON.stringify(a.value).localeCompare(JSON.stringify(b.value))
  );
}

const comparable = (value: unknown) =>
  typeof value === 'string' ? value.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ') : JSON.stringify(value);

function toProvenance(o: MergeObservation): ProvenanceEntry {
  return { provider: o.provider, value: o.value, confidence: o.confidence, fetchedAt: o.fetchedAt, sourceUrl: o.sourceUrl };
}

function findConflict(field: string, evidence: MergeObservation[]): Conflict | undefined {
  const confident = evidence.filter((o) => o.confidence >= CONFLICT_MIN_CONFIDENCE);
  const distinct = new Map<string, { provider: string; value: unknown }>();
  for (const o of confident) if (!distinct.has(comparable(o.value))) distinct.set(comparable(o.value), { provider: o.provider, value: o.value });
  return distinct.size > 1 ? { field, values: [...distinct.values()] } : undefined;
}

/**
 * Profiles are aggregated across providers, one per network and handle (case-insensitive); the best source's
 * spelling wins (so `evidence` must be ordered best first), and it is verified if any source verified it.
 */
function mergeProfiles(evidence: MergeObservation[]): Profile[] {
  const byKey = new Map<string, Profile>();
  for (const o of evidence) {
    const parsed = ProfileSchema.safeParse(o.value);
    if (!parsed.success) continue;
    const key = `${parsed.data.network.toLowerCase()}:${parsed.data.handle.toLowerCase()}`;
    const existing = byKey.get(key);
    byKey.set(key, existing ? { ...existing, verified: existing.verified || parsed.data.verified } : parsed.data);
  }
  return [...byKey.values()].sort((a, b) => a.network.localeCompare(b.network) || a.handle.localeCompare(b.handle));
}

/** FEC totals, always marked restricted whatever the observation said. */
function donationsOf(value: unknown): Donations | null {
  const parsed = DonationsSchema.safeParse({ ...(value as object), restricted: true });
  return value && parsed.success ? parsed.data : null;
}

function statusOf(lookups: MergeLookup[]): ContactStatus {
  return lookups.some((l) => l.outcome === 'failed') ? 'flagged' : 'enriched';
}

/**
 * Derives the unified record from what is stored about a contact. Pure and order-independent: the same facts
 * always give the same record (updatedAt included), which is what makes a repeated merge a no-op.
 */
export function buildContactRecord(input: MergeInput): ContactRecord {
  const byField = new Map<string, MergeObservation[]>();
  for (const o of input.observations) byField.set(o.field, [...(byField.get(o.field) ?? []), o]);
  for (const evidence of byField.values()) evidence.sort(compareEvidence);

  const winners = new Map<string, unknown>();
  const provenance: Record<string, ProvenanceEntry[]> = {};
  const conflicts: Conflict[] = [];
  for (const [field, evidence] of [...byField.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    provenance[field] = evidence.map(toProvenance);
    if (MULTI_VALUED_FIELDS.has(field)) continue;
    winners.set(field, evidence[0]?.value);
    const conflict = IDENTITY_FIELD.test(field) ? findConflict(field, evidence) : undefined;
    if (conflict) conflicts.push(conflict);
  }

  const str = (field: string) => {
    const v = winners.get(field);
    return typeof v === 'string' ? v : null;
  };
  const num = (field: string) => {
    const v = winners.get(field);
    return typeof v === 'number' ? v : null;
  };
  const districts: Record<string, string> = {};
  for (const [field, value] of winners) {
    if (field.startsWith('location.districts.') && typeof value === 'string') districts[field.slice('location.districts.'.length)] = value;
  }
  const given = str('name.given');
  const family = str('name.family');
  const typedDisplay = [given, family].filter(Boolean).join(' ') || null;

  const lookups: ContactRecord['lookups'] = {};
  for (const l of [...input.lookups].sort((a, b) => a.provider.localeCompare(b.provider))) {
    lookups[l.provider] = {
      outcome: l.outcome,
      attempts: l.attempts,
      at: l.completedAt,
      ...(l.reason ? { reason: l.reason } : {}),
      ...(l.lastError ? { lastError: l.lastError } : {}),
    };
  }

  const times = [input.createdAt, ...input.observations.map((o) => o.fetchedAt), ...input.lookups.map((l) => l.completedAt)];
  const updatedAt = new Date(Math.max(...times.map((t) => Date.parse(t)))).toISOString();

  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: input.id,
    email: input.email,
    status: statusOf(input.lookups),
    name: { given, family, display: str('name.display') ?? typedDisplay },
    location: {
      locality: str('location.locality'),
      region: str('location.region'),
      postalCode: str('location.postalCode'),
      country: str('location.country'),
      lat: num('location.lat'),
      lon: num('location.lon'),
      districts,
    },
    work: { employer: str('work.employer'), occupation: str('work.occupation'), title: str('work.title') },
    profiles: mergeProfiles(byField.get('profiles') ?? []),
    bio: str('bio'),
    avatarUrl: str('avatarUrl'),
    donations: donationsOf(winners.get('donations')),
    lookups,
    provenance,
    conflicts,
    // Consent comes only from the contact's own signups, never from enrichment.
    consent: input.consent,
    updatedAt,
  };
}
