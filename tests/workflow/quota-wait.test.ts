import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import { listLookups } from '../../store/lookups.js';
import { QUOTA_WAIT_PATCH } from '../../workflows/lookup-attempt.js';
import {
  consented,
  createEnrichmentHarness,
  enrichWithWorkers,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';

/**
 * Waiting for quota is not failing: a lookup refused for quota sleeps in the workflow until the announced reset
 * and runs again, spending its quota-wait budget, never the attempts meant for errors. Real dev server, Postgres.
 */
describe('quota waits', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  it('a lookup refused for quota 10 times in a row (3 attempts allowed) still ends matched', async () => {
    const email = 'quota.patient@example.org';
    const gravatar = await startGravatarDemo({
      entries: [
        {
          email,
          profile: {
            hash: '0'.repeat(64),
            display_name: 'Quota Patient',
            profile_url: 'https://gravatar.com/quotapatient',
            avatar_url: 'https://0.gravatar.com/avatar/x',
            verified_accounts: [],
          },
          fault: { kind: 'rate_limit', times: 10, retryAfterSeconds: 0 },
        },
      ],
    });
    try {
      const config = providerConfig({ gravatar: gravatar.url }, { PROVIDER_GRAVATAR_MAX_ATTEMPTS: '3' });
      const { started, result } = await enrichWithWorkers(env, harness, config, { email, consent: consented });

      expect(result.lookups.gravatar).toMatchObject({ outcome: 'matched', attempts: 11 });
      expect(gravatar.requestLog().map((r) => r.status)).toEqual([...Array<number>(10).fill(429), 200]);
      const lookup = (await listLookups(harness.database.db, started.contactKey)).find(
        (l) => l.provider === 'gravatar',
      );
      expect(lookup).toMatchObject({ outcome: 'matched' });
      // The quota waits are durable timers in the workflow's history, behind the patch marker.
      const history = await env.client.workflow.getHandle(started.workflowId).fetchHistory();
      const events = history.events ?? [];
      expect(events.filter((e) => e.timerStartedEventAttributes).length).toBe(10);
      expect(JSON.stringify(events.filter((e) => e.markerRecordedEventAttributes))).toContain(
        Buffer.from(JSON.stringify(QUOTA_WAIT_PATCH)).toString('base64'),
      );
    } finally {
      await gravatar.close();
    }
  });

  it('ends failed RateLimited once the quota-wait count is spent', async () => {
    const email = 'quota.spent@example.org';
    const gravatar = await startGravatarDemo({
      entries: [{ email, fault: { kind: 'rate_limit', times: 50, retryAfterSeconds: 0 } }],
    });
    try {
      const config = providerConfig({ gravatar: gravatar.url }, { LOOKUP_QUOTA_WAITS: '2' });
      const { result } = await enrichWithWorkers(env, harness, config, { email, consent: consented });

      expect(result.lookups.gravatar).toMatchObject({ outcome: 'failed', errorType: 'RateLimited', attempts: 3 });
      expect(gravatar.requestLog().map((r) => r.status)).toEqual([429, 429, 429]);
    } finally {
      await gravatar.close();
    }
  });
});
