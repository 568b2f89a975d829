/**
 * The providers this build knows. Adding one means a file in `activities/providers/`, an entry in the registry there,
 * and its name here, so configuration, task queues and the record all learn of it at once.
 */
export const PROVIDER_NAMES = ['gravatar', 'github', 'mastodon', 'bluesky', 'fec', 'census', 'ban'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Providers that look up social profiles; they need consent or a deliberate legitimate-interest basis. */
export const SOCIAL_PROVIDERS: readonly ProviderName[] = ['gravatar', 'github', 'mastodon', 'bluesky'];

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}
