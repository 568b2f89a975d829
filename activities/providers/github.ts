import { z } from 'zod';
import type { ProviderConfig } from '../../config.js';
import { normalizeEmail } from '../../schemas/email.js';
import { LOOKUP_ERROR_TYPES, type LookupInput, type ObservationInput } from '../../schemas/lookup.js';
import { invalidInput, LookupError } from './lookup-error.js';
import { ProviderHttpClient, type QuotaState } from './provider-http-client.js';
import { NOT_FOUND, type JsonReply, type ReplyRules } from './provider-reply.js';
import { epochResetQuota, header, parseEpochSecondsReset, parseRetryAfter } from './rate-limit-headers.js';
import type { Provider, ProviderAnswer, ProviderDeps } from './provider.js';

/**
 * A user whose public profile email is the supporter's email. GitHub only lets verified addresses be public, so
 * the link is strong, but a little weaker than a profile the email's owner published about themselves.
 */
const CONFIDENCE = 0.85;
/** A Twitter/X handle the user typed on their GitHub profile: their claim, not verified by X. */
const CLAIMED_LINK_CONFIDENCE = 0.6;
/** GitHub's advice for a secondary limit without retry-after: wait at least a minute. */
const SECONDARY_LIMIT_DEFAULT_MS = 60_000;

export const GithubSearchSchema = z.object({
  total_count: z.number().int().min(0),
  /** True when the search timed out before it had looked everywhere (docs.github.com, "Timeouts and incomplete results"). */
  incomplete_results: z.boolean().optional(),
  items: z.array(z.object({ login: z.string(), html_url: z.string(), type: z.string() })),
});

export const GithubUserSchema = z.object({
  login: z.string(),
  html_url: z.string(),
  name: z.string().nullish(),
  company: z.string().nullish(),
  blog: z.string().nullish(),
  location: z.string().nullish(),
  bio: z.string().nullish(),
  avatar_url: z.string().nullish(),
  twitter_username: z.string().nullish(),
});
export type GithubUser = z.infer<typeof GithubUserSchema>;

/**
 * GitHub signals an exhausted quota with 429, or with 403 and `x-ratelimit-remaining: 0` (primary limit), or
 * with 403 and a retry-after or a "secondary rate limit" message. Any other 403 is a refusal.
 * Returns the delay to wait, or undefined when the reply is not a rate limit.
 */
export function githubRateLimitDelay(
  reply: Pick<JsonReply, 'status' | 'headers' | 'body'>,
  now: number,
): number | undefined {
  if (reply.status !== 403 && reply.status !== 429) return undefined;
  const retryAfter = parseRetryAfter(header(reply.headers, 'retry-after'), now);
  if (retryAfter !== undefined) return retryAfter;
  if (header(reply.headers, 'x-ratelimit-remaining') === '0') {
    return parseEpochSecondsReset(header(reply.headers, 'x-ratelimit-reset'), now) ?? SECONDARY_LIMIT_DEFAULT_MS;
  }
  const message = (reply.body as { message?: unknown } | undefined)?.message;
  if (reply.status === 429 || (typeof message === 'string' && /rate limit/i.test(message)))
    return SECONDARY_LIMIT_DEFAULT_MS;
  return undefined;
}

/**
 * 404: no such user (a search with no match is a 200 with no items). A rate limit is a 429, or a 403 that
 * {@link githubRateLimitDelay} reads as one; any other 403 is a refusal.
 */
const GITHUB_REPLIES = {
  notFound: [404],
  rateLimit: { delayMs: githubRateLimitDelay, alsoStatuses: [403], detail: (reply) => `HTTP ${reply.status}` },
} satisfies ReplyRules;

/**
 * GitHub meters its search and its other REST requests apart (`search` 30/min, `core` 5,000/h with a token) and
 * names the one a reply counted against in `x-ratelimit-resource`: a search that spent the last search request must
 * not hold back the `/users/{login}` request that follows.
 */
export function githubBucket(url: URL): string {
  return /^\/search\//.test(url.pathname) ? 'search' : 'core';
}

export function githubQuota(headers: JsonReply['headers'], now: number): QuotaState | undefined {
  const quota = epochResetQuota(headers, now);
  return quota && { ...quota, bucket: header(headers, 'x-ratelimit-resource') };
}

export function githubObservations(user: GithubUser, fetchedAt: string, confidence = CONFIDENCE): ObservationInput[] {
  const sourceUrl = user.html_url;
  const obs: ObservationInput[] = [
    {
      field: 'profiles',
      value: { network: 'github', handle: user.login, url: user.html_url, verified: confidence >= 0.85 },
      confidence,
      sourceUrl,
      fetchedAt,
    },
  ];
  const add = (field: string, value: string | null | undefined) => {
    if (value && value.trim() !== '') obs.push({ field, value: value.trim(), confidence, sourceUrl, fetchedAt });
  };
  add('name.display', user.name);
  // GitHub companies are often written as an org mention ("@riverside-fb").
  add('work.employer', user.company?.replace(/^@/, ''));
  add('bio', user.bio);
  add('avatarUrl', user.avatar_url);
  if (user.twitter_username) {
    obs.push({
      field: 'profiles',
      value: {
        network: 'twitter',
        handle: user.twitter_username,
        url: `https://x.com/${user.twitter_username}`,
        verified: false,
      },
      confidence: Math.min(confidence, CLAIMED_LINK_CONFIDENCE),
      sourceUrl,
      fetchedAt,
    });
  }
  return obs;
}

export function createGithubProvider(config: ProviderConfig, deps: ProviderDeps): Provider {
  const http = new ProviderHttpClient({
    provider: 'github',
    baseUrl: config.baseUrl,
    timeoutMs: config.timeoutMs,
    maxResponseBytes: deps.maxResponseBytes,
    quota: githubQuota,
    bucketOf: githubBucket,
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      ...(deps.apiKey ? { authorization: `Bearer ${deps.apiKey}` } : {}),
    },
  });

  async function lookup(input: LookupInput, signal?: AbortSignal): Promise<ProviderAnswer> {
    // Stage 2: a login that a verified link named; the link's strength is the observations' confidence.
    if (input.handle) {
      const user = await http.getParsed(
        http.url(`users/${encodeURIComponent(input.handle)}`),
        GithubUserSchema,
        GITHUB_REPLIES,
        signal,
      );
      if (user === NOT_FOUND) return { outcome: 'no_match', observations: [] };
      return {
        outcome: 'matched',
        observations: githubObservations(user, new Date().toISOString(), input.linkConfidence ?? CONFIDENCE),
      };
    }
    if (!input.email) throw invalidInput('github', 'input.email is missing; the search needs an email or a login');
    // `in:email` searches public profile emails only; that is the only email lookup GitHub offers.
    const searchUrl = http.url('search/users', { q: `${normalizeEmail(input.email)} in:email type:user` });
    const search = await http.getParsed(searchUrl, GithubSearchSchema, GITHUB_REPLIES, signal);
    // A search that timed out may have missed the user (or a second one): not an answer, asked again later.
    if (search !== NOT_FOUND && search.incomplete_results === true) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.providerUnavailable,
        'github: the search timed out (incomplete_results)',
      );
    }
    const users = (search === NOT_FOUND ? [] : search.items).filter((item) => item.type === 'User');
    if (users.length === 0) return { outcome: 'no_match', observations: [] };
    if (users.length > 1) {
      throw new LookupError(
        LOOKUP_ERROR_TYPES.ambiguousMatch,
        `github: ${users.length} users show this email publicly`,
      );
    }
    const login = users[0]!.login;
    const user = await http.getParsed(
      http.url(`users/${encodeURIComponent(login)}`),
      GithubUserSchema,
      GITHUB_REPLIES,
      signal,
    );
    if (user === NOT_FOUND) return { outcome: 'no_match', observations: [] };
    return { outcome: 'matched', observations: githubObservations(user, new Date().toISOString()) };
  }

  return { name: 'github', lookup, close: () => http.close() };
}
