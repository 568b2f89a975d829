import type { Config } from '../../config.js';
import type { ProviderName } from '../../schemas/providers.js';
import { createGithubProvider } from './github.js';
import { createGravatarProvider } from './gravatar.js';
import type { Provider } from './provider.js';

/** Every provider this build can call: its factory and which secret it takes from the environment. */
export const PROVIDER_FACTORIES: Record<ProviderName, (config: Config) => Provider> = {
  gravatar: (config) =>
    createGravatarProvider(config.providers.gravatar, { maxResponseBytes: config.http.maxResponseBytes, apiKey: config.secrets.gravatarApiKey }),
  github: (config) =>
    createGithubProvider(config.providers.github, { maxResponseBytes: config.http.maxResponseBytes, apiKey: config.secrets.githubToken }),
};

export function createProvider(name: ProviderName, config: Config): Provider {
  return PROVIDER_FACTORIES[name](config);
}
