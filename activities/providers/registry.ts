import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import type { ProviderName } from '../../schemas/providers.js';
import type { Database } from '../../store/database.js';
import { createBanProvider } from './ban.js';
import { createBlueskyProvider } from './bluesky.js';
import { createCensusProvider } from './census.js';
import { createFecProvider } from './fec.js';
import { createGithubProvider } from './github.js';
import { createGravatarProvider } from './gravatar.js';
import { createMastodonProvider } from './mastodon.js';
import type { Provider, ProviderDeps } from './provider.js';
import { createVoterfileProvider } from './voterfile.js';

/**
 * What the registry builds providers from: the configuration, and the database for the providers answered from it
 * (the voter file). HTTP providers never touch the database.
 */
export interface ProviderFactoryDeps {
  config: Config;
  db: Kysely<Database>;
}

function depsOf(config: Config, apiKey?: string): ProviderDeps {
  return { maxResponseBytes: config.http.maxResponseBytes, apiKey };
}

/** Every provider this build can call: its factory, fed its own configuration and secret (or the database). */
export const PROVIDER_FACTORIES: Record<ProviderName, (deps: ProviderFactoryDeps) => Provider> = {
  gravatar: ({ config }) =>
    createGravatarProvider(config.providers.gravatar, depsOf(config, config.secrets.gravatarApiKey)),
  github: ({ config }) => createGithubProvider(config.providers.github, depsOf(config, config.secrets.githubToken)),
  mastodon: ({ config }) => createMastodonProvider(config.providers.mastodon, depsOf(config)),
  bluesky: ({ config }) => createBlueskyProvider(config.providers.bluesky, depsOf(config)),
  fec: ({ config }) =>
    createFecProvider(config.providers.fec, {
      ...depsOf(config, config.secrets.fecApiKey),
      maxPages: config.fec.maxPages,
    }),
  census: ({ config }) => createCensusProvider(config.providers.census, depsOf(config)),
  ban: ({ config }) => createBanProvider(config.providers.ban, { ...depsOf(config), minScore: config.ban.minScore }),
  voterfile: ({ config, db }) => createVoterfileProvider(db, config.voterfile),
};

export function createProvider(name: ProviderName, deps: ProviderFactoryDeps): Provider {
  return PROVIDER_FACTORIES[name](deps);
}
