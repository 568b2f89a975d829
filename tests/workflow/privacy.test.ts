import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { contactKeyFor } from '../../domain/contact-key.js';
import { startPrivacyRequest } from '../../client/privacy-requests.js';
import { startEnrichment } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import type { ErasureReceipt } from '../../activities/privacy-activities.js';
import type { DemoProviders } from '../../demo/servers/start-demo-providers.js';
import type { Config } from '../../config.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import { HTTP_PROVIDER_NAMES, PROVIDER_NAMES } from '../../schemas/providers.js';
import { findContactById } from '../../store/contacts.js';
import { listObservations } from '../../store/observations.js';
import { findSuppression } from '../../store/privacy.js';
import {
  consented,
  startDemoPipeline,
  type DemoPipeline,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';

/** Suppression and erasure, on the real dev server and real Postgres. */
describe('privacy requests', () => {
  let pipeline: DemoPipeline;
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let demo: DemoProviders;
  let api: FastifyInstance;
  let config: Config;
  const providerRequests = () => HTTP_PROVIDER_NAMES.reduce((sum, name) => sum + demo[name].requests(), 0);

  beforeAll(async () => {
    pipeline = await startDemoPipeline({
      API_TOKEN: 'api-token',
      SIGNUP_TOKEN: 'signup-token',
      LOOKUP_RETRY_SCHEDULE: '1h',
    });
    ({ env, harness, demo, api, config } = pipeline);
  });
  afterAll(() => pipeline?.close());

  const enrich = async (email: string) => {
    const started = await startEnrichment(env.client, config, { email, givenName: 'Some', consent: consented });
    return { started, view: await waitForSettled(env.client, started.workflowId) };
  };
  const request = async (action: 'erase' | 'suppress', email: string) => {
    const workflowId = await startPrivacyRequest(
      env.client,
      config,
      action,
      contactKeyFor(email, config.pseudonymKey),
      'test',
    );
    return (await env.client.workflow.getHandle(workflowId).result()) as unknown;
  };

  it('erases everything held about a person, keeps only the keyed hash, and answers a receipt; again, it deletes nothing', async () => {
    const { started } = await enrich('dana.ruiz@example.org');
    expect(await listObservations(harness.database.db, started.contactKey)).not.toEqual([]);

    const receipt = (await request('erase', 'dana.ruiz@example.org')) as ErasureReceipt;
    expect(receipt).toMatchObject({
      contactKey: started.contactKey,
      suppressed: true,
      deleted: { contacts: 1, lookups: PROVIDER_NAMES.length },
    });
    expect(receipt.deleted.observations).toBeGreaterThan(5);
    expect(await findContactById(harness.database.db, started.contactKey)).toBeUndefined();
    expect(await listObservations(harness.database.db, started.contactKey)).toEqual([]);
    expect(await findSuppression(harness.database.db, started.contactKey)).toBe('erasure');
    const audit = await harness.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject_key', '=', started.contactKey)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(['erase']);

    const again = (await request('erase', 'dana.ruiz@example.org')) as ErasureReceipt;
    expect(again.deleted).toEqual({ contacts: 0, observations: 0, lookups: 0 });
  });

  it('never enriches a suppressed person: the workflow ends suppressed without a lookup, and the API starts nothing', async () => {
    // Opted out before ever being enriched: even a start that bypasses the API is stopped by the workflow.
    await request('suppress', 'sam.secondary@example.net');
    const before = providerRequests();
    const again = await startEnrichment(env.client, config, { email: 'sam.secondary@example.net', consent: consented });
    expect(again.status).toBe('started');
    const view = (await env.client.workflow.getHandle(again.workflowId).result()) as EnrichmentStatusView;
    expect(view.status).toBe('suppressed');
    expect(providerRequests()).toBe(before);
    expect(await findContactById(harness.database.db, again.contactKey)).toBeUndefined();

    const res = await api.inject({
      method: 'POST',
      url: '/v1/signups',
      payload: JSON.stringify({ email: 'Dana.Ruiz@example.org' }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer signup-token' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'suppressed' });
  });

  it('opts a person out: their record stays, marked suppressed, and nothing more is looked up', async () => {
    const { started } = await enrich('grace.kim@example.com');
    const result = (await request('suppress', 'grace.kim@example.com')) as { contactUpdated: boolean };
    expect(result.contactUpdated).toBe(true);
    const row = await findContactById(harness.database.db, started.contactKey);
    expect(row?.status).toBe('suppressed');
    expect((row?.record as { status: string }).status).toBe('suppressed');
    expect(await findSuppression(harness.database.db, started.contactKey)).toBe('opt_out');
  });

  it('stops an enrichment still waiting for retries before erasing, through DELETE /v1/contacts/:ref', async () => {
    const { started, view } = await enrich('fiona.flaky@example.org');
    expect(view.status).toBe('flagged');
    const handle = env.client.workflow.getHandle(started.workflowId);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const res = await api.inject({
      method: 'DELETE',
      url: '/v1/contacts/fiona.flaky%40example.org',
      headers: { authorization: 'Bearer api-token' },
    });
    expect(res.statusCode).toBe(202);
    const { workflowId } = res.json<{ workflowId: string }>();
    const receipt = (await env.client.workflow.getHandle(workflowId).result()) as ErasureReceipt;
    expect(receipt.deleted.contacts).toBe(1);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await findContactById(harness.database.db, started.contactKey)).toBeUndefined();
  });
});
