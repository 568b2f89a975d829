import {
  DonationsSchema,
  RECORD_SCHEMA_VERSION,
  VoterSchema,
  type Donations,
  type Voter,
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
  /** From the contact's own signups; the record carries it as is, whatever the observations say. */
  consent: Consent | null;
  /**
   * The supporter opted out (the contact row says so): the record's status is `suppressed`, whatever the lookups
   * and conflicts. Only the contact row decides this, never an observation.
   */
  suppressed?: boolean;
  createdAt: string;
  observations: MergeObservation[];
  lookups: MergeLookup[];
}

/**
 * How much a source is trusted, before confidence and recency: what the supporter typed outranks profiles the
 * person published themselves (how strongly each is linked to them is its confidence), which outrank public
 * records (the voter file, geocoders, the FEC), which outrank inference. Unknown providers count as inference.
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

/** Two values this sure of themselves that disagree on who the person is or where they live flag the contact. */
export const HIGH_CONFIDENCE = 0.85;

const MULTI_VALUED_FIELDS = new Set(['profiles']);

/**
 * Fields that say how things stand now rather than how a value was linked to the person: the voter-file
 * registration. `enrich voters rematch` appends the registration as the newest file has it (moved, dropped, or
 * another voter, whatever its match score), so within a source rank the newest observation wins, not the surest.
 */
const LATEST_WINS_FIELDS = new Set(['voter']);

/**
 * Facts about the person, where two confident sources disagreeing means one of them is wrong (or is someone
 * else). A bio or an avatar differs from network to network by nature, so those pick a winner without a conflict.
 */
const IDENTITY_FIELD = /^(name\.|location\.|work\.)/;

/**
 * Identity fields whose high-confidence conflict flags the contact for a person to look at: a name or an address
 * that two sure sources disagree on suggests a profile of someone else. Work fields are listed as conflicts but do
 * not flag: people hold several jobs and spell employers many ways (`Riverside Food Bank` on Gravatar,
 * `@riverside-fb` on GitHub), which says nothing about whether the match is right.
 */
const FLAGGING_FIELD = /^(name\.|location\.)/;

/**
 * Fields enrichment never writes: consent and suppression come only from the contact's own signups and opt-outs,
 * and the record's own bookkeeping only from the merge. An observation of one of these is ignored entirely.
 */
const PROTECTED_FIELD =
  /^(consent|suppressed|suppression|status|id|email|schemaVersion|updatedAt|lookups|provenance|conflicts)(\.|$)/;

/** Code-unit order: unlike localeCompare, it tells apart every two different strings (`é` and `e` + U+0301 too). */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Best first: source rank, then confidence, then recency; provider and value break the last ties, so order never matters. */
function compareEvidence(a: MergeObservation, b: MergeObservation): number {
  return (
    rankOf(b.provider) - rankOf(a.provider) ||
    b.confidence - a.confidence ||
    Date.parse(b.fetchedAt) - Date.parse(a.fetchedAt) ||
    byCodeUnits(a.provider, b.provider) ||
    byCodeUnits(JSON.stringify(a.value) ?? '', JSON.stringify(b.value) ?? '')
  );
}

/** Best first for {@link LATEST_WINS_FIELDS}: source rank, then recency; then as {@link compareEvidence}. */
function compareLatest(a: MergeObservation, b: MergeObservation): number {
  return (
    rankOf(b.provider) - rankOf(a.provider) ||
    Date.parse(b.fetchedAt) - Date.parse(a.fetchedAt) ||
    compareEvidence(a, b)
  );
}

/** Case, spacing and accents aside (`Île-de-France` = `ile-de-france`), the same text is the same value. */
const comparable = (value: unknown) =>
  typeof value === 'string'
    ? value.normalize('NFKD').replace(/\p{M}/gu, '').normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ')
    : JSON.stringify(value);

function toProvenance(o: MergeObservation): ProvenanceEntry {
  return {
    provider: o.provider,
    value: o.value,
    confidence: o.confidence,
    fetchedAt: o.fetchedAt,
    sourceUrl: o.sourceUrl,
  };
}

/** How many distinct values (as {@link comparable} sees them) sources at least this confident give, best first. */
function distinctValues(
  evidence: MergeObservation[],
  minConfidence: number,
): Array<{ provider: string; value: unknown }> {
  const distinct = new Map<string, { provider: string; value: unknown }>();
  for (const o of evidence) {
    if (o.confidence >= minConfidence && !distinct.has(comparable(o.value)))
      distinct.set(comparable(o.value), { provider: o.provider, value: o.value });
  }
  return [...distinct.values()];
}

function findConflict(field: string, evidence: MergeObservation[]): Conflict | undefined {
  const values = distinctValues(evidence, CONFLICT_MIN_CONFIDENCE);
  return values.length > 1 ? { field, values } : undefined;
}

/** A conflict two sources at {@link HIGH_CONFIDENCE} or more take part in, on a field that flags. */
function isHighConfidenceConflict(field: string, evidence: MergeObservation[]): boolean {
  return FLAGGING_FIELD.test(field) && distinctValues(evidence, HIGH_CONFIDENCE).length > 1;
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

/** The voter-file registration, or null when there is none or the observation is not one. */
function voterOf(value: unknown): Voter | null {
  const parsed = VoterSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

/** Suppression first (nothing overrides an opt-out), then anything a person must look at, else enriched. */
function statusOf(input: MergeInput, highConfidenceConflict: boolean): ContactStatus {
  if (input.suppressed) return 'suppressed';
  return input.lookups.some((l) => l.outcome === 'failed') || highConfidenceConflict ? 'flagged' : 'enriched';
}

/** Each provider's lookup state, in provider order. */
function lookupsOf(stored: MergeInput['lookups']): ContactRecord['lookups'] {
  const lookups: ContactRecord['lookups'] = {};
  for (const l of [...stored].sort((a, b) => byCodeUnits(a.provider, b.provider))) {
    lookups[l.provider] = {
      outcome: l.outcome,
      attempts: l.attempts,
      at: l.completedAt,
      ...(l.reason ? { reason: l.reason } : {}),
      ...(l.lastError ? { lastError: l.lastError } : {}),
    };
  }
  return lookups;
}

/** The latest fact the record rests on: ignored observations (protected fields) do not count. */
function latestFactOf(input: MergeInput, byField: Map<string, MergeObservation[]>): string {
  const times = [
    input.createdAt,
    ...[...byField.values()].flat().map((o) => o.fetchedAt),
    ...input.lookups.map((l) => l.completedAt),
  ];
  const latest = times.reduce((max, t) => {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? max : Math.max(max, ms);
  }, Date.parse(input.createdAt));
  return new Date(latest).toISOString();
}

/**
 * Derives the unified record from what is stored about a contact. Pure and order-independent: the same facts
 * always give the same record (updatedAt included), which is what makes a repeated merge a no-op.
 *
 * Per field the best evidence wins: source rank (typed > self-published profiles > public records > inference),
 * then confidence, then recency. `profiles` aggregates every source's items. Every observation of a record field
 * shows under `provenance`, best first; observations of consent, suppression or the record's bookkeeping are
 * ignored, so enrichment can never change them.
 */
export function buildContactRecord(input: MergeInput): ContactRecord {
  const byField = new Map<string, MergeObservation[]>();
  for (const o of input.observations) {
    if (PROTECTED_FIELD.test(o.field)) continue;
    byField.set(o.field, [...(byField.get(o.field) ?? []), o]);
  }
  for (const [field, evidence] of byField)
    evidence.sort(LATEST_WINS_FIELDS.has(field) ? compareLatest : compareEvidence);

  const winners = new Map<string, unknown>();
  const provenance: Record<string, ProvenanceEntry[]> = {};
  const conflicts: Conflict[] = [];
  let highConfidenceConflict = false;
  for (const [field, evidence] of [...byField.entries()].sort(([a], [b]) => byCodeUnits(a, b))) {
    provenance[field] = evidence.map(toProvenance);
    if (MULTI_VALUED_FIELDS.has(field)) continue;
    winners.set(field, evidence[0]?.value);
    const conflict = IDENTITY_FIELD.test(field) ? findConflict(field, evidence) : undefined;
    if (conflict) {
      conflicts.push(conflict);
      highConfidenceConflict ||= isHighConfidenceConflict(field, evidence);
    }
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
    if (field.startsWith('location.districts.') && typeof value === 'string')
      districts[field.slice('location.districts.'.length)] = value;
  }
  const given = str('name.given');
  const family = str('name.family');
  const typedDisplay = [given, family].filter(Boolean).join(' ') || null;

  const lookups = lookupsOf(input.lookups);
  const updatedAt = latestFactOf(input, byField);

  return {
    schemaVersion: RECORD_SCHEMA_VERSION,
    id: input.id,
    email: input.email,
    status: statusOf(input, highConfidenceConflict),
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
    voter: voterOf(winners.get('voter')),
    donations: donationsOf(winners.get('donations')),
    lookups,
    provenance,
    conflicts,
    // Consent comes only from the contact's own signups, never from enrichment.
    consent: input.consent,
    updatedAt,
  };
}
