import { z } from 'zod';
import { baseUrl, hostList, limitList, positive } from './env-values.js';
import type { HttpProviderName, LocalProviderName, ProviderName } from './providers.js';

/**
 * Each provider's own variables, `PROVIDER_<NAME>_<KEY>`, as one zod object per provider. The keys are named here
 * without the prefix: `loadConfig` hands each provider's schema only its own slice of the environment, prefix
 * stripped (`PROVIDER_GITHUB_RPS` arrives as `RPS`), and puts the prefix back in front of each error. The settings
 * they become, and the rate checks, are in config.ts.
 */

/** The prefix of a provider's own variables: `PROVIDER_GITHUB_` for `github`. */
export function providerEnvPrefix(name: ProviderName): string {
  return `PROVIDER_${name.toUpperCase()}_`;
}

/**
 * The variables every provider reads, the voter file included; an HTTP provider adds its base URL and its limits
 * (see {@link httpProviderEnv}).
 */
const LocalProviderSchema = z.object({
  ENABLED: z.stringbool().default(true).describe('`false`: the provider is skipped'),
  RPS: positive
    .optional()
    .describe(
      "the queue's rate limit in lookups per second, enforced by the Temporal server across every worker; unset: the largest burst-safe rate for the windows in force (each provider's is listed with its name). Refused at start when its worst case (the start-up burst included, times the requests per lookup) exceeds one of those windows",
    ),
  TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(120_000)
    .default(10_000)
    .describe('timeout of each request, in milliseconds'),
  MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(6).describe('attempts before a lookup fails'),
  RETRY_INITIAL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .optional()
    .describe("this provider's `RETRY_INITIAL_INTERVAL_MS`; unset: the global value"),
  RETRY_MAXIMUM_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .optional()
    .describe("this provider's `RETRY_MAXIMUM_INTERVAL_MS`; unset: the global value"),
  RETRY_BACKOFF: z.coerce
    .number()
    .min(1)
    .max(10)
    .optional()
    .describe("this provider's `RETRY_BACKOFF`; unset: the global value"),
  SCHEDULE_TO_CLOSE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .optional()
    .describe("this provider's `LOOKUP_SCHEDULE_TO_CLOSE_MS`; unset: the global value"),
  ALLOWED_HOSTS: hostList
    .default([])
    .describe(
      "hosts learned from data (a Mastodon handle's instance) that are asked even though they resolve to private addresses, comma-separated; every other learned host must resolve to public addresses",
    ),
});

/** One HTTP provider's variables: where its requests go (by default `defaultBaseUrl`), and the windows of its plan. */
function httpProviderEnv(defaultBaseUrl: string) {
  const { ENABLED, RPS, ...rest } = LocalProviderSchema.shape;
  return z.object({
    BASE_URL: baseUrl
      .default(defaultBaseUrl)
      .describe(
        "where the provider's requests go, and only there: an http(s) URL, `{instance}` standing for each account's own server",
      ),
    ENABLED,
    RPS,
    LIMITS: limitList
      .optional()
      .describe(
        "your plan's or server's windows, `<max>/<window>` comma-separated (`30/60s,10/1s`, `7200/1h`, `300/5m`, `50/s`), each counting every request of a lookup: they replace the documented ones (docs/rate-limits.md) for the default rate and the check of `_RPS`; unset: the documented limits, which hold for the public service only (another `_BASE_URL` is checked against declared limits alone)",
      ),
    ...rest,
  });
}

export type HttpProviderEnv = z.infer<ReturnType<typeof httpProviderEnv>>;
export type LocalProviderEnv = z.infer<typeof LocalProviderSchema>;

/**
 * Where each HTTP provider's requests go by default: its public service. Mastodon's `{instance}` is the handle's
 * own server (an account is best looked up where it lives); a base URL without it sends every lookup to that one
 * server.
 */
export const DEFAULT_BASE_URLS: Readonly<Record<HttpProviderName, string>> = Object.freeze({
  gravatar: 'https://api.gravatar.com/v3',
  github: 'https://api.github.com',
  mastodon: 'https://{instance}',
  bluesky: 'https://public.api.bsky.app',
  fec: 'https://api.open.fec.gov',
  census: 'https://geocoding.geo.census.gov',
  ban: 'https://data.geopf.fr/geocodage',
});

/** Each HTTP provider's schema. A schema's description is the note the configuration reference prints beside it. */
export const HTTP_PROVIDER_ENV = {
  gravatar: httpProviderEnv(DEFAULT_BASE_URLS.gravatar),
  github: httpProviderEnv(DEFAULT_BASE_URLS.github),
  mastodon: httpProviderEnv(DEFAULT_BASE_URLS.mastodon).describe("`{instance}`: each account's own server"),
  bluesky: httpProviderEnv(DEFAULT_BASE_URLS.bluesky),
  fec: httpProviderEnv(DEFAULT_BASE_URLS.fec),
  census: httpProviderEnv(DEFAULT_BASE_URLS.census),
  ban: httpProviderEnv(DEFAULT_BASE_URLS.ban),
} as const satisfies Record<HttpProviderName, ReturnType<typeof httpProviderEnv>>;

export const LOCAL_PROVIDER_ENV = {
  voterfile: LocalProviderSchema.describe(
    'matched in our own database: no base URL and no `_LIMITS`; its default rate spares Postgres',
  ),
} as const satisfies Record<LocalProviderName, typeof LocalProviderSchema>;

/** Every provider's schema, by provider name. */
export const PROVIDER_ENV = { ...HTTP_PROVIDER_ENV, ...LOCAL_PROVIDER_ENV } as const satisfies Record<
  ProviderName,
  z.ZodObject
>;
