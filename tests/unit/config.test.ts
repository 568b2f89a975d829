import type { Connection } from '@temporalio/client';
import { HTTP_PROVIDER_NAMES } from '../../schemas/providers.js';
import { worstCaseInWindow } from '../../schemas/rate-budget.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_PSEUDONYM_KEY, DOCUMENTED_LIMITS, loadConfig } from '../../config.js';
import { backfillClient } from '../../client/backfill/temporal-starter.js';
import { temporalAddress, temporalConnectionOptions } from '../../client/temporal-client.js';

function configErrorOf(env: Record<string, string | undefined>): ConfigError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  return caught as ConfigError;
}

describe('loadConfig', () => {
  it('uses the documented defaults when the environment is empty', () => {
    const config = loadConfig({});

    expect(config.providers.gravatar).toMatchObject({ name: 'gravatar', baseUrl: 'https://api.gravatar.com/v3', enabled: true, timeoutMs: 10_000, maxAttempts: 6 });
    expect(config.providers.github).toMatchObject({ name: 'github', baseUrl: 'https://api.github.com', enabled: true, timeoutMs: 10_000, maxAttempts: 6 });
    expect(config.api).toMatchObject({ host: '127.0.0.1', port: 3000, bodyLimitBytes: 65_536 });
    expect(config.api.apiToken).toBeUndefined();
    expect(config.database.url).toBeUndefined();
    expect(config.socialLookupBasis).toBe('consent');
    expect(config.http.maxResponseBytes).toBe(1024 * 1024);
  });

  it('sets each provider rate to 90% of its documented limit', () => {
    const config = loadConfig({});

    // Gravatar documents 1,000 requests an hour, GitHub search 30 a minute.
    // About 90% of the documented rate for long windows; for every provider, no window can be exceeded.
    expect(config.providers.gravatar.rps).toBeCloseTo((1000 / 3600) * 0.9, 2);
    expect(config.providers.github.rps).toBeLessThanOrEqual((30 / 60) * 0.9);
    expect(config.providers.github.rps).toBeGreaterThan((30 / 60) * 0.8);
    for (const name of HTTP_PROVIDER_NAMES) {
      const { max, windowSeconds } = DOCUMENTED_LIMITS[name];
      expect(worstCaseInWindow(config.providers[name].rps, windowSeconds)).toBeLessThanOrEqual(max * 0.9);
    }
  });

  it('configures the local voter file without a base URL, with its own rate and match thresholds', () => {
    const config = loadConfig({ PROVIDER_VOTERFILE_BASE_URL: 'https://ignored.example' });

    expect(config.providers.voterfile).toMatchObject({ name: 'voterfile', enabled: true, rps: 100, timeoutMs: 10_000, maxAttempts: 6 });
    expect(config.providers.voterfile).not.toHaveProperty('baseUrl');
    expect(config.voterfile).toEqual({ highThreshold: 0.7, lowThreshold: 0.3 });
    expect(loadConfig({ VOTERFILE_HIGH_THRESHOLD: '0.9', VOTERFILE_LOW_THRESHOLD: '0.5' }).voterfile).toEqual({ highThreshold: 0.9, lowThreshold: 0.5 });
    expect(configErrorOf({ VOTERFILE_HIGH_THRESHOLD: '0.4', VOTERFILE_LOW_THRESHOLD: '0.5' }).message).toContain('VOTERFILE_LOW_THRESHOLD: must not be above');
    expect(configErrorOf({ VOTERFILE_HIGH_THRESHOLD: '1.5' }).message).toContain('VOTERFILE_HIGH_THRESHOLD:');
  });

  it('falls back to the development pseudonym key and says so', () => {
    const config = loadConfig({});

    expect(config.pseudonymKey).toBe(DEV_PSEUDONYM_KEY);
    expect(config.usingDevPseudonymKey).toBe(true);
  });

  it('uses a configured pseudonym key and does not flag it', () => {
    const config = loadConfig({ PSEUDONYM_KEY: 'a-real-key-of-enough-length' });

    expect(config.pseudonymKey).toBe('a-real-key-of-enough-length');
    expect(config.usingDevPseudonymKey).toBe(false);
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ API_PORT: '', PSEUDONYM_KEY: '', PROVIDER_GITHUB_ENABLED: '' });

    expect(config.api.port).toBe(3000);
    expect(config.usingDevPseudonymKey).toBe(true);
    expect(config.providers.github.enabled).toBe(true);
  });

  it('coerces overrides to numbers and booleans', () => {
    const config = loadConfig({
      API_PORT: '8080',
      PROVIDER_GRAVATAR_RPS: '2.5',
      PROVIDER_GRAVATAR_TIMEOUT_MS: '1500',
      PROVIDER_GITHUB_MAX_ATTEMPTS: '3',
      PROVIDER_GITHUB_ENABLED: 'false',
      HTTP_MAX_RESPONSE_BYTES: '65536',
      DATABASE_URL: 'postgresql://enrich@localhost:5432/enrich',
      SOCIAL_LOOKUP_BASIS: 'legitimate_interest',
    });

    expect(config.api.port).toBe(8080);
    expect(config.providers.gravatar.rps).toBe(2.5);
    expect(config.providers.gravatar.timeoutMs).toBe(1500);
    expect(config.providers.github.maxAttempts).toBe(3);
    expect(config.providers.github.enabled).toBe(false);
    expect(config.providers.gravatar.enabled).toBe(true);
    expect(config.http.maxResponseBytes).toBe(65_536);
    expect(config.database.url).toBe('postgresql://enrich@localhost:5432/enrich');
    expect(config.socialLookupBasis).toBe('legitimate_interest');
  });

  it('drops trailing slashes from provider base URLs', () => {
    const config = loadConfig({ PROVIDER_GRAVATAR_BASE_URL: 'http://127.0.0.1:47801/v3/', PROVIDER_GITHUB_BASE_URL: 'http://127.0.0.1:47802/' });

    expect(config.providers.gravatar.baseUrl).toBe('http://127.0.0.1:47801/v3');
    expect(config.providers.github.baseUrl).toBe('http://127.0.0.1:47802');
  });

  it('passes provider secrets through', () => {
    const config = loadConfig({ GRAVATAR_API_KEY: 'grav-key', GITHUB_TOKEN: 'ghp_token' });

    expect(config.secrets).toEqual({ gravatarApiKey: 'grav-key', githubToken: 'ghp_token' });
  });

  it.each([
    ['API_PORT', 'abc'],
    ['API_PORT', '70000'],
    ['PROVIDER_GRAVATAR_BASE_URL', 'ftp://x'],
    ['PROVIDER_GITHUB_BASE_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://enrich@localhost/enrich'],
    ['PSEUDONYM_KEY', 'short'],
    ['PROVIDER_GITHUB_ENABLED', 'maybe'],
    ['PROVIDER_GRAVATAR_RPS', '0'],
    ['PROVIDER_GITHUB_TIMEOUT_MS', '50'],
    ['SOCIAL_LOOKUP_BASIS', 'because'],
    ['LOG_LEVEL', 'loud'],
  ])('rejects %s=%s with a ConfigError naming the variable', (name, value) => {
    const err = configErrorOf({ [name]: value });

    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(`${name}:`);
  });

  it('names every bad variable in one error', () => {
    const err = configErrorOf({ API_PORT: 'abc', PSEUDONYM_KEY: 'short', PROVIDER_GRAVATAR_BASE_URL: 'ftp://x' });

    expect(err.message).toContain('API_PORT:');
    expect(err.message).toContain('PSEUDONYM_KEY: must be at least 16 characters');
    expect(err.message).toContain('PROVIDER_GRAVATAR_BASE_URL:');
  });

  it('returns a deeply frozen configuration', () => {
    const config = loadConfig({});

    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.api)).toBe(true);
    expect(Object.isFrozen(config.providers)).toBe(true);
    expect(Object.isFrozen(config.providers.github)).toBe(true);
    expect(() => {
      (config.api as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.api.port).toBe(3000);
  });
});

describe('Temporal connection settings', () => {
  it('gives every client, the backfill included, TLS and the API key of Temporal Cloud', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'cloud-key' });

    expect(temporalConnectionOptions(config)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', tls: true, apiKey: 'cloud-key' });
    const backfill = backfillClient('ns.acct.tmprl.cloud:7233', config);
    const { options } = backfill.connection as Connection;
    expect(options).toMatchObject({ address: 'ns.acct.tmprl.cloud:7233', apiKey: 'cloud-key' });
    // The SDK turns the TLS setting into gRPC channel credentials.
    expect(options.credentials._isSecure()).toBe(true);
    expect(backfill.options.namespace).toBe('ns.acct');
  });

  it('connects in plain text to the local dev server by default', () => {
    const config = loadConfig({});

    expect(temporalConnectionOptions(config)).toEqual({ address: `127.0.0.1:${config.temporal.port}` });
    const { options } = backfillClient(temporalAddress(config), config).connection as Connection;
    expect(options).not.toHaveProperty('apiKey');
    expect(options.credentials._isSecure()).toBe(false);
  });
});

describe('VOTERFILE_COUNTRIES', () => {
  it('looks up US signups only by default', () => {
    expect(loadConfig({}).voterfileCountries).toEqual(['US']);
  });

  it('reads a comma-separated list of country codes, upper-cased, without repeats', () => {
    expect(loadConfig({ VOTERFILE_COUNTRIES: 'FR' }).voterfileCountries).toEqual(['FR']);
    expect(loadConfig({ VOTERFILE_COUNTRIES: ' fr, US ,fr,' }).voterfileCountries).toEqual(['FR', 'US']);
  });

  it.each([['FRA'], ['F'], ['US,F1'], ['U S'], ['none'], [',']])('rejects %j with a ConfigError naming the variable', (value) => {
    const err = configErrorOf({ VOTERFILE_COUNTRIES: value });

    expect(err.message).toContain('VOTERFILE_COUNTRIES:');
    expect(err.message).toMatch(/ISO 3166-1 alpha-2/);
  });

  it('names each bad code', () => {
    const err = configErrorOf({ VOTERFILE_COUNTRIES: 'US,FRA,DEU' });

    expect(err.message).toContain('VOTERFILE_COUNTRIES: "FRA", "DEU" are not ISO 3166-1 alpha-2 codes');
    expect(configErrorOf({ VOTERFILE_COUNTRIES: 'france' }).message).toContain('VOTERFILE_COUNTRIES: "FRANCE" is not an ISO 3166-1 alpha-2 code');
  });
});

describe('CONSENT_ONLY_JURISDICTIONS', () => {
  it('reads country codes as VOTERFILE_COUNTRIES does, and may be none', () => {
    expect(loadConfig({ CONSENT_ONLY_JURISDICTIONS: 'fr, de,FR' }).jurisdiction).toMatchObject({ consentOnly: ['FR', 'DE'] });
    expect(loadConfig({ CONSENT_ONLY_JURISDICTIONS: 'none' }).jurisdiction).toMatchObject({ consentOnly: [] });
    expect(configErrorOf({ CONSENT_ONLY_JURISDICTIONS: 'FR,Germany' }).message).toContain('CONSENT_ONLY_JURISDICTIONS: "GERMANY" is not an ISO 3166-1 alpha-2 code');
  });
});
