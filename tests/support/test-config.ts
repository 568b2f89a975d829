import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../config.js';
import { PROVIDER_NAMES } from '../../schemas/providers.js';

/**
 * A configuration for tests: quick retries, a task queue of its own (so tests sharing a server never take each
 * other's tasks), a fixed pseudonym key, and whatever the test overrides.
 */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    TEMPORAL_TASK_QUEUE: `test-${randomUUID()}`,
    PSEUDONYM_KEY: 'test-pseudonym-key-0123456789',
    RETRY_INITIAL_INTERVAL_MS: '100',
    RETRY_MAXIMUM_INTERVAL_MS: '500',
    ...Object.fromEntries(
      PROVIDER_NAMES.flatMap((name) => {
        const prefix = `PROVIDER_${name.toUpperCase()}_`;
        // A quick queue only where the test points the provider at its own server: at the public service, a rate
        // over its documented limits is refused at start (and no test sends anything there).
        const quick = name === 'voterfile' || overrides[`${prefix}BASE_URL`] !== undefined;
        const settings: Array<[string, string]> = [
          [`${prefix}MAX_ATTEMPTS`, '3'],
          [`${prefix}TIMEOUT_MS`, '2000'],
        ];
        return quick ? [...settings, [`${prefix}RPS`, '50']] : settings;
      }),
    ),
    // FEC pointed at a local server gets a key of the test's own, as the demo does: the client never falls back to
    // api.data.gov's DEMO_KEY by itself, and with DEMO_KEY the demo server would apply its real 30 an hour.
    ...(overrides.PROVIDER_FEC_BASE_URL !== undefined ? { FEC_API_KEY: 'demo-personal-key' } : {}),
    SOCIAL_LOOKUP_BASIS: 'consent',
    // No automatic retries after a contact is flagged, so a workflow completes as soon as it has settled.
    LOOKUP_RETRY_SCHEDULE: 'none',
    // Test environments' own clients carry no codec; the encryption tests turn it on with their own clients.
    PAYLOAD_ENCRYPTION: 'off',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}
