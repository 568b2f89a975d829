import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import { errorForStatus, LookupError } from './lookup-error.js';
import { ProviderHttpClient } from './provider-http-client.js';
import { header, parseIsoReset, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';
import { guardedLookup, type Resolver } from './address-guard.js';

/** A handle reached through a link the user typed somewhere; stage 2 normally passes the link's own confidence. */
const DEFAULT_LINK_CONFIDENCE = 0.6;
/** From this link confidence on (a Gravatar-verified account), the profile counts as verified. */
const VERIFIED_LINK_CONFIDENCE = 0.9;
/** Mastodon's 429 carries only `X-RateLimit-Reset`; without it, wait a minute (the window is 5 min). */
const RATE_LIMIT_DEFAULT_MS = 60_000;
/** At most this many instances keep a connection pool open; the least recently used one is closed first. */
const MAX_INSTANCE_CLIENTS = 32;

/** In a base URL, stands for the handle's own server (config.ts). */
export const INSTANCE_PLACEHOLDER = '{instance}';

const httpUrl = z.string().refine(isHttpUrl, 'must be an http(s) URL');

/**
 * The parts of a Mastodon Account we read (providers.md §3); other fields pass through unread. The opt-out flags
 * are nullable (remote accounts may not carry them) and `suspended`/`limited`/`moved` are only present when set.
 */
export const MastodonAccountSchema = z.object({
  id: z.string(),
  username: z.string().min(1),
  acct: z.string().min(1),
  url: httpUrl.nullish(),
  display_name: z.string().nullish(),
  note: z.string().nullish(),
  avatar: httpUrl.nullish(),
  discoverable: z.boolean().nullish(),
  indexable: z.boolean().nullish(),
  noindex: z.boolean().nullish(),
  suspended: z.boolean().nullish(),
  limited: z.boolean().nullish(),
  /** The Account the user moved to; null or absent when they have not moved. */
  moved: z.unknown().optional(),
});
export type MastodonAccount = z.infer<typeof MastodonAccountSchema>;

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** A username as Mastodon allows it (`Account::USERNAME_RE`), so nothing else reaches the query string. */
const USERNAME = /^[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?$/i;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A host lower-cased, and a Unicode name in its ASCII (punycode) form. Only a name without URL-special
 * characters is converted: the converter parses hosts like a URL would (`evil.example/x` → `evil.example`).
 */
function asciiHost(host: string): string {
  const lower = host.toLowerCase();
  if (/^[ -~]*$/.test(lower) || /[\s/\\:?#[\]@%]/.test(lower)) return lower;
  return domainToASCII(lower) || lower;
}

/** `user@host` (a leading `@` allowed) as its parts, the host lower-cased and in ASCII; anything else is refused. */
export function parseMastodonHandle(handle: string): { user: string; host: string } {
  const match = /^@?([^@\s]+)@([^@\s]+)$/.exec(handle.trim());
  if (!match || !USERNAME.test(match[1]!)) {
    throw new LookupError(LOOKUP_ERROR_TYPES.providerRejected, 'mastodon: the handle is not a user@host address');
  }
  return { user: match[1]!, host: asciiHost(match[2]!) };
}

/**
 * Whether `host` may be put into the `{instance}` template: a dotted DNS name of letters, digits and hyphens whose
 * last label is not numeric, never an IP literal, `localhost` or a name under it. This is a syntax check only; the
 * addresses the name resolves to are checked when a connection is made (see {@link createMastodonProvider}).
 */
export function isInstanceHost(host: string): boolean {
  if (host.length > 253 || isIP(host) !== 0) return false;
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) return false;
  // The URL parser reads a name ending in a number (`127.1`, `10.0x1`) as an IPv4 address.
  return !/^(?:\d+|0x[0-9a-f]*)$/.test(labels.at(-1)!);
}

/**
 * The base URL for asking the handle's own server: `baseUrl` with `{instance}` replaced by `host`. Refuses, as
 * ForbiddenHost, a host that is not a public-looking DNS name or that the URL parser would read as something else.
 */
export function instanceOrigin(baseUrl: string, host: string): string {
  const normalized = asciiHost(host);
  const refuse = () => new LookupError(LOOKUP_ERROR_TYPES.forbiddenHost, `mastodon: refused instance host ${JSON.stringify(host)}`);
  if (!isInstanceHost(normalized)) throw refuse();
  const base = baseUrl.replaceAll(INSTANCE_PLACEHOLDER, normalized);
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw refuse();
  }
  if (parsed.hostname !== normalized || !/^https?:$/.test(parsed.protocol)) throw refuse();
  return base;
}

/**
 * The account asked the lookup to stay out of indexes and searches, or is no longer a live account
 * (suspended, limited by its server, or moved): either way there is nothing we may record.
 */
export function mastodonOptedOut(account: MastodonAccount): boolean {
  return (
    account.discoverable === false ||
    account.indexable === false ||
    account.noindex === true ||
    account.suspended === true ||
    account.limited === true ||
    (account.moved !== undefined && account.moved !== null && account.moved !== false)
  );
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith('#')) {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      const valid = code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff);
      return valid ? String.fromCodePoint(code) : '\ufffd';
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * Mastodon's HTML (a note, a field value) as plain text: scripts and styles dropped, block tags turned into
 * spaces, other tags removed, entities decoded once, whitespace collapsed.
 */
export function htmlToText(html: string): string {
  const stripped = html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<\/?(?:p|br|div|li|ul|ol|blockquote|pre|h[1-6])\b[^>]*>/gi, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/<[^>]*$/, '');
  return decodeEntities(stripped).replace(/\s+/g, ' ').trim();
}

/** Mastodon serves this placeholder for an account without an avatar; it says nothing about the person. */
const MISSING_AVATAR = /\/avatars\/original\/missing\.png$/;

/**
 * Observations from one account on `host`. The confidence is how strongly the handle is tied to the supporter
 * (the stage-2 link), not anything the account says about itself.
 */
export function mastodonObservations(
  account: MastodonAccount,
  host: string,
  linkConfidence: number | undefined,
  fetchedAt: string,
): ObservationInput[] {
  const confidence = linkConfidence ?? DEFAULT_LINK_CONFIDENCE;
  const normalizedHost = host.toLowerCase();
  const url = account.url ?? `https://${normalizedHost}/@${account.username}`;
  const obs: ObservationInput[] = [
    {
      field: 'profiles',
      value: {
        network: 'mastodon',
        handle: `${account.username}@${normalizedHost}`,
        url,
        verified: (linkConfidence ?? 0) >= VERIFIED_LINK_CONFIDENCE,
      },
      confidence,
      sourceUrl: url,
      fetchedAt,
    },
  ];
  const add = (field: string, value: string | null | undefined) => {
    if (value && value.trim() !== '') obs.push({ field, value: value.trim(), confidence, sourceUrl: url, fetchedAt });
  };
  add('name.display', account.display_name);
  add('bio', account.note ? htmlToText(account.note) : undefined);
  if (account.avatar && !MISSING_AVATAR.test(account.avatar)) add('avatarUrl', account.avatar);
  return obs;
}

/** The account answers for `user@host`: same username, and a remote `acct` names the same domain. */
function isAccountAsked(account: MastodonAccount, user: string, host: string): boolean {
  if (account.username.toLowerCase() !== user.toLowerCase()) return false;
  const domain = account.acct.split('@')[1];
  return domain === undefined || domain.toLowerCase() === host;
}

interface Closable {
  close(): Promise<void>;
}

/**
 * One client per base URL, at most `max` of them: the least recently used one is closed (after its requests
 * finish) when another is needed. `close()` closes them all, including those still closing.
 */
export class BoundedClientCache<C extends Closable> {
  readonly #max: number;
  readonly #create: (baseUrl: string) => C;
  readonly #clients = new Map<string, C>();
  readonly #closing = new Set<Promise<void>>();
  #closed = false;

  constructor(max: number, create: (baseUrl: string) => C) {
    this.#max = max;
    this.#create = create;
  }

  get size(): number {
    return this.#clients.size;
  }

  get(baseUrl: string): C {
    if (this.#closed) throw new Error('client cache is closed');
    const existing = this.#clients.get(baseUrl);
    if (existing) {
      // Map keeps insertion order: re-inserting marks the entry as most recently used.
      this.#clients.delete(baseUrl);
      this.#clients.set(baseUrl, existing);
      return existing;
    }
    const client = this.#create(baseUrl);
    this.#clients.set(baseUrl, client);
    while (this.#clients.size > this.#max) {
      const [oldestUrl, oldest] = this.#clients.entries().next().value as [string, C];
      this.#clients.delete(oldestUrl);
      this.#retire(oldest);
    }
    return client;
  }

  #retire(client: C): void {
    const closing: Promise<void> = client
      .close()
      .catch(() => undefined)
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const open = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all([...open.map((client) => client.close()), ...this.#closing]);
  }
}

export interface MastodonDeps extends ProviderDeps {
  /** How instance host names are resolved before the address check; tests inject one. Default: the system's. */
  resolve?: Resolver;
}

/**
 * Mastodon lookups. With a `{instance}` base URL each handle is asked on its own server, a host learned from data:
 * besides the syntax check ({@link instanceOrigin}), the connection is refused as ForbiddenHost (non-retryable) when
 * the name resolves to a loopback, private, link-local, CGNAT, ULA or unspecified address, unless the host is in
 * `PROVIDER_MASTODON_ALLOWED_HOSTS`. The check is made in the connection's own DNS lookup, on the addresses the
 * socket then uses, so DNS rebinding cannot slip past it. A fixed base URL is the operator's explicit choice and
 * is used as configured.
 */
export function createMastodonProvider(config: ProviderConfig, deps: MastodonDeps): Provider {
  const perInstance = config.baseUrl.includes(INSTANCE_PLACEHOLDER);
  const resolveHost = perInstance ? guardedLookup({ provider: 'mastodon', allowedHosts: config.allowedHosts, resolve: deps.resolve }) : undefined;
  const clients = new BoundedClientCache(
    MAX_INSTANCE_CLIENTS,
    (baseUrl) =>
      new ProviderHttpClient({ provider: 'mastodon', baseUrl, timeoutMs: config.timeoutMs, maxResponseBytes: deps.maxResponseBytes, ...(resolveHost ? { lookup: resolveHost } : {}) }),
  );

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    if (!input.handle) throw new Error('mastodon: lookup needs input.handle (user@host)');
    const { user, host } = parseMastodonHandle(input.handle);
    // On the handle's own server the account is local (`acct=user`); a fixed server is asked for the full address.
    const http = clients.get(perInstance ? instanceOrigin(config.baseUrl, host) : config.baseUrl);
    const reply = await http.getJson(http.url('api/v1/accounts/lookup', { acct: perInstance ? user : `${user}@${host}` }), signal);
    if (reply.status === 404 || reply.status === 410) return { outcome: 'no_match', observations: [] };
    if (reply.status === 429) {
      // Mastodon sends the end of its window as an ISO 8601 X-RateLimit-Reset and no Retry-After; accept either.
      const now = Date.now();
      const delay =
        parseIsoReset(header(reply.headers, 'x-ratelimit-reset'), now) ?? parseRetryAfter(header(reply.headers, 'retry-after'), now) ?? RATE_LIMIT_DEFAULT_MS;
      throw new LookupError(LOOKUP_ERROR_TYPES.rateLimited, 'mastodon rate limit reached', delay, 429);
    }
    if (reply.status === 401 || reply.status === 403) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.providerRejected,
        `mastodon: ${perInstance ? host : 'the server'} refuses anonymous API access (HTTP ${reply.status})`,
        undefined,
        reply.status,
      );
    }
    if (reply.status !== 200) throw errorForStatus('mastodon', reply.status);
    const parsed = MastodonAccountSchema.safeParse(reply.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LookupError(
        LOOKUP_ERROR_TYPES.malformedResponse,
        `mastodon: unexpected account shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
        undefined,
        200,
      );
    }
    const account = parsed.data;
    if (!isAccountAsked(account, user, host)) {
      throw new LookupError(LOOKUP_ERROR_TYPES.malformedResponse, 'mastodon: answered an account other than the one asked for', undefined, 200);
    }
    if (mastodonOptedOut(account)) return { outcome: 'no_match', observations: [] };
    return { outcome: 'matched', observations: mastodonObservations(account, host, input.linkConfidence, new Date().toISOString()) };
  }

  return { name: 'mastodon', lookup, close: () => clients.close() };
}
