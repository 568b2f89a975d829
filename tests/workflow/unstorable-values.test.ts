import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { lookupActivitiesFor } from '../../activities/lookup-activity.js';
import type { Provider } from '../../activities/providers/provider.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { buildEnrichContactInput } from '../../client/start-enrichment.js';
import type { Signup } from '../../schemas/signup.js';
import { findContactById } from '../../store/contacts.js';
import { listLookups } from '../../store/lookups.js';
import { listObservations } from '../../store/observations.js';
import { startWorkers } from '../../worker/start-workers.js';
import { enrichContact } from '../../workflows/enrich-contact.js';
import { enrichContactWorkflowId, providerTaskQueue } from '../../schemas/ids.js';
import { createEnrichmentHarness, providerConfig, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';

/**
 * Values Postgres cannot store, reaching the store by the ways the boundary does not guard: a client that starts
 * the workflow itself (an older client, the Web UI's "Start Workflow Like This One" with an edited input), and a
 * provider that reads its data from somewhere other than the HTTP client (as the voter file does). Before, each
 * such write was retried for ever; now the run or the lookup ends with the reason.
 */
describe('values the store refuses', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  const config = providerConfig({}, { PROVIDER_VOTERFILE_ENABLED: 'true' });

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  /** Starts an enrichment with this exact signup, without the signup schema a real client applies. */
  async function startUnchecked(signup: Signup) {
    const contactKey = contactKeyFor(signup.email, config.pseudonymKey);
    const handle = await env.client.workflow.start(enrichContact, {
      workflowId: enrichContactWorkflowId(contactKey),
      taskQueue: config.temporal.taskQueue,
      args: [buildEnrichContactInput(config, contactKey, signup, new Date())],
    });
    return { handle, contactKey };
  }

  it('a signup with a NUL byte ends its run at once, failed with the reason, instead of retrying saveSignup for ever', async () => {
    const workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
      queues: ['workflows'],
    });
    const { handle, contactKey } = await startUnchecked({ email: 'nul.signup@example.org', givenName: 'Ada\u0000' });
    const failure = await workers.runUntil(
      handle.result().then(
        () => undefined,
        (err: unknown) => err,
      ),
    );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('SignupNotStorable');
    expect(cause?.message).toMatch(/SQLSTATE 22P05/);
    expect(cause?.message).not.toContain('Ada');
    const description = await handle.describe();
    expect(description.searchAttributes.EnrichmentStatus).toEqual(['rejected']);
    // One attempt, not a retry loop: the activity failed once and was not retried.
    const history = await handle.fetchHistory();
    const attempts = (history.events ?? [])
      .filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    expect(attempts).toEqual([1]);
    expect(await findContactById(harness.database.db, contactKey)).toBeUndefined();
  });

  it('a lookup whose answer the store refuses ends failed (StoreRejected) and flags the contact; the rest is stored', async () => {
    // A provider reading its own data (like the voter file): its values never pass through the HTTP client.
    const provider: Provider = {
      name: 'voterfile',
      lookup: () =>
        Promise.resolve({
          outcome: 'matched',
          observations: [
            {
              field: 'name.display',
              value: 'Grace\u0000 Hopper',
              confidence: 0.9,
              fetchedAt: '2026-12-01T00:00:00.000Z',
            },
          ],
        }),
      close: () => Promise.resolve(),
    };
    const workers = await startWorkers({
      config,
      connection: env.nativeConnection,
      db: harness.database.db,
      workflowBundle: harness.bundle,
      queues: ['workflows'],
    });
    const voterfile = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: providerTaskQueue(config.temporal.taskQueue, 'voterfile'),
      activities: lookupActivitiesFor(provider),
    });
    const signup: Signup = {
      email: 'grace.hopper@example.org',
      givenName: 'Grace',
      familyName: 'Hopper',
      postalAddress: { lines: ['1 Main St'], postalCode: '27601', country: 'US' },
    };
    const { handle, contactKey } = await startUnchecked(signup);
    const running = voterfile.run();
    const result = await workers.runUntil(handle.result());
    voterfile.shutdown();
    await running;

    expect(result.status).toBe('flagged');
    expect(result.lookups.voterfile).toMatchObject({ outcome: 'failed', errorType: 'StoreRejected', attempts: 1 });
    expect(result.lookups.voterfile?.lastError).toMatch(
      /recordLookup: the database refused the write \(SQLSTATE 22P05/,
    );
    const lookups = await listLookups(harness.database.db, contactKey);
    expect(lookups.find((l) => l.provider === 'voterfile')).toMatchObject({
      outcome: 'failed',
      error_type: 'StoreRejected',
    });
    const observations = await listObservations(harness.database.db, contactKey);
    expect(observations.map((o) => o.provider)).not.toContain('voterfile');
    expect(observations.some((o) => o.provider === 'signup')).toBe(true);
    expect((await handle.describe()).searchAttributes.FlaggedProviders).toEqual(['voterfile']);
  });
});
