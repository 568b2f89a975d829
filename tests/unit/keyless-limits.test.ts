import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.js';
import { credentialsNotice } from '../../worker/credentials-notice.js';

/** Rates follow the credentials: the public services' key-less limits apply only there, and only without a key. */
describe('key-less provider limits', () => {
  it('keeps the documented key-less limits at the public services when no credential is set', () => {
    const config = loadConfig({});
    // Gravatar 100/h; GitHub search 10/min and core 60/h (the tighter, since a lookup asks both).
    expect(config.providers.gravatar.keyless).toBe(true);
    expect(config.providers.gravatar.rps).toBeLessThanOrEqual((100 / 3600) * 0.9);
    expect(config.providers.github.keyless).toBe(true);
    expect(config.providers.github.rps).toBeLessThanOrEqual((60 / 3600) * 0.9);
    expect(config.providers.github.limits?.map((l) => l.max)).toEqual([10, 60]);
  });

  it('keeps the keyed rates with a credential, and at a local server without one', () => {
    const keyed = loadConfig({ GRAVATAR_API_KEY: 'k', GITHUB_TOKEN: 't' });
    expect(keyed.providers.gravatar.rps).toBeGreaterThan((100 / 3600) * 2);
    expect(keyed.providers.gravatar.keyless).toBeUndefined();
    const local = loadConfig({ PROVIDER_GRAVATAR_BASE_URL: 'http://127.0.0.1:9999/v3' });
    expect(local.providers.gravatar.rps).toBe(keyed.providers.gravatar.rps);
    expect(local.providers.gravatar.keyless).toBeUndefined();
  });

  it('turns FEC off at the public service without a key, never a silent DEMO_KEY', () => {
    const config = loadConfig({});
    expect(config.providers.fec.enabled).toBe(false);
    expect(config.secrets.fecApiKey).toBeUndefined();
    expect(() => loadConfig({ PROVIDER_FEC_ENABLED: 'true' })).toThrow(ConfigError);
    expect(() => loadConfig({ PROVIDER_FEC_ENABLED: 'true' })).toThrow(/PROVIDER_FEC_ENABLED: needs FEC_API_KEY/);
  });

  it('holds DEMO_KEY set on purpose to its 30/h and 50/day', () => {
    const config = loadConfig({ FEC_API_KEY: 'DEMO_KEY' });
    expect(config.providers.fec.enabled).toBe(true);
    expect(config.providers.fec.limits?.map((l) => [l.max, l.windowSeconds])).toEqual([
      [30, 3600],
      [50, 86_400],
    ]);
    expect(config.providers.fec.rps).toBeLessThanOrEqual((50 / 86_400) * 0.9);
  });

  it('says so in one start-up line naming the variables, and nothing once every key is set', () => {
    const line = credentialsNotice(loadConfig({}));
    expect(line).toBeDefined();
    expect(line!.split('\n')).toHaveLength(1);
    expect(line).toMatch(/gravatar 100\/h \(no GRAVATAR_API_KEY/);
    expect(line).toMatch(/github search 10\/min, core 60\/h \(no GITHUB_TOKEN/);
    expect(line).toMatch(/fec off \(no FEC_API_KEY/);
    expect(credentialsNotice(loadConfig({ GRAVATAR_API_KEY: 'k', GITHUB_TOKEN: 't', FEC_API_KEY: 'f' }))).toBe(
      undefined,
    );
    expect(credentialsNotice(loadConfig({ FEC_API_KEY: 'f', GRAVATAR_API_KEY: 'secret-k' }))).not.toContain('secret-k');
  });
});
