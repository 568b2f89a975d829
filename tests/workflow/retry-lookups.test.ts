import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startEnrichment } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import type { Fault } from '../../demo/servers/faults.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import { listLookups } from '../../store/lookups.js';
import { findContactView } from '../../store/contacts.js';
import { flaggedWorkflowIds, retryContact } from '../../cli/commands/retry.js';
import { startWorkers, type WorkerGroup } from '../../worker/start-workers.js';
import { retryLookupsSignal, retryLookupsUpdate } from '../../workflows/enrich-contact.js';
import { FlaggedProvidersKey } from '../../workflows/search-attributes.js';
import {
  consented,
  createEnrichmentHarness,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';

const profile = (email: string) => ({
  hash: '0'.repeat(64),
  display_name: 'Retry Person',
  profile_url: `https://gravatar.com/${email.split('@')[0]!}`,
  avatar_url: 'https://0.gravatar.com/avatar/x',
  verified_accounts: [],
});

/**
 * A flagged contact's workflow stays open for operators: `retryLookups` (update or signal) re-runs the failed
 * lookups, and the workflow completes once nothing failed is left. Real dev server, real Postgres.
 */
describe('retryLookups', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let gravatar: DemoServer | undefined;
  let workers: WorkerGroup | undefined;
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
  });
  afterEach(async () => {
    workers?.shutdown();
    await running;
    await gravatar?.close();
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  /** Starts a contact whose Gravatar fails with `fault`, with the workflow kept open for an hour of retries. */
  async function flaggedContact(email: string, fault: Fault) {
    gravatar = await startGravatarDemo({ entries: [{ email, profile: profile(email), fault }] });
    const config = providerConfig({ gravatar: gravatar.url }, { LOOKUP_RETRY_SCHEDULE: '1h' });
    workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
    });
    running = workers.run();
    const started = await startEnrichment(env.client, config, { email, consent: consented });
    const settled = await waitForSettled(env.client, started.workflowId);
    return { started, settled, handle: env.client.workflow.getHandle(started.workflowId) };
  }

  it('re-runs a failed lookup on the update, answers the new status, and completes', async () => {
    // Three attempts (the test policy) all fail; the fourth request, made for the operator, succeeds.
    const { started, settled, handle } = await flaggedContact('retry.update@example.org', {
      kind: 'server_error',
      times: 3,
    });
    expect(settled.status).toBe('flagged');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const answer = await handle.executeUpdate(retryLookupsUpdate, { args: [{ providers: ['gravatar'] }] });
    expect(answer.status).toBe('enriched');
    expect(answer.lookups.gravatar).toMatchObject({ outcome: 'matched', attempts: 1 });

    const result = (await handle.result()) as EnrichmentStatusView;
    expect(result.status).toBe('enriched');
    expect((await handle.describe()).typedSearchAttributes.get(FlaggedProvidersKey) ?? []).toEqual([]);
    const lookup = (await listLookups(harness.database.db, started.contactKey)).find((l) => l.provider === 'gravatar');
    expect(lookup).toMatchObject({ provider: 'gravatar', outcome: 'matched', first_failed_at: null });
    expect(gravatar!.requestLog().map((r) => r.status)).toEqual([500, 500, 500, 200]);
  });

  it('stays open, still flagged, when the lookup the update re-ran fails again', async () => {
    const { handle } = await flaggedContact('retry.again@example.org', { kind: 'malformed' });
    const answer = await handle.executeUpdate(retryLookupsUpdate, { args: [{}] });
    expect(answer.status).toBe('flagged');
    expect(answer.lookups.gravatar).toMatchObject({ outcome: 'failed', errorType: 'MalformedResponse' });
    expect(gravatar!.requests()).toBe(2);
    // The re-run was pending, not failed, for a moment: that must not have ended the wait for operators.
    expect((await handle.describe()).status.name).toBe('RUNNING');
    await handle.terminate('test done');
  });

  it('refuses an update naming a provider it does not know, and changes nothing', async () => {
    const { handle } = await flaggedContact('retry.refused@example.org', { kind: 'server_error' });
    const refusal = await handle
      .executeUpdate(retryLookupsUpdate, { args: [{ providers: ['myspace' as 'gravatar'] }] })
      .catch((err: Error) => err);
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error & { cause?: Error }).cause?.message).toMatch(/unknown provider\(s\): myspace/);
    expect(gravatar!.requests()).toBe(3);
    await handle.terminate('test done');
  });

  it('starts a closed flagged enrichment again for `enrich retry`, with the signup it had', async () => {
    const email = 'retry.closed@example.org';
    gravatar = await startGravatarDemo({
      entries: [{ email, profile: profile(email), fault: { kind: 'server_error', times: 3 } }],
    });
    // No scheduled retries: the workflow completes flagged as soon as it has settled.
    const config = providerConfig({ gravatar: gravatar.url }, { LOOKUP_RETRY_SCHEDULE: 'none' });
    workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
    });
    running = workers.run();
    // The typed name agrees with the profile (a confident disagreement would flag the contact on its own).
    const started = await startEnrichment(env.client, config, {
      email,
      givenName: 'Retry',
      familyName: 'Person',
      consent: consented,
    });
    expect(((await env.client.workflow.getHandle(started.workflowId).result()) as EnrichmentStatusView).status).toBe(
      'flagged',
    );

    expect(await flaggedWorkflowIds(env.client)).toContain(started.workflowId);
    const retried = await retryContact(env.client, config, started.workflowId);
    expect(retried).toEqual({ workflowId: started.workflowId, action: 'restarted', status: 'enriched' });
    expect(await flaggedWorkflowIds(env.client)).not.toContain(started.workflowId);
    const record = await findContactView(harness.database.db, started.contactKey);
    expect(record).toMatchObject({ status: 'enriched', name: { given: 'Retry', family: 'Person' } });
  });

  it('re-runs failed lookups on the signal too', async () => {
    const { handle } = await flaggedContact('retry.signal@example.org', { kind: 'server_error', times: 3 });
    await handle.signal(retryLookupsSignal, {});
    const result = (await handle.result()) as EnrichmentStatusView;
    expect(result.status).toBe('enriched');
    expect(gravatar!.requests()).toBe(4);
  });
});
