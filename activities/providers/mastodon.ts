import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import { guardedLookup, type Resolver } from './address-guard.js';
import { BoundedClientCache } from './bounded-client-cache.js';
import { htmlToText } from './html-text.js';
import { invalidInput, LookupError } from './lookup-error.js';
import { INSTANCE_PLACEHOLDER, instanceOrigin, parseMastodonHandle } from './mastodon-handle.js';
import { resolveWebfinger } from './mastodon-webfinger.js';
import { ProviderHttpClient } from './provider-http-client.js';
import { NOT_FOUND, type ReplyRules } from './provider-reply.js';
import { header, parseIsoReset, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/** A handle reached through a link the user typed somewhere; stage 2 normally passes the link's own confidence. */
const DEFAULT_LINK_CONFIDENCE = 0.6;
/** From this link confidence on (a Gravatar-verified account), the profile counts as verified. */
const VERIFIED_LINK_CONFIDENCE = 0.9;
/** Mastodon's 429 carries only `X-RateLimit-Reset`; without it, wait a minute (the window is 5 min). */
const RATE_LIMIT_DEFAULT_MS = 60_000;
/** At most this many instances keep a connection pool open; the least recently used one is closed first. */
const MAX_INSTANCE_CLIENTS = 32;

const httpUrl = z.string().refine(isHttpUrl, 'must be an http(s) URL');

/**
 * The parts of a Mastodon Account (`GET /api/v1/accounts/lookup?acct=`) we read; other fields pass through unread.
 * The opt-out flags are nullable (remote accounts may not carry them) and `suspended`/`limited`/`moved` are only
 * present when set. Source: docs.joinmastodon.org, "Account" entity and "accounts" methods (§ lookup).
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

/**
 * The account asked to stay out of discovery (`discoverable: false`: not featured in the profile directory and
 * suggestions) or out of search engines (`noindex: true`), or is no longer a live account (suspended, limited by
 * its server, or moved): either way there is nothing we may record. `indexable` is not an opt-out: it only says
 * whether the account's public posts may be found by full-text search, and is false for many accounts that never
 * opted in (docs.joinmastodon.org, "Account" entity).
 */
export function mastodonOptedOut(account: MastodonAccount): boolean {
  return (
    account.discoverable === false ||
    account.noindex === true ||
    account.suspended === true ||
    account.limited === true ||
    (account.moved !== undefined && account.moved !== null && account.moved !== false)
  );
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

/**
 * How a Mastodon server answers `accounts/lookup`: 404 `{"error":"Record not found"}` for an unknown account (410
 * for one that is gone); a 429 whose `X-RateLimit-Reset` is the end of the window as an ISO 8601 time, with no
 * Retry-After (docs.joinmastodon.org, "Rate limits"); 401 or 403 from a server that refuses anonymous API access
 * (`DISALLOW_UNAUTHENTICATED_API_ACCESS`, limited federation), which retrying cannot change. `server` names it.
 */
function mastodonReplies(server: string) {
  return {
    notFound: [404, 410],
    rateLimit: {
      delayMs: ({ headers }, now) =>
        parseIsoReset(header(headers, 'x-ratelimit-reset'), now) ??
        parseRetryAfter(header(headers, 'retry-after'), now) ??
        RATE_LIMIT_DEFAULT_MS,
    },
    refusal: ({ status }) =>
      status === 401 || status === 403
        ? new LookupError(
            LOOKUP_ERROR_TYPES.providerRejected,
            `mastodon: ${server} refuses anonymous API access (HTTP ${status})`,
            undefined,
            status,
          )
        : undefined,
    shape: 'account',
  } satisfies ReplyRules;
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
  const resolveHost = perInstance
    ? guardedLookup({ provider: 'mastodon', allowedHosts: config.allowedHosts, resolve: deps.resolve })
    : undefined;
  const clients = new BoundedClientCache(
    MAX_INSTANCE_CLIENTS,
    (baseUrl) =>
      new ProviderHttpClient({
        provider: 'mastodon',
        baseUrl,
        timeoutMs: config.timeoutMs,
        maxResponseBytes: deps.maxResponseBytes,
        ...(resolveHost ? { lookup: resolveHost } : {}),
      }),
  );

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    if (!input.handle) throw invalidInput('mastodon', 'input.handle is missing; the lookup needs a user@host address');
    const { user, host } = parseMastodonHandle(input.handle);
    // Per instance, WebFinger on the handle's domain names the server that hosts the account (its WEB_DOMAIN may
    // differ), where the account is local (`acct=user`); a fixed server is asked for the full address.
    let asked = { user, host };
    if (perInstance) {
      const resolved = await resolveWebfinger(
        (o) => clients.get(o),
        config.baseUrl,
        asked,
        mastodonReplies(host),
        signal,
      );
      if (resolved === NOT_FOUND) return { outcome: 'no_match', observations: [] };
      asked = resolved;
    }
    const http = clients.get(perInstance ? instanceOrigin(config.baseUrl, asked.host) : config.baseUrl);
    const url = http.url('api/v1/accounts/lookup', { acct: perInstance ? asked.user : `${user}@${host}` });
    const account = await http.getParsed(
      url,
      MastodonAccountSchema,
      mastodonReplies(perInstance ? asked.host : 'the server'),
      signal,
    );
    if (account === NOT_FOUND) return { outcome: 'no_match', observations: [] };
    if (!isAccountAsked(account, asked.user, perInstance ? asked.host : host)) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.malformedResponse,
        'mastodon: answered an account other than the one asked for',
        undefined,
        200,
      );
    }
    if (mastodonOptedOut(account)) return { outcome: 'no_match', observations: [] };
    return {
      outcome: 'matched',
      observations: mastodonObservations(account, host, input.linkConfidence, new Date().toISOString()),
    };
  }

  return { name: 'mastodon', lookup, close: () => clients.close() };
}
