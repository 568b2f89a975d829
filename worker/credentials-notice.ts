import type { Config } from '../config.js';
import { CREDENTIAL_VARIABLES, KEYLESS_SUMMARY, isKeyedProvider } from '../domain/keyless-limits.js';
import { HTTP_PROVIDER_NAMES } from '../schemas/providers.js';

/**
 * The one line `enrich dev` and `enrich worker` log at start when an enabled provider at its public service runs
 * without its credential, naming each one's key-less limit and queue rate, and FEC turned off for want of a key;
 * undefined when every keyed provider has its key (or points elsewhere). Names variables, never their values.
 */
export function credentialsNotice(config: Config): string | undefined {
  const parts: string[] = [];
  for (const name of HTTP_PROVIDER_NAMES) {
    if (!isKeyedProvider(name)) continue;
    const provider = config.providers[name];
    const variable = CREDENTIAL_VARIABLES[name];
    if (provider.offWithoutKey) {
      parts.push(`fec off (no ${variable}; set it, or ${variable}=DEMO_KEY for 30/h and 50/day)`);
    } else if (provider.keyless && provider.enabled) {
      const without = name === 'fec' ? `${variable}=DEMO_KEY` : `no ${variable}`;
      parts.push(`${name} ${KEYLESS_SUMMARY[name]} (${without}; queue ${provider.rps}/s)`);
    }
  }
  return parts.length > 0 ? `key-less provider limits in force: ${parts.join('; ')}` : undefined;
}
