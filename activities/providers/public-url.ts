import { isIP } from 'node:net';
import type { JsonValue, ObservationInput } from '../../schemas/lookup.js';
import { isForbiddenAddress } from './address-guard.js';

/**
 * Which URLs a provider may put into a record. Whatever renders a record (the Web UI, an OSDI export, a CRM) may
 * follow its links or load its avatar, so a profile that names `http://169.254.169.254/…` or `https://10.0.0.1/`
 * would turn the reader's browser or server against its own network, even though we never fetch the URL
 * ourselves. A URL is stored only when it is `https` on a public host by the outgoing-request guard's rules for
 * IP literals, and on a name that can be public. Names are not resolved: this runs when a record is stored, long
 * before and far from where the URL is opened, so only what the URL itself says can be judged.
 */

/**
 * Names that never denote a public host: RFC 6761 (`localhost`, `invalid`, `test`, `example`), RFC 6762 (`local`,
 * mDNS), RFC 8375 (`home.arpa`), ICANN's 2024 reservation of `internal` for private use, and the unofficial
 * `localdomain` and `lan` that home routers hand out.
 */
const RESERVED_SUFFIXES = [
  'localhost',
  'local',
  'internal',
  'localdomain',
  'lan',
  'home.arpa',
  'invalid',
  'test',
  'example',
];

/** Why `url` may not be stored, or undefined when it may. The reason names the rule, never the URL. */
export function unstorableUrlReason(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol !== 'https:') return 'not an https URL';
  if (parsed.username !== '' || parsed.password !== '') return 'carries credentials';
  // The URL parser has already turned `0x7f.1`, `2130706433` and `127.1` into `127.0.0.1`, and lower-cased names.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (isIP(host) !== 0) return isForbiddenAddress(host) ? 'host is not a public address' : undefined;
  if (host === '') return 'no host';
  if (!host.includes('.')) return 'host is a single-label name';
  const reserved = RESERVED_SUFFIXES.find((suffix) => host === suffix || host.endsWith(`.${suffix}`));
  return reserved === undefined ? undefined : `host is under the reserved name .${reserved}`;
}

/** Observation fields whose value is a URL, or holds one: how to read it. */
const URL_VALUES: Record<string, (value: JsonValue) => string | undefined> = {
  avatarUrl: (value) => (typeof value === 'string' ? value : undefined),
  profiles: (value) => {
    const url = value !== null && typeof value === 'object' && !Array.isArray(value) ? value['url'] : undefined;
    return typeof url === 'string' ? url : undefined;
  },
};

/** The field under which a drop is noted; the record's provenance lists it like any other observation. */
export const DROPPED_FIELD = 'dropped';

/** What a `dropped` observation holds: which part of which field was dropped and why, never the URL itself. */
export interface DroppedUrlNote {
  [key: string]: string;
  field: string;
  /** `value` (the observation was dropped) or `sourceUrl` (only its source link was). */
  part: 'value' | 'sourceUrl';
  reason: string;
}

export interface StorableObservations {
  observations: ObservationInput[];
  /** How many URLs were dropped (each is also noted in `observations` as a `dropped` observation). */
  dropped: number;
}

/** The origin of `url`, or undefined when it has none (a `{instance}` template). */
function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * A provider's observations with every URL that {@link unstorableUrlReason} refuses taken out: an observation whose
 * value is such a URL (an avatar, a profile link) is dropped, a `sourceUrl` is removed from its observation, and
 * each drop is noted as a `dropped` observation ({@link DroppedUrlNote}) with the dropped one's confidence and time,
 * so the record says something was withheld rather than silently holding less. URLs on `trustedOrigins` (the
 * provider's configured base URL, where our own request went; in a local demo that is `http://127.0.0.1:…`) are
 * kept: that is the operator's configuration, not something a provider answered.
 */
export function withStorableUrls(
  observations: ObservationInput[],
  trustedOrigins: readonly string[] = [],
): StorableObservations {
  const trusted = new Set(trustedOrigins.map(originOf).filter((o): o is string => o !== undefined));
  const reasonFor = (url: string) => (trusted.has(originOf(url) ?? '') ? undefined : unstorableUrlReason(url));
  const kept: ObservationInput[] = [];
  const notes = new Map<string, ObservationInput>();
  const note = (o: ObservationInput, part: DroppedUrlNote['part'], reason: string) => {
    const value: DroppedUrlNote = { field: o.field, part, reason };
    // One note per field, part and reason: a bad profile URL is the source of every observation of that profile.
    const key = `${o.field}\u0000${part}\u0000${reason}`;
    if (!notes.has(key))
      notes.set(key, { field: DROPPED_FIELD, value, confidence: o.confidence, fetchedAt: o.fetchedAt });
  };
  let dropped = 0;
  for (const o of observations) {
    const sourceReason = o.sourceUrl === undefined ? undefined : reasonFor(o.sourceUrl);
    const { sourceUrl: _sourceUrl, ...withoutSource } = o;
    const safe: ObservationInput = sourceReason === undefined ? o : withoutSource;
    if (sourceReason !== undefined) {
      dropped += 1;
      note(o, 'sourceUrl', sourceReason);
    }
    const url = URL_VALUES[o.field]?.(o.value);
    const valueReason = url === undefined ? undefined : reasonFor(url);
    if (valueReason !== undefined) {
      dropped += 1;
      note(o, 'value', valueReason);
      continue;
    }
    kept.push(safe);
  }
  return { observations: [...kept, ...notes.values()], dropped };
}
