import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../config.js';

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
    PROVIDER_GRAVATAR_MAX_ATTEMPTS: '3',
    PROVIDER_GITHUB_MAX_ATTEMPTS: '3',
    PROVIDER_GRAVATAR_TIMEOUT_MS: '2000',
    PROVIDER_GITHUB_TIMEOUT_MS: '2000',
    PROVIDER_GRAVATAR_RPS: '50',
    PROVIDER_GITHUB_RPS: '50',
    SOCIAL_LOOKUP_BASIS: 'consent',
    LOG_LEVEL: 'warn',
    ...overrides,
  });
}
