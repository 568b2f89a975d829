import type { Connection } from '@temporalio/client';
import { HTTP_PROVIDER_NAMES } from '../../schemas/providers.js';
import { worstCaseInWindow, worstCaseRequests } from '../../domain/rate-budget.js';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEV_PSEUDONYM_KEY, DOCUMENTED_LIMITS, loadConfig, lookupRequests } from '../../config.js';
import { backfillClient } from '../../cli/backfill/temporal-starter.js';
import { temporalAddress, temporalConnectionOptions } from '../../client/temporal-client.js';

/** Every provider credential set: the keyed documented limits are in force. */
const KEYED = { GRAVATAR_API_KEY: 'k', GITHUB_TOKEN: 't', FEC_API_KEY: 'f' };

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

    expect(config.providers.gravatar).toMatchObject({
      name: 'gravatar',
      baseUrl: 'https://api.gravatar.com/v3',
      enabled: true,
      timeoutMs: 10_000,
      maxAttempts: 6,
    });
    expect(config.providers.github).toMatchObject({
      name: 'github',
      baseUrl: 'https://api.github.com',
      enabled: true,
      timeoutMs: 10_000,
      maxAttempts: 6,
    });
    expect(config.api).toMatchObject({ host: '127.0.0.1', port: 3000, bodyLimitBytes: 65_536 });
    expect(config.api.apiToken).toBeUndefined();
    expect(config.database.url).toBeUndefined();
    expect(config.socialLookupBasis).toBe('consent');
    expect(config.http.maxResponseBytes).toBe(1024 * 1024);
  });

  it('sets each provider rate to 90% of its documented limit', () => {
    // The keyed limits: with every credential set (key-less defaults are tested below).
    const config = loadConfig(KEYED);

    // Gravatar documents 1,000 requests an hour, GitHub search 30 a minute.
    // About 90% of the documented rate for long windows; for every provider, no window can be exceeded.
    expect(config.providers.gravatar.rps).toBeCloseTo((1000 / 3600) * 0.9, 2);
    expect(config.providers.github.rps).toBeLessThanOrEqual((30 / 60) * 0.9);
    expect(config.providers.github.rps).toBeGreaterThan((30 / 60) * 0.8);
    for (const name of HTTP_PROVIDER_NAMES) {
      for (const limit of DOCUMENTED_LIMITS[name]) {
        expect(worstCaseRequests(config.providers[name].rps, limit, lookupRequests(name, 10_000))).toBeLessThanOrEqual(
          limit.max * 0.9,
        );
      }
    }
  });

  it("keeps GitHub's search and core windows counting both of a lookup's requests", () => {
    const { rps } = loadConfig({}).providers.github;
    // Search: one per lookup, at dispatch. Core: the user request, up to the 10 s request timeout after the search.
    expect(worstCaseInWindow(rps, 60)).toBeLessThanOrEqual(27);
    expect(worstCaseInWindow(rps, 3600 + 10)).toBeLessThanOrEqual(4500);
  });
  it('configures the local voter file without a base URL, with its own rate and match thresholds', () => {
    const config = loadConfig({ PROVIDER_VOTERFILE_BASE_URL: 'https://ignored.example' });

    expect(config.providers.voterfile).toMatchObject({
      name: 'voterfile',
      enabled: true,
      rps: 100,
      timeoutMs: 10_000,
      maxAttempts: 6,
    });
    expect(config.providers.voterfile).not.toHaveProperty('baseUrl');
    expect(config.voterfile).toEqual({ highThreshold: 0.7, lowThreshold: 0.3 });
    expect(loadConfig({ VOTERFILE_HIGH_THRESHOLD: '0.9', VOTERFILE_LOW_THRESHOLD: '0.5' }).voterfile).toEqual({
      highThreshold: 0.9,
      lowThreshold: 0.5,
    });
    expect(configErrorOf({ VOTERFILE_HIGH_THRESHOLD: '0.4', VOTERFILE_LOW_THRESHOLD: '0.5' }).message).toContain(
      'VOTERFILE_LOW_THRESHOLD: must not be above',
    );
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
      ...KEYED,
      API_PORT: '8080',
      PROVIDER_GRAVATAR_RPS: '0.25',
      PROVIDER_GRAVATAR_TIMEOUT_MS: '1500',
      PROVIDER_GITHUB_MAX_ATTEMPTS: '3',
      PROVIDER_GITHUB_ENABLED: 'false',
      HTTP_MAX_RESPONSE_BYTES: '65536',
      DATABASE_URL: 'postgresql://enrich@localhost:5432/enrich',
      SOCIAL_LOOKUP_BASIS: 'legitimate_interest',
    });

    expect(config.api.port).toBe(8080);
    expect(config.providers.gravatar.rps).toBe(0.25);
    expect(config.providers.gravatar.timeoutMs).toBe(1500);
    expect(config.providers.github.maxAttempts).toBe(3);
    expect(config.providers.github.enabled).toBe(false);
    expect(config.providers.gravatar.enabled).toBe(true);
    expect(config.http.maxResponseBytes).toBe(65_536);
    expect(config.database.url).toBe('postgresql://enrich@localhost:5432/enrich');
    expect(config.socialLookupBasis).toBe('legitimate_interest');
  });

  it('drops trailing slashes from provider base URLs', () => {
    const config = loadConfig({
      PROVIDER_GRAVATAR_BASE_URL: 'http://127.0.0.1:47801/v3/',
      PROVIDER_GITHUB_BASE_URL: 'http://127.0.0.1:47802/',
    });

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
    ['PROVIDER_GITHUB_LIMITS', '30/min'],
    ['PROVIDER_BAN_LIMITS', '0/1s'],
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
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.acct',
      TEMPORAL_API_KEY: 'cloud-key',
    });

    expect(temporalConnectionOptions(config)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      tls: true,
      apiKey: 'cloud-key',
    });
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

  it.each([['FRA'], ['F'], ['US,F1'], ['U S'], ['none'], [',']])(
    'rejects %j with a ConfigError naming the variable',
    (value) => {
      const err = configErrorOf({ VOTERFILE_COUNTRIES: value });

      expect(err.message).toContain('VOTERFILE_COUNTRIES:');
      expect(err.message).toMatch(/ISO 3166-1 alpha-2/);
    },
  );

  it('names each bad code', () => {
    const err = configErrorOf({ VOTERFILE_COUNTRIES: 'US,FRA,DEU' });

    expect(err.message).toContain('VOTERFILE_COUNTRIES: "FRA", "DEU" are not ISO 3166-1 alpha-2 codes');
    expect(configErrorOf({ VOTERFILE_COUNTRIES: 'france' }).message).toContain(
      'VOTERFILE_COUNTRIES: "FRANCE" is not an ISO 3166-1 alpha-2 code',
    );
  });
});

describe('CONSENT_ONLY_JURISDICTIONS', () => {
  it('reads country codes as VOTERFILE_COUNTRIES does, and may be none', () => {
    expect(loadConfig({ CONSENT_ONLY_JURISDICTIONS: 'fr, de,FR' }).jurisdiction).toMatchObject({
      consentOnly: ['FR', 'DE'],
    });
    expect(loadConfig({ CONSENT_ONLY_JURISDICTIONS: 'none' }).jurisdiction).toMatchObject({ consentOnly: [] });
    expect(configErrorOf({ CONSENT_ONLY_JURISDICTIONS: 'FR,Germany' }).message).toContain(
      'CONSENT_ONLY_JURISDICTIONS: "GERMANY" is not an ISO 3166-1 alpha-2 code',
    );
  });
});

/**
 * A provider allowing 10 requests a second and 30 a minute over all its paths (the fake GitHub). A GitHub
 * lookup sends two requests, the second up to the 10 s request timeout after the first, and the queue can start
 * about 2r lookups in its first second: so at rate r the worst second holds N(1) + N(11) requests, the worst
 * minute N(60) + N(70), where N(w) = r·w + ceil(r) + 1 lookups dispatched in w seconds.
 */
describe('queue rates counted in requests (PROVIDER_<NAME>_RPS and _LIMITS)', () => {
  const dispatched = (rate: number, seconds: number) => rate * seconds + Math.max(Math.ceil(rate), 1) + 1;
  const githubWorst = (rate: number, windowSeconds: number, timeoutSeconds = 10) =>
    dispatched(rate, windowSeconds) + dispatched(rate, windowSeconds + timeoutSeconds);
  const plan = { PROVIDER_GITHUB_LIMITS: '10/1s,30/60s' };

  it('defaults GitHub to a rate whose two requests per lookup keep the declared 1 s and 60 s windows with headroom', () => {
    const { rps } = loadConfig(plan).providers.github;

    expect(rps).toBeGreaterThan(0);
    expect(githubWorst(rps, 1)).toBeLessThanOrEqual(9);
    expect(githubWorst(rps, 60)).toBeLessThanOrEqual(27);
  });

  it('accepts a user-set GitHub rate up to the largest whose worst case keeps every window', () => {
    const accepted = loadConfig({ ...plan, PROVIDER_GITHUB_RPS: '0.2' }).providers.github.rps;

    expect(accepted).toBe(0.2);
    expect(githubWorst(accepted, 1)).toBeLessThanOrEqual(10);
    expect(githubWorst(accepted, 60)).toBeLessThanOrEqual(30);
    // A shorter request timeout lets the second request trail less, so a higher rate keeps the windows.
    const quick = loadConfig({ ...plan, PROVIDER_GITHUB_TIMEOUT_MS: '1000', PROVIDER_GITHUB_RPS: '0.21' }).providers
      .github;
    expect(githubWorst(quick.rps, 60, 1)).toBeLessThanOrEqual(30);
  });

  it('refuses PROVIDER_GITHUB_RPS=4 against 10/s over all paths in one line naming the variable, the window and the worst case', () => {
    const { message } = configErrorOf({ PROVIDER_GITHUB_LIMITS: '10/1s', PROVIDER_GITHUB_RPS: '4' });

    expect(message).not.toContain('\n');
    expect(message).toBe(
      'invalid configuration: PROVIDER_GITHUB_RPS=4 can send 58 requests in 1 s (2 requests per lookup, the later up to 10 s after the first); ' +
        'github allows 10 per 1 s — at most 0.5 (as declared in PROVIDER_GITHUB_LIMITS)',
    );
  });

  it('refuses a rate over a documented window, and tells where a bigger plan is declared', () => {
    expect(configErrorOf({ ...KEYED, PROVIDER_GITHUB_RPS: '4' }).message).toContain(
      'PROVIDER_GITHUB_RPS=4 can send 245 search requests in 60 s; github allows 30 per 60 s — at most 0.4666 (a plan with higher limits can declare them in PROVIDER_GITHUB_LIMITS)',
    );
    // One request per lookup: the burst alone decides a per-second window (BAN's 50/s).
    expect(configErrorOf({ PROVIDER_BAN_RPS: '30' }).message).toContain(
      'PROVIDER_BAN_RPS=30 can send 61 requests in 1 s; ban allows 50 per 1 s — at most 24',
    );
    expect(loadConfig({ PROVIDER_BAN_RPS: '24' }).providers.ban.rps).toBe(24);
    // The findings: Mastodon at 4/s and FEC at 3/s against 5/s.
    expect(configErrorOf({ PROVIDER_MASTODON_LIMITS: '5/s', PROVIDER_MASTODON_RPS: '4' }).message).toContain(
      'can send 9 requests in 1 s',
    );
    expect(
      configErrorOf({ ...KEYED, PROVIDER_FEC_MAX_PAGES: '1', PROVIDER_FEC_LIMITS: '5/s', PROVIDER_FEC_RPS: '3' })
        .message,
    ).toContain('can send 7 requests in 1 s');
  });

  it('counts every FEC page a lookup may read against the api.data.gov window (PROVIDER_FEC_MAX_PAGES)', () => {
    const rate = (pages: string) => loadConfig({ ...KEYED, PROVIDER_FEC_MAX_PAGES: pages }).providers.fec.rps;
    // 1,000 an hour: one page a lookup allows about three times the rate of three pages, and of the default.
    expect(rate('1') / rate('3')).toBeGreaterThan(2.9);
    expect(loadConfig(KEYED).providers.fec.rps).toBe(rate('3'));
    expect(rate('3') * 3 * 3600).toBeLessThanOrEqual(1000);
    expect(configErrorOf({ ...KEYED, PROVIDER_FEC_MAX_PAGES: '3', PROVIDER_FEC_RPS: '0.2' }).message).toContain(
      'PROVIDER_FEC_RPS=0.2 can send',
    );
    expect(loadConfig({ ...KEYED, PROVIDER_FEC_MAX_PAGES: '1', PROVIDER_FEC_RPS: '0.2' }).providers.fec.rps).toBe(0.2);
  });

  it('lets a declared bigger plan raise the rate, and does not check a disabled provider', () => {
    // An upgraded api.data.gov key: 7,200 an hour.
    const onePage = { PROVIDER_FEC_MAX_PAGES: '1', PROVIDER_FEC_LIMITS: '7200/1h' };
    expect(loadConfig(onePage).providers.fec.rps).toBeCloseTo(1.8, 1);
    expect(loadConfig({ ...onePage, PROVIDER_FEC_RPS: '1.99' }).providers.fec.rps).toBe(1.99);
    expect(loadConfig({ PROVIDER_GITHUB_ENABLED: 'false', PROVIDER_GITHUB_RPS: '4' }).providers.github.enabled).toBe(
      false,
    );
    // Another server than the public service (GitHub Enterprise, a demo server) has limits only the operator knows.
    expect(
      loadConfig({ PROVIDER_GITHUB_BASE_URL: 'https://ghe.example/api/v3', PROVIDER_GITHUB_RPS: '4' }).providers.github
        .rps,
    ).toBe(4);
    expect(
      configErrorOf({
        PROVIDER_GITHUB_BASE_URL: 'https://ghe.example/api/v3',
        PROVIDER_GITHUB_LIMITS: '10/s',
        PROVIDER_GITHUB_RPS: '4',
      }).message,
    ).toContain('PROVIDER_GITHUB_RPS=4 can send');
  });

  it('refuses declared limits too small for any queue rate', () => {
    expect(configErrorOf({ PROVIDER_CENSUS_LIMITS: '2/s' }).message).toContain(
      'PROVIDER_CENSUS_LIMITS: a limit of 2 per 1s is too small',
    );
  });
});
