import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import { invalidInput, LookupError } from './lookup-error.js';
import { ProviderHttpClient } from './provider-http-client.js';
import { NOT_FOUND, type JsonReply, type ReplyRules } from './provider-reply.js';
import { header, parseEpochSecondsReset, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/** A handle reached through a link the user typed somewhere; stage 2 normally passes the link's own confidence. */
const DEFAULT_LINK_CONFIDENCE = 0.6;
/** From this link confidence on (a Gravatar-verified account), the profile counts as verified. */
const VERIFIED_LINK_CONFIDENCE = 0.9;
/** Bluesky publishes no AppView limit; without a usable reset or Retry-After, wait a minute. */
const RATE_LIMIT_DEFAULT_MS = 60_000;
/** The global self-label of a user who asked not to be shown to logged-out viewers. */
export const NO_UNAUTHENTICATED_LABEL = '!no-unauthenticated';
/** What the AppView shows in place of a handle that no longer verifies. */
const INVALID_HANDLE = 'handle.invalid';
/**
 * 400 errors that mean "no such profile to show" rather than "your request is wrong": the AppView answers a
 * taken-down or deactivated account with them, not with 404 (bluesky-social/atproto, packages/bsky's `getProfile`
 * handler, which throws `InvalidRequestError` with these names, as it does with "Profile not found").
 */
const NOT_FOUND_ERRORS = new Set(['AccountTakedown', 'AccountDeactivated']);

const httpUrl = z.string().refine(isHttpUrl, 'must be an http(s) URL');

/**
 * The parts of `app.bsky.actor.defs#profileViewDetailed` we read; others pass through unread. Source: the lexicon
 * (bluesky-social/atproto, lexicons/app/bsky/actor/defs.json) and docs.bsky.app's `app.bsky.actor.getProfile` page.
 */
export const BlueskyProfileSchema = z.object({
  did: z.string().regex(/^did:[a-z]+:\S+$/, 'must be a DID'),
  handle: z.string().min(1),
  displayName: z.string().nullish(),
  description: z.string().nullish(),
  avatar: httpUrl.nullish(),
  labels: z.array(z.object({ val: z.string(), src: z.string().optional(), neg: z.boolean().optional() })).nullish(),
});
export type BlueskyProfile = z.infer<typeof BlueskyProfileSchema>;

/** An XRPC error body: `{"error":"InvalidRequest","message":"Profile not found"}`. */
const XrpcErrorSchema = z.object({ error: z.string(), message: z.string().optional() });

function isHttpUrl(value: string): boolean {
  try {
    return /^https?:$/.test(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** atproto DID syntax (did:method:identifier). */
const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$/;
/** atproto handle syntax: a DNS name of at least two labels whose last label starts with a letter. */
const HANDLE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A handle (lower-cased, a leading `@` dropped) or a DID, as `getProfile` takes it. Anything else is refused
 * before a request is made: the AppView would only answer 400.
 */
export function normalizeBlueskyActor(value: string): string {
  const trimmed = value.trim().replace(/^@/, '');
  if (trimmed.startsWith('did:')) {
    if (trimmed.length <= 2048 && DID.test(trimmed)) return trimmed;
  } else {
    const handle = trimmed.toLowerCase();
    if (handle.length <= 253 && HANDLE.test(handle)) return handle;
  }
  throw invalidInput('bluesky', 'the handle is neither a valid handle nor a DID');
}

/** The user asked (with a self-label) not to be shown to logged-out viewers, which is what we are. */
export function blueskyOptedOut(profile: BlueskyProfile): boolean {
  return (profile.labels ?? []).some((label) => label.val === NO_UNAUTHENTICATED_LABEL && label.neg !== true);
}

/** The profile's handle, or its DID when the AppView shows `handle.invalid`. */
function profileHandle(profile: BlueskyProfile): string {
  const handle = profile.handle.toLowerCase();
  return handle === INVALID_HANDLE ? profile.did : handle;
}

/**
 * Observations from one profile. The confidence is how strongly the handle is tied to the supporter (the stage-2
 * link), not anything the profile says about itself.
 */
export function blueskyObservations(
  profile: BlueskyProfile,
  linkConfidence: number | undefined,
  fetchedAt: string,
): ObservationInput[] {
  const confidence = linkConfidence ?? DEFAULT_LINK_CONFIDENCE;
  const handle = profileHandle(profile);
  const url = `https://bsky.app/profile/${handle}`;
  const obs: ObservationInput[] = [
    {
      field: 'profiles',
      value: { network: 'bluesky', handle, url, verified: (linkConfidence ?? 0) >= VERIFIED_LINK_CONFIDENCE },
      confidence,
      sourceUrl: url,
      fetchedAt,
    },
  ];
  const add = (field: string, value: string | null | undefined) => {
    if (value && value.trim() !== '') obs.push({ field, value: value.trim(), confidence, sourceUrl: url, fetchedAt });
  };
  add('name.display', profile.displayName);
  add('bio', profile.description);
  add('avatarUrl', profile.avatar);
  return obs;
}

/**
 * The wait announced by `RateLimit-Reset`. atproto sends epoch seconds; the IETF draft it follows now says
 * delta seconds, so a value too small to be an epoch time is read as a delta rather than as "already passed".
 */
function rateLimitResetDelay(value: string | undefined, now: number): number | undefined {
  const trimmed = value?.trim();
  if (trimmed !== undefined && /^\d+$/.test(trimmed) && Number(trimmed) < 1_000_000_000) return Number(trimmed) * 1000;
  return parseEpochSecondsReset(trimmed, now);
}

/** Which actor a profile answers for: the DID asked, or the handle asked. */
function isProfileAsked(profile: BlueskyProfile, actor: string): boolean {
  return actor.startsWith('did:') ? profile.did === actor : profile.handle.toLowerCase() === actor;
}

/** An XRPC error body, when the reply carries one. */
function xrpcError(reply: JsonReply): z.infer<typeof XrpcErrorSchema> | undefined {
  const parsed = XrpcErrorSchema.safeParse(reply.body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The AppView answers an unknown, taken-down or deactivated actor with 400 and an XRPC error, not 404; any other
 * 400 is a refusal. A 429 carries `RateLimit-Reset` (atproto's rate limiter, packages/xrpc-server).
 */
const BLUESKY_REPLIES = {
  notFound: (reply) => {
    const error = reply.status === 400 ? xrpcError(reply) : undefined;
    return error !== undefined && isNotFound(error);
  },
  rateLimit: {
    delayMs: ({ headers }, now) =>
      rateLimitResetDelay(header(headers, 'ratelimit-reset'), now) ??
      parseRetryAfter(header(headers, 'retry-after'), now) ??
      RATE_LIMIT_DEFAULT_MS,
  },
  refusal: (reply) => {
    if (reply.status !== 400) return undefined;
    const name = xrpcError(reply)?.error ?? 'no XRPC error';
    return new LookupError(
      LOOKUP_ERROR_TYPES.providerRejected,
      `bluesky rejected the request (HTTP 400, ${name})`,
      undefined,
      400,
    );
  },
  shape: 'profile',
} satisfies ReplyRules;

export function createBlueskyProvider(config: ProviderConfig, deps: ProviderDeps): Provider {
  const http = new ProviderHttpClient({
    provider: 'bluesky',
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: deps.maxResponseBytes,
  });

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    if (!input.handle) throw invalidInput('bluesky', 'input.handle is missing; the lookup needs a handle or a DID');
    const actor = normalizeBlueskyActor(input.handle);
    const profile = await http.getParsed(
      http.url('xrpc/app.bsky.actor.getProfile', { actor }),
      BlueskyProfileSchema,
      BLUESKY_REPLIES,
      signal,
    );
    if (profile === NOT_FOUND) return { outcome: 'no_match', observations: [] };
    if (!isProfileAsked(profile, actor)) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.malformedResponse,
        'bluesky: answered a profile other than the one asked for',
        undefined,
        200,
      );
    }
    if (blueskyOptedOut(profile)) return { outcome: 'no_match', observations: [] };
    return {
      outcome: 'matched',
      observations: blueskyObservations(profile, input.linkConfidence, new Date().toISOString()),
    };
  }

  return { name: 'bluesky', lookup, close: () => http.close() };
}

/**
 * `InvalidRequest` is also what a malformed `actor` gets ("actor must be a valid did or a handle"), so only its
 * "not found" message counts as no match.
 */
function isNotFound(error: z.infer<typeof XrpcErrorSchema>): boolean {
  if (NOT_FOUND_ERRORS.has(error.error)) return true;
  return error.error === 'InvalidRequest' && (error.message === undefined || /not found/i.test(error.message));
}
