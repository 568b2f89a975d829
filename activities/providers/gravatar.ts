import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { normalizeEmail } from '../../schemas/email.js';
import type { LookupInput, ObservationInput } from '../../schemas/lookup.js';
import { invalidInput } from './lookup-error.js';
import { ProviderHttpClient } from './provider-http-client.js';
import { NOT_FOUND, type ReplyRules } from './provider-reply.js';
import { epochResetQuota, header, parseEpochSecondsReset, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/** A profile reached through the supporter's own email hash: the email's owner published it. */
const CONFIDENCE = 0.9;

const optionalText = z.string().nullish();

/**
 * The parts of a Gravatar v3 profile (`GET /v3/profiles/{hash}`) we read; other fields pass through unread. Source:
 * Gravatar's OpenAPI spec (api.gravatar.com/v3/openapi) and docs.gravatar.com/rest-api.
 */
export const GravatarProfileSchema = z.object({
  hash: z.string(),
  display_name: optionalText,
  profile_url: z.string(),
  avatar_url: optionalText,
  location: optionalText,
  description: optionalText,
  job_title: optionalText,
  company: optionalText,
  verified_accounts: z
    .array(
      z.object({
        service_type: z.string(),
        service_label: optionalText,
        url: z.string(),
        is_hidden: z.boolean().optional(),
      }),
    )
    .default([]),
});
export type GravatarProfile = z.infer<typeof GravatarProfileSchema>;

/** Gravatar identifies a profile by the SHA-256 of the trimmed, lower-cased email (never MD5). */
export function gravatarHash(email: string): string {
  return createHash('sha256').update(normalizeEmail(email)).digest('hex');
}

/**
 * The handle in a profile URL: the last path segment without a leading @; for a fediverse URL
 * (`https://host/@user`) the full address `user@host`, since `user` alone names different people on different servers.
 */
export function handleFromUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const segments = parsed.pathname.split('/').filter(Boolean);
    const last = segments.at(-1) ?? url;
    if (segments.length === 1 && last.startsWith('@') && !last.slice(1).includes('@'))
      return `${last.slice(1)}@${parsed.host.toLowerCase()}`;
    return last.replace(/^@/, '');
  } catch {
    return url;
  }
}

export function gravatarObservations(profile: GravatarProfile, fetchedAt: string): ObservationInput[] {
  const sourceUrl = profile.profile_url;
  const obs: ObservationInput[] = [];
  const add = (field: string, value: string | null | undefined) => {
    if (value && value.trim() !== '')
      obs.push({ field, value: value.trim(), confidence: CONFIDENCE, sourceUrl, fetchedAt });
  };
  add('name.display', profile.display_name);
  add('bio', profile.description);
  add('avatarUrl', profile.avatar_url);
  add('work.title', profile.job_title);
  add('work.employer', profile.company);
  obs.push({
    field: 'profiles',
    value: {
      network: 'gravatar',
      handle: handleFromUrl(profile.profile_url),
      url: profile.profile_url,
      verified: true,
    },
    confidence: CONFIDENCE,
    sourceUrl,
    fetchedAt,
  });
  // Accounts the owner verified on Gravatar are the strongest email-to-handle links there are; hidden ones stay hidden.
  for (const account of profile.verified_accounts.filter((a) => !a.is_hidden)) {
    obs.push({
      field: 'profiles',
      value: { network: account.service_type, handle: handleFromUrl(account.url), url: account.url, verified: true },
      confidence: CONFIDENCE,
      sourceUrl,
      fetchedAt,
    });
  }
  return obs;
}

/**
 * 404: no profile for this hash. A 429 names its reset in `X-RateLimit-Reset` as epoch seconds; Gravatar documents
 * no Retry-After, but one is obeyed if sent.
 */
const GRAVATAR_REPLIES = {
  notFound: [404],
  rateLimit: {
    delayMs: ({ headers }, now) =>
      parseEpochSecondsReset(header(headers, 'x-ratelimit-reset'), now) ??
      parseRetryAfter(header(headers, 'retry-after'), now),
  },
  shape: 'profile',
} satisfies ReplyRules;

export function createGravatarProvider(config: ProviderConfig, deps: ProviderDeps): Provider {
  const http = new ProviderHttpClient({
    provider: 'gravatar',
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: deps.maxResponseBytes,
    quota: epochResetQuota,
    headers: deps.apiKey ? { authorization: `Bearer ${deps.apiKey}` } : {},
  });

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    if (!input.email) throw invalidInput('gravatar', 'input.email is missing; the lookup hashes the email');
    const profile = await http.getParsed(
      http.url(`profiles/${gravatarHash(input.email)}`),
      GravatarProfileSchema,
      GRAVATAR_REPLIES,
      signal,
    );
    if (profile === NOT_FOUND) return { outcome: 'no_match', observations: [] };
    return { outcome: 'matched', observations: gravatarObservations(profile, new Date().toISOString()) };
  }

  return { name: 'gravatar', lookup, close: () => http.close() };
}
