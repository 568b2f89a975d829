import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { createLogger } from '../../logger.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';
import { AN_SECRET, NATION_TOKEN, actionNetworkElement, nationBuilderPersonCreated } from './webhook-payloads.js';
import { enrichmentInput, workflowExists } from './workflow-input.js';

const SIGNUP_TOKEN = 'signup-token-for-email-tests';
const WEBHOOK_SECRET = 'webhook-secret-for-email-tests';
const config = testConfig({
  SIGNUP_TOKEN,
  WEBHOOK_SECRET,
  NATIONBUILDER_WEBHOOK_TOKEN: NATION_TOKEN,
  ACTION_NETWORK_WEBHOOK_SECRET: AN_SECRET,
  API_BODY_LIMIT_BYTES: '16384',
  API_START_TIMEOUT_MS: '5000',
});
const workflowIdOf = (email: string) => `enrich-contact:${contactKeyFor(email, config.pseudonymKey)}`;
const bearer = { authorization: `Bearer ${SIGNUP_TOKEN}` };

/** The addresses the API fuzzer of issue #15 got answered 202, and the reason each must now be refused with. */
const FUZZER_FINDS: Array<[string, string]> = [
  ['ada\u0000@example.org', 'contains a control or bidirectional formatting character (U+0000)'],
  ['ada\u202e@example.org', 'contains a control or bidirectional formatting character (U+202E)'],
  ['<ada@example.org>', 'is wrapped in angle brackets; give the bare address'],
  ['mailto:ada@example.org', 'starts with a URL scheme (mailto:); give the bare address'],
  ['javascript:alert(1)//@x.org', 'starts with a URL scheme (javascript:); give the bare address'],
  ['ada@example..org', 'the domain has an empty label'],
  ['ada@-example.org', 'a domain label starts or ends with a hyphen'],
  ['ada@.example.org', 'the domain has an empty label'],
  ['ada@😀.example', 'the domain contains "😀", which is not a letter, digit or hyphen'],
];

/** `{"email":"ada<0xFF>@example.org"}`: a lenient decoder reads the byte as U+FFFD and the address passed. */
const INVALID_UTF8 = Buffer.concat([Buffer.from('{"email":"ada'), Buffer.from([0xff]), Buffer.from('@example.org"}')]);

describe('email validation at the API', () => {
  let env: TestWorkflowEnvironment;
  let testDb: TestDatabase;
  let database: DatabaseHandle;
  let app: FastifyInstance;

  beforeAll(async () => {
    [env, testDb] = await Promise.all([createDevServerEnv(), createTestDatabase()]);
    database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 2 });
    await migrateToLatest(database.db);
    app = buildApi({ config, temporal: env.client, db: database.db, logger: createLogger('silent') });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await Promise.all([env?.teardown(), testDb?.drop()]);
  });

  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });

  describe('POST /v1/signups', () => {
    it.each(FUZZER_FINDS)('answers 400 for %j naming the field email and the reason', async (email, reason) => {
      const res = await post('/v1/signups', JSON.stringify({ email, givenName: 'Ada' }), bearer);

      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'invalid signup', issues: [{ path: 'email', message: reason }] });
      expect(await workflowExists(env.client, workflowIdOf(email))).toBe(false);
    });

    it('answers 400 for a body that is not valid UTF-8, token or signature alike', async () => {
      const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(INVALID_UTF8).digest('hex')}`;
      for (const headers of [bearer, { 'x-signature': signature }]) {
        const res = await post('/v1/signups', INVALID_UTF8, headers);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({ error: 'request body is not valid UTF-8' });
      }
      expect(await workflowExists(env.client, workflowIdOf('ada\ufffd@example.org'))).toBe(false);
    });

    it('starts an IDN address under its punycode form, so both spellings are one contact (and a signature still verifies)', async () => {
      const body = JSON.stringify({ email: 'User@Bücher.de' });
      const signature = `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`;
      const first = await post('/v1/signups', body, { 'x-signature': signature });
      const workflowId = workflowIdOf('user@xn--bcher-kva.de');
      expect(first.statusCode).toBe(202);
      expect(first.json()).toEqual({ workflowId, status: 'started' });
      expect((await enrichmentInput(env.client, workflowId)).signup.email).toBe('user@xn--bcher-kva.de');

      const again = await post('/v1/signups', JSON.stringify({ email: 'user@XN--BCHER-KVA.de' }), bearer);
      expect(again.statusCode).toBe(202);
      expect(again.json()).toEqual({ workflowId, status: 'existing' });
    });
  });

  describe('webhooks', () => {
    it('NationBuilder: answers 400 naming the sender field and the reason for a bad email', async () => {
      const res = await post(
        '/v1/webhooks/nationbuilder',
        JSON.stringify(nationBuilderPersonCreated({ email: 'Ada@Example..org' })),
      );

      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        error: 'invalid NationBuilder person',
        issues: [{ path: 'payload.person.email', message: 'the domain has an empty label' }],
      });
    });

    it('Action Network: answers the element rejected, naming it and the reason for a bad email', async () => {
      const res = await post(
        `/v1/webhooks/action-network/${AN_SECRET}`,
        JSON.stringify([actionNetworkElement('osdi:submission', { email: 'mailto:an@example.org' })]),
      );

      // Accepted as a delivery (a bad element never heals, so a redelivery would not help), the element rejected.
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        results: [
          {
            index: 0,
            type: 'osdi:submission',
            status: 'rejected',
            reason: 'invalid event',
            issues: [
              {
                path: '0.osdi:submission.person.email_addresses.0.address',
                message: 'starts with a URL scheme (mailto:); give the bare address',
              },
            ],
          },
        ],
      });
      expect(await workflowExists(env.client, workflowIdOf('mailto:an@example.org'))).toBe(false);
    });

    it('answers 400 for a body that is not valid UTF-8 on every JSON route, before authentication reads it', async () => {
      const nationBuilder = Buffer.concat([
        Buffer.from(JSON.stringify(nationBuilderPersonCreated()).slice(0, -1)),
        Buffer.from(',"x":"\xff"}', 'latin1'),
      ]);
      for (const [url, payload, contentType] of [
        ['/v1/webhooks/nationbuilder', nationBuilder, 'application/json'],
        [`/v1/webhooks/action-network/${AN_SECRET}`, Buffer.from([0x5b, 0xc3, 0x28, 0x5d]), 'application/hal+json'],
      ] as const) {
        const res = await post(url, payload, { 'content-type': contentType });
        expect(res.statusCode, url).toBe(400);
        expect(res.json(), url).toEqual({ error: 'request body is not valid UTF-8' });
      }
    });
  });
});
