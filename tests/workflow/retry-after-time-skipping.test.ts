import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { consented, createEnrichmentHarness, enrichWithWorkers, providerConfig, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createTimeSkippingEnv } from '../support/temporal.js';

const EMAIL = 'hour.wait@example.org';
const ONE_HOUR_S = 3600;

/**
 * A provider that says "come back in an hour" must be waited for, not hammered and not given up on. The
 * time-skipping server lets the hour pass at once while the history keeps the real schedule.
 */
describe('enrichContact under a one-hour rate-limit reset', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let gravatar: DemoServer;
  let github: DemoServer;

  beforeAll(async () => {
    [env, harness, gravatar, github] = await Promise.all([
      createTimeSkippingEnv(),
      createEnrichmentHarness(),
      startGravatarDemo({
        entries: [
          {
            email: EMAIL,
            profile: {
              hash: '0'.repeat(64),
              display_name: 'Hour Wait',
              profile_url: 'https://gravatar.com/hourwait',
              avatar_url: 'https://0.gravatar.com/avatar/x',
              verified_accounts: [],
            },
            fault: { kind: 'rate_limit', times: 1, retryAfterSeconds: ONE_HOUR_S },
          },
        ],
      }),
      startGithubDemo({ entries: [] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close(), gravatar?.close(), github?.close()]);
  });

  it('retries after the announced hour and then matches', async () => {
    // The retry policy's own maximum interval is 500 ms: only the provider's reset explains an hour's wait.
    const config = providerConfig({ gravatar: gravatar.url, github: github.url });
    const { started, result } = await enrichWithWorkers(env, harness, config, { email: EMAIL, consent: consented });
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'matched', attempts: 2 });
    expect(result.status).toBe('enriched');

    const statuses = gravatar.requestLog().map((r) => r.status);
    expect(statuses).toEqual([429, 200]);

    const history = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'lookupGravatar');
    const startedEvent = events.find(
      (e) => e.activityTaskStartedEventAttributes && String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(scheduled?.eventId),
    );
    expect(startedEvent?.activityTaskStartedEventAttributes?.attempt).toBe(2);
    const seconds = (e: typeof scheduled) => Number(e?.eventTime?.seconds ?? 0);
    // The reset is epoch seconds, so the wait is the hour minus at most one second of rounding.
    expect(seconds(startedEvent) - seconds(scheduled)).toBeGreaterThanOrEqual(ONE_HOUR_S - 2);
    expect(seconds(startedEvent) - seconds(scheduled)).toBeLessThan(ONE_HOUR_S + 120);
  });
});
