import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { createLogger } from '../../logger.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';
import { AN_SECRET, NATION_TOKEN, actionNetworkElement, nationBuilderPersonCreated } from './webhook-payloads.js';
import { enrichmentInput } from './workflow-input.js';

const SIGNUP_TOKEN = 'signup-token-for-tests';
const config = testConfig({
  SIGNUP_TOKEN,
  NATIONBUILDER_WEBHOOK_TOKEN: NATION_TOKEN,
  ACTION_NETWORK_WEBHOOK_SECRET: AN_SECRET,
  API_START_TIMEOUT_MS: '3000',
});
const workflowIdOf = (email: string) => `enrich-contact:${contactKeyFor(email, config.pseudonymKey)}`;

/**
 * A NUL byte or a lone surrogate in a field used to be acknowledged (202) and then fail saveSignup for ever. Each
 * HTTP entry point now starts the enrichment with the text made storable, so what reaches the workflow (and the
 * store) has none of them.
 */
describe('text made storable at every HTTP entry point', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let app: FastifyInstance;

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
    app = buildApi({ config, temporal: env.client, db: harness.database.db, logger: createLogger('silent') });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  const post = (url: string, body: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json', ...headers } });

  it('POST /v1/signups', async () => {
    // Written as JSON escapes, as a fuzzer or a broken form sends them.
    const body =
      '{"email":"storable.api@example.org","givenName":"Ada\\u0000","familyName":"Love\\ud800lace","postalAddress":{"lines":["1 Main St\\u001b"]}}';
    const res = await post('/v1/signups', body, { authorization: `Bearer ${SIGNUP_TOKEN}` });
    expect(res.statusCode).toBe(202);
    const { signup } = await enrichmentInput(env.client, workflowIdOf('storable.api@example.org'));
    expect(signup).toMatchObject({
      givenName: 'Ada',
      familyName: 'Love\ufffdlace',
      postalAddress: { lines: ['1 Main St'] },
    });
  });

  it('POST /v1/signups refuses a field left empty once cleaned, naming it', async () => {
    const res = await post('/v1/signups', '{"email":"storable.empty@example.org","givenName":"\\u0000"}', {
      authorization: `Bearer ${SIGNUP_TOKEN}`,
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json())).toContain('givenName');
  });

  it('POST /v1/webhooks/nationbuilder', async () => {
    const body = nationBuilderPersonCreated();
    const person = (body.payload as { person: Record<string, unknown> }).person;
    Object.assign(person, {
      email: 'storable.nb@example.org',
      email1: 'storable.nb@example.org',
      first_name: 'Ada\u0000',
      last_name: '\udc00Moreau',
    });
    const res = await post('/v1/webhooks/nationbuilder', JSON.stringify(body));
    expect(res.statusCode).toBe(202);
    const { signup } = await enrichmentInput(env.client, workflowIdOf('storable.nb@example.org'));
    expect(signup).toMatchObject({ givenName: 'Ada', familyName: '\ufffdMoreau' });
  });

  it('POST /v1/webhooks/action-network/:secret', async () => {
    const element = actionNetworkElement(
      'osdi:submission',
      { given: 'Ben\u0000', family: 'Okafor\ud800', email: 'storable.an@example.org' },
      'key-storable-1',
    );
    const res = await post(`/v1/webhooks/action-network/${AN_SECRET}`, JSON.stringify([element]));
    expect(res.statusCode).toBe(202);
    const { signup } = await enrichmentInput(env.client, workflowIdOf('storable.an@example.org'));
    expect(signup).toMatchObject({ givenName: 'Ben', familyName: 'Okafor\ufffd' });
  });
});
