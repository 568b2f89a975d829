import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { createLogger } from '../../logger.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';
import {
  AN_SECRET,
  NATION_TOKEN,
  actionNetworkElement,
  nationBuilderDonation,
  nationBuilderPersonContacted,
  nationBuilderPersonCreated,
} from './webhook-payloads.js';
import { enrichmentInput, workflowExists } from './workflow-input.js';

const logger = createLogger('silent');
const config = testConfig({
  SIGNUP_TOKEN: 'signup-token-for-tests',
  NATIONBUILDER_WEBHOOK_TOKEN: NATION_TOKEN,
  ACTION_NETWORK_WEBHOOK_SECRET: AN_SECRET,
  API_BODY_LIMIT_BYTES: '16384',
  API_START_TIMEOUT_MS: '3000',
});
const workflowIdOf = (email: string) => `enrich-contact:${contactKeyFor(email, config.pseudonymKey)}`;

interface Issue {
  path: string;
  message: string;
}

describe('webhooks', () => {
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

  const postJson = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      payload: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  describe('POST /v1/webhooks/nationbuilder', () => {
    const post = (body: unknown, query = '') => postJson(`/v1/webhooks/nationbuilder${query}`, body);

    it('starts the enrichment of a person_creation, mapped from NationBuilder fields, without reading email_opt_in as consent', async () => {
      const res = await post(nationBuilderPersonCreated());
      expect(res.statusCode).toBe(202);
      const workflowId = workflowIdOf('ada.moreau@example.org');
      expect(res.json()).toEqual({ workflowId, status: 'started' });

      const input = await enrichmentInput(env.client, workflowId);
      expect(input.signup).toEqual({
        email: 'ada.moreau@example.org',
        givenName: 'Ada',
        familyName: 'Moreau',
        mobilePhone: '9195550100',
        birthYear: 1988,
        postalAddress: {
          lines: ['12 Elm St', 'Apt 3'],
          locality: 'Raleigh',
          region: 'NC',
          postalCode: '27601',
          country: 'US',
        },
        source: 'nationbuilder:examplenation',
      });
      // email_opt_in is true, but it is consent to email, not to social matching.
      expect(input.signup.consent).toBeUndefined();
    });

    it('finds the same enrichment again for a redelivery', async () => {
      const body = nationBuilderPersonCreated({ email: 'redelivered@example.org', email1: 'redelivered@example.org' });
      const first = await post(body);
      const { runId } = await env.client.workflow.getHandle(workflowIdOf('redelivered@example.org')).describe();
      const again = await post(body);
      expect(first.json()).toMatchObject({ status: 'started' });
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual({ workflowId: workflowIdOf('redelivered@example.org'), status: 'existing' });
      expect((await env.client.workflow.getHandle(workflowIdOf('redelivered@example.org')).describe()).runId).toBe(
        runId,
      );
    });

    it('carries consent only for a person tagged consent_social, and reads the submitted address when there is no primary one', async () => {
      const res = await post(
        nationBuilderPersonCreated({
          email: 'tagged@example.org',
          tags: ['signup-2025', 'consent_social'],
          primary_address: null,
          birthdate: null,
          mobile: null,
          phone: '2156726335',
        }),
      );
      expect(res.statusCode).toBe(202);
      const input = await enrichmentInput(env.client, workflowIdOf('tagged@example.org'));
      expect(input.signup).toMatchObject({
        consent: { socialProfiles: true },
        phone: '2156726335',
        postalAddress: { lines: ['12 Elm St Raleigh, NC 27601'] },
      });
      expect(input.signup.birthYear).toBeUndefined();
    });

    it('refuses a missing or wrong token before looking at the rest of the body', async () => {
      const wrong = await post(nationBuilderPersonCreated({ email: 'intruder@example.org' }, 'not-the-token'));
      expect(wrong.statusCode).toBe(401);
      const { token: _token, ...missing } = nationBuilderPersonCreated({ email: 'intruder@example.org' });
      expect((await post(missing)).statusCode).toBe(401);
      // An invalid body with a wrong token is still a 401, not a 400 that would describe our schema to anyone.
      expect((await post({ token: 'nope', payload: 'x' })).statusCode).toBe(401);
      expect((await post([1, 2])).statusCode).toBe(401);
      expect(await workflowExists(env.client, workflowIdOf('intruder@example.org'))).toBe(false);
    });

    it('answers 202 ignored for contact and donation events, person_update and people without an email', async () => {
      for (const body of [nationBuilderPersonContacted(), nationBuilderDonation()]) {
        const res = await post(body);
        expect(res.statusCode).toBe(202);
        expect(res.json()).toMatchObject({ status: 'ignored' });
      }
      const update = await post(nationBuilderPersonCreated({ email: 'updated@example.org' }), '?event=person_update');
      expect(update.json()).toMatchObject({ status: 'ignored', reason: expect.stringContaining('person_update') });
      const created = await post(
        nationBuilderPersonCreated({ email: 'explicit@example.org' }),
        '?event=person_creation',
      );
      expect(created.json()).toMatchObject({ status: 'started' });
      const noEmail = await post(nationBuilderPersonCreated({ email: null, email1: null }));
      expect(noEmail.json()).toEqual({ status: 'ignored', reason: 'the person has no email address' });
      expect(await workflowExists(env.client, workflowIdOf('john.doe@example.org'))).toBe(false);
      expect(await workflowExists(env.client, workflowIdOf('updated@example.org'))).toBe(false);
    });

    it('falls back to the first email not marked bad', async () => {
      const res = await post(
        nationBuilderPersonCreated({
          email: null,
          email1: 'old@example.org',
          email1_is_bad: true,
          email2: 'second@example.org',
        }),
      );
      expect(res.json()).toEqual({ workflowId: workflowIdOf('second@example.org'), status: 'started' });
    });

    it('answers 400 naming each bad field by its NationBuilder path', async () => {
      const res = await post(
        nationBuilderPersonCreated({
          email: 'not-an-email',
          birthdate: 'sometime',
          primary_address: { address1: '12 Elm St', city: 'Raleigh', state: 'NC', zip: '27601', country_code: 'USA' },
        }),
      );
      expect(res.statusCode).toBe(400);
      const body = res.json<{ error: string; issues: Issue[] }>();
      expect(body.error).toBe('invalid NationBuilder person');
      expect(body.issues.map((i) => i.path).sort()).toEqual([
        'payload.person.birthdate',
        'payload.person.email',
        'payload.person.primary_address.country_code',
      ]);
      const shape = await post({ ...nationBuilderPersonCreated(), payload: { person: { email: 42, tags: 'x' } } });
      expect(shape.statusCode).toBe(400);
      expect(
        shape
          .json<{ issues: Issue[] }>()
          .issues.map((i) => i.path)
          .sort(),
      ).toEqual(['payload.person.email', 'payload.person.tags']);
    });

    it('answers 400 for malformed JSON, 415 for another media type and 413 for an oversized body', async () => {
      expect((await post('{"token": "nb-shared-secret-for-tests", ')).statusCode).toBe(400);
      const form = await app.inject({
        method: 'POST',
        url: '/v1/webhooks/nationbuilder',
        payload: `token=${NATION_TOKEN}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.statusCode).toBe(415);
      const big = await post(nationBuilderPersonCreated({ email: 'big@example.org', note: 'x'.repeat(20_000) }));
      expect(big.statusCode).toBe(413);
      expect(await workflowExists(env.client, workflowIdOf('big@example.org'))).toBe(false);
    });
  });

  describe('POST /v1/webhooks/action-network/:secret', () => {
    const url = `/v1/webhooks/action-network/${AN_SECRET}`;

    it('starts one enrichment per person event and answers one result per element, in order', async () => {
      const delivery = [
        actionNetworkElement(
          'osdi:submission',
          { given: 'Ada', family: 'Moreau', email: 'an.ada@example.org' },
          'key-submission-1',
        ),
        actionNetworkElement(
          'osdi:signature',
          { given: 'Ben', email: 'an.ben@example.org', postalCode: '75011', country: 'fr' },
          'key-signature-1',
        ),
        actionNetworkElement('osdi:attendance', { email: 'an.cleo@example.org' }, 'key-attendance-1'),
        actionNetworkElement('action_network:upload', { email: 'an.dev@example.org' }),
      ];
      const res = await postJson(url, delivery);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        results: [
          {
            index: 0,
            type: 'osdi:submission',
            idempotencyKey: 'key-submission-1',
            status: 'started',
            workflowId: workflowIdOf('an.ada@example.org'),
          },
          {
            index: 1,
            type: 'osdi:signature',
            idempotencyKey: 'key-signature-1',
            status: 'started',
            workflowId: workflowIdOf('an.ben@example.org'),
          },
          {
            index: 2,
            type: 'osdi:attendance',
            idempotencyKey: 'key-attendance-1',
            status: 'started',
            workflowId: workflowIdOf('an.cleo@example.org'),
          },
          {
            index: 3,
            type: 'action_network:upload',
            status: 'started',
            workflowId: workflowIdOf('an.dev@example.org'),
          },
        ],
      });
      const input = await enrichmentInput(env.client, workflowIdOf('an.ben@example.org'));
      expect(input.signup).toEqual({
        email: 'an.ben@example.org',
        givenName: 'Ben',
        mobilePhone: '19195550100',
        postalAddress: { postalCode: '75011', country: 'FR' },
        source: 'action_network:signature',
      });
    });

    it('starts nothing for a redelivery with the same idempotency keys, and answers duplicate for a key repeated in one delivery', async () => {
      const element = actionNetworkElement('osdi:submission', { email: 'an.again@example.org' }, 'key-again-1');
      const first = await postJson(url, [element, element]);
      expect(first.statusCode).toBe(202);
      expect(first.json<{ results: unknown[] }>().results).toEqual([
        expect.objectContaining({ status: 'started', idempotencyKey: 'key-again-1' }),
        expect.objectContaining({ status: 'duplicate', idempotencyKey: 'key-again-1' }),
      ]);
      const { runId } = await env.client.workflow.getHandle(workflowIdOf('an.again@example.org')).describe();
      const redelivery = await postJson(url, [element]);
      expect(redelivery.json()).toEqual({
        results: [
          {
            index: 0,
            type: 'osdi:submission',
            idempotencyKey: 'key-again-1',
            status: 'existing',
            workflowId: workflowIdOf('an.again@example.org'),
          },
        ],
      });
      expect((await env.client.workflow.getHandle(workflowIdOf('an.again@example.org')).describe()).runId).toBe(runId);
    });

    it('maps the consent_social form answer to consent, and list subscription to nothing', async () => {
      await postJson(url, [
        actionNetworkElement('osdi:submission', {
          email: 'an.yes@example.org',
          customFields: { consent_social: 'Yes', volunteer_interest: 'canvassing' },
        }),
        actionNetworkElement('osdi:submission', {
          email: 'an.no@example.org',
          customFields: { volunteer_interest: 'canvassing' },
        }),
      ]);
      const yes = await enrichmentInput(env.client, workflowIdOf('an.yes@example.org'));
      expect(yes.signup.consent).toEqual({
        socialProfiles: true,
        at: '2025-03-02T15:21:43.000Z',
        source: 'action_network:custom_field:consent_social',
      });
      const no = await enrichmentInput(env.client, workflowIdOf('an.no@example.org'));
      expect(no.signup.consent).toBeUndefined();
    });

    it('answers ignored for elements without a person event or without an email', async () => {
      const res = await postJson(url, [
        { idempotency_key: 'key-other', 'action_network:sponsor': { title: 'x' }, 'osdi:tagging': { tag: 'x' } },
        actionNetworkElement('osdi:signature', { given: 'Nomail' }),
      ]);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        results: [
          {
            index: 0,
            type: 'osdi:tagging',
            idempotencyKey: 'key-other',
            status: 'ignored',
            reason: 'no person event (osdi:tagging)',
          },
          { index: 1, type: 'osdi:signature', status: 'ignored', reason: 'the person has no email address' },
        ],
      });
    });

    it('handles each element on its own: a bad one is answered rejected with its issues, the good ones start', async () => {
      const good = actionNetworkElement('osdi:submission', { email: 'an.first@example.org' });
      const bad = actionNetworkElement('osdi:signature', { email: 'an.second@example.org', country: 'USA' });
      const res = await postJson(url, [good, bad, 'just a string']);
      expect(res.statusCode).toBe(202);
      const results = res.json<{ results: Array<{ status: string; issues?: Issue[] }> }>().results;
      expect(results.map((r) => r.status)).toEqual(['started', 'rejected', 'rejected']);
      expect(results[1]?.issues).toEqual([
        { path: '1.osdi:signature.person.postal_addresses.0.country', message: 'must be an ISO 3166-1 alpha-2 code' },
      ]);
      expect(results[2]?.issues).toMatchObject([{ path: '2' }]);
      const badEmail = await postJson(url, [actionNetworkElement('osdi:submission', { email: 'nope' })]);
      expect(badEmail.json<{ results: Array<{ issues: Issue[] }> }>().results[0]?.issues).toEqual([
        { path: '0.osdi:submission.person.email_addresses.0.address', message: 'must be an email address' },
      ]);
      expect(await workflowExists(env.client, workflowIdOf('an.first@example.org'))).toBe(true);
      expect(await workflowExists(env.client, workflowIdOf('an.second@example.org'))).toBe(false);
    });

    it('refuses a wrong path secret, and answers 400 for a body that is no array or no JSON, 415 and 413', async () => {
      const element = actionNetworkElement('osdi:submission', { email: 'an.intruder@example.org' });
      expect((await postJson('/v1/webhooks/action-network/wrong-secret', [element])).statusCode).toBe(401);
      expect(await workflowExists(env.client, workflowIdOf('an.intruder@example.org'))).toBe(false);
      const notArray = await postJson(url, element);
      expect(notArray.statusCode).toBe(400);
      expect(notArray.json()).toMatchObject({ error: 'body must be a JSON array of Action Network events' });
      expect((await postJson(url, '[{"osdi:submission": ')).statusCode).toBe(400);
      const text = await app.inject({ method: 'POST', url, payload: '[]', headers: { 'content-type': 'text/plain' } });
      expect(text.statusCode).toBe(415);
      const many = Array.from({ length: 40 }, (_, i) =>
        actionNetworkElement('osdi:submission', { email: `an.bulk${i}@example.org` }),
      );
      expect((await postJson(url, many)).statusCode).toBe(413);
      const hal = await app.inject({
        method: 'POST',
        url,
        payload: '[]',
        headers: { 'content-type': 'application/hal+json' },
      });
      expect(hal.statusCode).toBe(202);
      expect(hal.json()).toEqual({ results: [] });
    });
  });

  it('answers 404 for a webhook whose secret is not configured', async () => {
    const bare = buildApi({
      config: testConfig({ SIGNUP_TOKEN: 'x'.repeat(20) }),
      temporal: env.client,
      db: harness.database.db,
      logger,
    });
    try {
      expect(
        (
          await bare.inject({
            method: 'POST',
            url: '/v1/webhooks/nationbuilder',
            payload: nationBuilderPersonCreated(),
            headers: { 'content-type': 'application/json' },
          })
        ).statusCode,
      ).toBe(404);
      expect(
        (
          await bare.inject({
            method: 'POST',
            url: '/v1/webhooks/action-network/anything',
            payload: [],
            headers: { 'content-type': 'application/json' },
          })
        ).statusCode,
      ).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
