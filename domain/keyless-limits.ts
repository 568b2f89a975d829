import type { HttpProviderName } from '../schemas/providers.js';
import type { DocumentedLimit } from './rate-budget.js';

/**
 * The rates follow the credentials: without its key a public service allows far less, and the default queue rate
 * must keep that. These are the public services' documented key-less limits (sources in docs/rate-limits.md); a
 * base URL that points elsewhere (a demo server, a mirror) is not held to them.
 */

/** The variable holding each keyed provider's credential. */
export const CREDENTIAL_VARIABLES = {
  gravatar: 'GRAVATAR_API_KEY',
  github: 'GITHUB_TOKEN',
  fec: 'FEC_API_KEY',
} as const satisfies Partial<Record<HttpProviderName, string>>;
export type KeyedProviderName = keyof typeof CREDENTIAL_VARIABLES;

/** api.data.gov's shared key: anyone may send it, at its own (low) limits. */
export const FEC_DEMO_KEY = 'DEMO_KEY';

/** Each keyed provider's windows at the public service without a key (FEC: with `DEMO_KEY`). */
export const KEYLESS_LIMITS: Readonly<Record<KeyedProviderName, readonly DocumentedLimit[]>> = {
  gravatar: [{ max: 100, windowSeconds: 3600 }],
  github: [
    { max: 10, windowSeconds: 60, leading: 1, trailing: 0, counts: 'search' },
    { max: 60, windowSeconds: 3600, leading: 0, trailing: 1, counts: 'core' },
  ],
  fec: [
    { max: 30, windowSeconds: 3600 },
    { max: 50, windowSeconds: 86_400 },
  ],
};

/** The same limits as one reads them, for the start-up line: `search 10/min, core 60/h`. */
export const KEYLESS_SUMMARY: Readonly<Record<KeyedProviderName, string>> = {
  gravatar: '100/h',
  github: 'search 10/min, core 60/h',
  fec: 'DEMO_KEY 30/h and 50/day',
};

export function isKeyedProvider(name: HttpProviderName): name is KeyedProviderName {
  return name in CREDENTIAL_VARIABLES;
}

/**
 * Whether `name` runs key-less: its credential unset (or, for FEC, the shared `DEMO_KEY`). Undefined for a provider
 * that takes no credential.
 */
export function runsKeyless(name: HttpProviderName, env: Record<string, string | undefined>): boolean | undefined {
  if (!isKeyedProvider(name)) return undefined;
  const value = env[CREDENTIAL_VARIABLES[name]];
  return value === undefined || value === '' || (name === 'fec' && value === FEC_DEMO_KEY);
}
