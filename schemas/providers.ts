/**
 * The providers this build knows. Adding one means a file in `activities/providers/`, an entry in the registry there,
 * and its name here, so configuration, task queues and the record all learn of it at once.
 */
export const PROVIDER_NAMES = [
  'gravatar',
  'github',
  'mastodon',
  'bluesky',
  'fec',
  'census',
  'ban',
  'voterfile',
] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/**
 * Providers answered from our own database rather than over HTTP (the imported voter file): no base URL, no
 * documented rate limit of someone else's, no demo server. They still run on a rate-limited queue of their own.
 */
export const LOCAL_PROVIDERS = ['voterfile'] as const satisfies readonly ProviderName[];
export type LocalProviderName = (typeof LOCAL_PROVIDERS)[number];

/** Providers called over HTTP: each has a base URL, a documented limit and a demo server speaking its API. */
export type HttpProviderName = Exclude<ProviderName, LocalProviderName>;

export function isLocalProvider(name: ProviderName): name is LocalProviderName {
  return (LOCAL_PROVIDERS as readonly string[]).includes(name);
}

export const HTTP_PROVIDER_NAMES: readonly HttpProviderName[] = PROVIDER_NAMES.filter(
  (name): name is HttpProviderName => !isLocalProvider(name),
);

/** Providers that look up social profiles; they need consent or a deliberate legitimate-interest basis. */
export const SOCIAL_PROVIDERS: readonly ProviderName[] = ['gravatar', 'github', 'mastodon', 'bluesky'];

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}
