import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { createStoreActivities } from '../../activities/store-activities.js';
import { createLogger } from '../../logger.js';
import { upsertContact } from '../../store/contacts.js';
import { insertObservations } from '../../store/observations.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';

const SIGNUP_TOKEN = 'signup-token-for-tests';
const API_TOKEN = 'api-token-for-tests';
const WEBHOOK_SECRET = 'webhook-secret-for-tests';
const logger = createLogger('silent');
const config = testConfig({
  SIGNUP_TOKEN,
  API_TOKEN,
  WEBHOOK_SECRET,
  API_BODY_LIMIT_BYTES: '2048',
  API_START_TIMEOUT_MS: '1500',
});

describe('HTTP API', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let app: FastifyInstance;

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
    app = buildApi({ config, temporal: env.client, db: harness.database.db, logger });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: '/v1/signups',
      payload: body,
      headers: { 'content-type': 'application/json', ...headers },
    });
  const bearer = { authorization: `Bearer ${SIGNUP_TOKEN}` };

  describe('POST /v1/signups', () => {
    it('starts an enrichment for a valid signup with the bearer token, and finds it again for a duplicate', async () => {
      const body = JSON.stringify({
        email: 'new.person@example.org',
        givenName: 'New',
        consent: { socialProfiles: true },
      });
      const first = await post(body, bearer);
      expect(first.statusCode).toBe(202);
      const key = contactKeyFor('new.person@example.org', config.pseudonymKey);
      expect(first.json()).toEqual({ workflowId: `enrich-contact:${key}`, status: 'started' });
      // Temporal really has it: the start was acknowledged before the 202.
      const description = await env.client.workflow.getHandle(`enrich-contact:${key}`).describe();
      expect(description.type).toBe('enrichContact');

      const again = await post(JSON.stringify({ email: 'NEW.person@example.org ' }), bearer);
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual({ workflowId: `enrich-contact:${key}`, status: 'existing' });
    });

    it('accepts an X-Signature HMAC of the raw body instead of a token', async () => {
      const body = JSON.stringify({ email: 'signed@example.org' });
      const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
      const res = await post(body, { 'x-signature': signature });
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ status: 'started' });
    });

    it('refuses a missing or wrong token and a signature of another body', async () => {
      const body = JSON.stringify({ email: 'intruder@example.org' });
      expect((await post(body)).statusCode).toBe(401);
      expect((await post(body, { authorization: 'Bearer nope' })).statusCode).toBe(401);
      const otherSignature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update('{}').digest('hex')}`;
      expect((await post(body, { 'x-signature': otherSignature })).statusCode).toBe(401);
      await expect(
        env.client.workflow
          .getHandle(`enrich-contact:${contactKeyFor('intruder@example.org', config.pseudonymKey)}`)
          .describe(),
      ).rejects.toThrow();
    });

    it('answers 400 naming each bad field', async () => {
      const res = await post(
        JSON.stringify({ email: 'not-an-email', birthYear: 1700, postalAddress: { country: 'USA' } }),
        bearer,
      );
      expect(res.statusCode).toBe(400);
      const body = res.json<{ error: string; issues: Array<{ path: string; message: string }> }>();
      expect(body.error).toBe('invalid signup');
      expect(body.issues.map((i) => i.path).sort()).toEqual(['birthYear', 'email', 'postalAddress.country']);
      expect(body.issues.find((i) => i.path === 'email')?.message).toMatch(/email/);
    });

    it('answers 400 for malformed JSON, 415 for another media type and 413 for an oversized body', async () => {
      expect((await post('{"email": ', bearer)).statusCode).toBe(400);
      const text = await app.inject({
        method: 'POST',
        url: '/v1/signups',
        payload: 'email=a@b.org',
        headers: { 'content-type': 'text/plain', ...bearer },
      });
      expect(text.statusCode).toBe(415);
      const big = await post(JSON.stringify({ email: 'big@example.org', source: 'x'.repeat(4096) }), bearer);
      expect(big.statusCode).toBe(413);
    });

    it('answers 503 with Retry-After when Temporal does not acknowledge the start', async () => {
      const deadConnection = Connection.lazy({ address: '127.0.0.1:1' });
      const deadApp = buildApi({
        config,
        temporal: new Client({ connection: deadConnection }),
        db: harness.database.db,
        logger,
      });
      try {
        const res = await deadApp.inject({
          method: 'POST',
          url: '/v1/signups',
          payload: JSON.stringify({ email: 'later@example.org' }),
          headers: { 'content-type': 'application/json', ...bearer },
        });
        expect(res.statusCode).toBe(503);
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
        const health = await deadApp.inject({ method: 'GET', url: '/healthz' });
        expect(health.statusCode).toBe(503);
        expect(health.json()).toEqual({ ok: false, failed: ['temporal'] });
      } finally {
        await deadApp.close();
        await deadConnection.close();
      }
    });
  });

  describe('GET /v1/contacts/:ref', () => {
    const email = 'reader@example.org';
    const key = contactKeyFor(email, config.pseudonymKey);

    beforeAll(async () => {
      const db = harness.database.db;
      await upsertContact(db, { id: key, signup: { email, givenName: 'Rea' }, workflowId: `enrich-contact:${key}` });
      await insertObservations(
        db,
        { contactId: key, provider: 'signup', workflowId: `enrich-contact:${key}`, runId: 'r1' },
        [{ field: 'name.given', value: 'Rea', confidence: 1, fetchedAt: '2026-11-01T00:00:00.000Z' }],
      );
      await createStoreActivities(db).mergeContact({ contactKey: key });
    });

    it('needs the API token', async () => {
      expect((await app.inject({ method: 'GET', url: `/v1/contacts/${key}` })).statusCode).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: `/v1/contacts/${key}`, headers: { authorization: 'Bearer wrong' } }))
          .statusCode,
      ).toBe(401);
    });

    it('returns the record by email, contact id or workflow id', async () => {
      for (const ref of [email, key, `enrich-contact:${key}`]) {
        const res = await app.inject({
          method: 'GET',
          url: `/v1/contacts/${encodeURIComponent(ref)}`,
          headers: { authorization: `Bearer ${API_TOKEN}` },
        });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toMatchObject({
          id: key,
          email,
          name: { given: 'Rea' },
          provenance: { 'name.given': [{ provider: 'signup' }] },
        });
      }
    });

    it('answers 404 for an unknown contact and 400 for a reference that is none', async () => {
      const auth = { authorization: `Bearer ${API_TOKEN}` };
      expect(
        (await app.inject({ method: 'GET', url: '/v1/contacts/nobody%40example.org', headers: auth })).statusCode,
      ).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/v1/contacts/xyz', headers: auth })).statusCode).toBe(400);
    });
  });

  it('reports healthy when Temporal and Postgres answer', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, failed: [] });
  });
});
