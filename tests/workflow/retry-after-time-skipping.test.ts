import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { gravatarHash, startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import {
  consented,
  createEnrichmentHarness,
  enrichWithWorkers,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createTimeSkippingEnv } from '../support/temporal.js';

const EMAIL = 'hour.wait@example.org';
const TRANSIENT = 'auto.retry@example.org';
const BROKEN = 'auto.malformed@example.org';
const ONE_HOUR_S = 3600;

const profile = (name: string) => ({
  hash: '0'.repeat(64),
  display_name: name,
  profile_url: `https://gravatar.com/${name.toLowerCase().replace(/ /g, '')}`,
  avatar_url: 'https://0.gravatar.com/avatar/x',
  verified_accounts: [],
});

/**
 * A provider that says "come back in an hour" must be waited for (a workflow timer), not hammered and not given up on. The
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
            profile: profile('Hour Wait'),
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

  it('waits in the workflow for the announced hour, then runs the lookup again and matches', async () => {
    // The retry policy's own maximum interval is 500 ms: only the provider's reset explains an hour's wait.
    const config = providerConfig({ gravatar: gravatar.url, github: github.url });
    const { started, result } = await enrichWithWorkers(env, harness, config, { email: EMAIL, consent: consented });
    // The refused attempt and the one that matched, both counted.
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'matched', attempts: 2 });
    expect(result.status).toBe('enriched');

    const statuses = gravatar
      .requestLog()
      .filter((r) => r.url.endsWith(gravatarHash(EMAIL)))
      .map((r) => r.status);
    expect(statuses).toEqual([429, 200]);

    const history = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
    const events = history.events ?? [];
    const seconds = (e: (typeof events)[number] | undefined) => Number(e?.eventTime?.seconds ?? 0);
    const scheduled = events.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'lookupGravatar',
    );
    const startedOf = (s: (typeof events)[number]) =>
      events.find(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(s.eventId),
      );
    // A RateLimited refusal spends no attempt of the server's policy: the lookup fails once, the workflow sleeps,
    // and schedules the lookup again, which starts at attempt 1.
    expect(scheduled).toHaveLength(2);
    const [refused, again] = scheduled as [(typeof events)[number], (typeof events)[number]];
    const failed = events.find(
      (e) => String(e.activityTaskFailedEventAttributes?.scheduledEventId ?? '') === String(refused.eventId),
    );
    expect(failed?.activityTaskFailedEventAttributes?.failure?.applicationFailureInfo?.type).toBe('RateLimited');
    expect(startedOf(refused)?.activityTaskStartedEventAttributes?.attempt).toBe(1);
    expect(startedOf(again)?.activityTaskStartedEventAttributes?.attempt).toBe(1);

    // One timer, between the refusal and the second lookup, of the announced hour. The reset is epoch seconds, so
    // the wait is the hour minus at most a second or two of rounding.
    const timers = events.filter((e) => e.timerStartedEventAttributes);
    expect(timers).toHaveLength(1);
    const timer = timers[0]!;
    const timerSeconds = Number(timer.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0);
    expect(timerSeconds).toBeGreaterThanOrEqual(ONE_HOUR_S - 2);
    expect(timerSeconds).toBeLessThanOrEqual(ONE_HOUR_S);
    expect(Number(timer.eventId)).toBeGreaterThan(Number(failed?.eventId));
    expect(Number(again.eventId)).toBeGreaterThan(Number(timer.eventId));
    const fired = events.find(
      (e) => String(e.timerFiredEventAttributes?.startedEventId ?? '') === String(timer.eventId),
    );
    expect(fired).toBeDefined();
    // On the (skipped) clock the second lookup ran an hour after the first.
    expect(seconds(startedOf(again)) - seconds(startedOf(refused))).toBeGreaterThanOrEqual(ONE_HOUR_S - 2);
    expect(seconds(startedOf(again)) - seconds(startedOf(refused))).toBeLessThan(ONE_HOUR_S + 120);
  });
});

/** After a contact is flagged, transient failures are retried on a schedule (here one hour), durably. */
describe('enrichContact automatic retries of a flagged contact', () => {
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
          // Fails every attempt of the first lookup (three in tests), then answers.
          { email: TRANSIENT, profile: profile('Auto Retry'), fault: { kind: 'server_error', times: 3 } },
          { email: BROKEN, profile: profile('Auto Broken'), fault: { kind: 'malformed' } },
        ],
      }),
      startGithubDemo({ entries: [] }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close(), gravatar?.close(), github?.close()]);
  });

  const requestsFor = (email: string) =>
    gravatar
      .requestLog()
      .filter((r) => r.url.endsWith(gravatarHash(email)))
      .map((r) => r.status);

  it('retries a transient failure after the scheduled hour and completes enriched', async () => {
    const config = providerConfig({ gravatar: gravatar.url, github: github.url }, { LOOKUP_RETRY_SCHEDULE: '1h,6h' });
    const { started, result } = await enrichWithWorkers(env, harness, config, { email: TRANSIENT, consent: consented });
    expect(result.status).toBe('enriched');
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'matched' });
    expect(requestsFor(TRANSIENT)).toEqual([500, 500, 500, 200]);

    const history = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
    const timers = (history.events ?? []).flatMap((e) =>
      e.timerStartedEventAttributes ? [Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds)] : [],
    );
    expect(timers).toEqual([ONE_HOUR_S]);
  });

  it('does not retry a malformed reply on its own, and completes flagged when the schedule is spent', async () => {
    const config = providerConfig({ gravatar: gravatar.url, github: github.url }, { LOOKUP_RETRY_SCHEDULE: '1h,6h' });
    const { result } = await enrichWithWorkers(env, harness, config, { email: BROKEN, consent: consented });
    expect(result.status).toBe('flagged');
    expect(result.lookups.gravatar).toMatchObject({ outcome: 'failed', errorType: 'MalformedResponse' });
    expect(requestsFor(BROKEN)).toEqual([200]);
  });
});
