import { createHmac } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../../api/build-api.js';
import { createLogger } from '../../logger.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';
import { AN_SECRET, NATION_TOKEN, actionNetworkElement, nationBuilderPersonCreated } from './webhook-payloads.js';

const SIGNUP_TOKEN = 'signup-token-for-fuzzing';
const WEBHOOK_SECRET = 'webhook-secret-for-fuzzing';
const config = testConfig({
  SIGNUP_TOKEN,
  WEBHOOK_SECRET,
  NATIONBUILDER_WEBHOOK_TOKEN: NATION_TOKEN,
  ACTION_NETWORK_WEBHOOK_SECRET: AN_SECRET,
  API_BODY_LIMIT_BYTES: '8192',
  // Starts go to a real server that may be slow on a loaded machine; a 503 here would be the machine, not the input.
  API_START_TIMEOUT_MS: '20000',
});

const GENERIC = '/v1/signups';
const NATIONBUILDER = '/v1/webhooks/nationbuilder';
const ACTION_NETWORK = `/v1/webhooks/action-network/${AN_SECRET}`;
const CONTENT_TYPES = [
  'application/json',
  'application/hal+json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
];

/** Values of every JSON type, including the awkward ones: huge and negative numbers, deep nesting, odd strings. */
const anyJson = fc.jsonValue({ maxDepth: 4 });
/** Email-ish strings: valid addresses, near misses and junk. */
const emailish = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom('a@b', '@example.org', 'x@example.org ', 'ADA@EXAMPLE.ORG', 'a..b@example.org', ''),
  fc.string({ maxLength: 20 }),
);

/** A valid body with some of its fields (at any depth of `keys`) replaced by arbitrary values or removed. */
function mutated<T extends Record<string, unknown>>(base: () => T, keys: readonly string[]) {
  return fc
    .array(fc.tuple(fc.constantFrom(...keys), fc.option(anyJson, { nil: undefined })), { maxLength: 4 })
    .map((changes) => {
      const body = base() as Record<string, unknown>;
      for (const [path, value] of changes) {
        const parts = path.split('.');
        let target: Record<string, unknown> = body;
        for (const part of parts.slice(0, -1)) {
          const next = target[part];
          if (typeof next !== 'object' || next === null) break;
          target = next as Record<string, unknown>;
        }
        if (value === undefined) delete target[parts.at(-1)!];
        else target[parts.at(-1)!] = value;
      }
      return body;
    });
}

const personKeys = Object.keys(nationBuilderPersonCreated().payload.person).map((k) => `payload.person.${k}`);
const nationBuilderBody = mutated(
  () => nationBuilderPersonCreated(),
  [
    'nation_slug',
    'payload',
    'payload.person',
    'version',
    ...personKeys,
    'payload.person.primary_address.country_code',
    'payload.person.primary_address.zip',
    'payload.person.primary_address.address1',
  ],
);

const anElement = actionNetworkElement('osdi:submission', {
  given: 'Ana',
  family: 'Lee',
  email: 'fuzz.an@example.org',
  customFields: { consent_social: 'yes' },
});
const actionNetworkBody = fc
  .array(
    fc.oneof(
      mutated(
        () => structuredClone(anElement) as Record<string, unknown>,
        [
          'idempotency_key',
          'osdi:submission',
          'osdi:submission.person',
          'osdi:submission.created_date',
          'osdi:submission.person.email_addresses',
          'osdi:submission.person.postal_addresses',
          'osdi:submission.person.custom_fields',
          'osdi:submission.person.given_name',
          'osdi:submission.person.birthdate',
        ],
      ),
      anyJson,
    ),
    { maxLength: 4 },
  )
  .chain((elements) => fc.constantFrom<unknown>(elements, elements[0], { ...elements }));

/** Mostly a plausible value, sometimes anything: so that some bodies validate and reach Temporal, and most do not. */
const plausible = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 8, arbitrary: value }, { weight: 1, arbitrary: anyJson });
const word = fc.stringMatching(/^[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ .'-]{0,20}$/);
const genericBody = fc.record(
  {
    email: fc.oneof(
      { weight: 6, arbitrary: fc.emailAddress() },
      { weight: 1, arbitrary: emailish },
      { weight: 1, arbitrary: anyJson },
    ),
    givenName: plausible(word),
    familyName: plausible(fc.oneof(word, fc.string({ maxLength: 120 }))),
    phone: plausible(fc.stringMatching(/^\+?[0-9 ()-]{1,20}$/)),
    birthYear: plausible(fc.oneof(fc.integer({ min: 1900, max: 2100 }), fc.integer(), fc.string({ maxLength: 6 }))),
    postalAddress: plausible(
      fc.record(
        {
          lines: plausible(fc.array(word, { maxLength: 5 })),
          locality: plausible(word),
          country: plausible(fc.constantFrom('US', 'fr', 'USA', '')),
          postalCode: plausible(fc.stringMatching(/^[0-9A-Z -]{1,12}$/)),
        },
        { requiredKeys: [] },
      ),
    ),
    source: plausible(word),
    consent: plausible(
      fc.record(
        {
          socialProfiles: plausible(fc.boolean()),
          at: plausible(
            fc.oneof(
              fc
                .date({ noInvalidDate: true, min: new Date(0), max: new Date('2999-12-31') })
                .map((d) => d.toISOString()),
              fc.string({ maxLength: 25 }),
            ),
          ),
          noticeVersion: plausible(word),
          source: plausible(word),
        },
        { requiredKeys: ['socialProfiles'] },
      ),
    ),
  },
  { requiredKeys: ['email'] },
);

/** The statuses each test saw, so it can show the inputs reached past the first check (202s and 400s, not only 401s). */
let seen = new Set<number>();

/** The contract: an answer in 2xx or 4xx, never a 5xx, whatever was posted. */
function expectHandled(res: LightMyRequestResponse): void {
  seen.add(res.statusCode);
  expect(res.statusCode, res.body.slice(0, 300)).toBeGreaterThanOrEqual(200);
  expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
}

describe('webhook bodies (fuzzed): every input gets a 2xx or a 4xx, never a 5xx or a crash', () => {
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

  beforeEach(() => {
    seen = new Set();
  });

  const post = (url: string, payload: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });
  const bearer = { authorization: `Bearer ${SIGNUP_TOKEN}` };

  it('POST /v1/signups: signup-shaped bodies, any JSON, and signed bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ weight: 3, arbitrary: genericBody }, { weight: 1, arbitrary: anyJson }),
        fc.boolean(),
        async (body, signed) => {
          const raw = JSON.stringify(body) ?? 'null';
          const headers = signed
            ? { 'x-signature': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex')}` }
            : bearer;
          expectHandled(await post(GENERIC, raw, headers));
        },
      ),
      // The examples always run, so both answer classes asserted below are reached on every run.
      {
        numRuns: 120,
        examples: [
          [{ email: 'fuzz.valid@example.org' }, false],
          [{ email: 'not an email' }, true],
        ],
      },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining([202, 400]));
  });

  it('POST /v1/webhooks/nationbuilder: valid deliveries with fields replaced or removed, and any JSON with the token', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          nationBuilderBody,
          anyJson.map((payload) => ({ token: NATION_TOKEN, payload })),
        ),
        async (body) => {
          expectHandled(await post(NATIONBUILDER, JSON.stringify(body)));
        },
      ),
      { numRuns: 120, examples: [[nationBuilderPersonCreated()], [{ token: NATION_TOKEN, payload: null }]] },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining([202, 400]));
  });

  it('POST /v1/webhooks/action-network/:secret: arrays of mangled events, single events, and any JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(actionNetworkBody, anyJson), async (body) => {
        expectHandled(await post(ACTION_NETWORK, JSON.stringify(body) ?? 'null'));
      }),
      { numRuns: 120, examples: [[[structuredClone(anElement)]], [{ not: 'an event' }]] },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining([202, 400]));
  });

  it('every endpoint: arbitrary bytes under any content type, authenticated or not', async () => {
    const urls = [GENERIC, NATIONBUILDER, ACTION_NETWORK, '/v1/webhooks/action-network/wrong-secret'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...urls),
        fc.oneof(
          fc.uint8Array({ maxLength: 256 }),
          fc.string({ unit: 'binary', maxLength: 256 }).map((s) => new Uint8Array(Buffer.from(s))),
          fc.constant(new Uint8Array(9000)),
        ),
        fc.constantFrom(...CONTENT_TYPES),
        fc.boolean(),
        async (url, bytes, contentType, authenticated) => {
          expectHandled(
            await post(url, Buffer.from(bytes), { 'content-type': contentType, ...(authenticated ? bearer : {}) }),
          );
        },
      ),
      {
        numRuns: 150,
        // Random bytes alone may never reach the auth check (most are refused earlier as bad JSON or content type):
        // these examples always run, so each answer class below is exercised on every run.
        examples: [
          [GENERIC, new Uint8Array(Buffer.from('{}')), 'application/json', false],
          ['/v1/webhooks/action-network/wrong-secret', new Uint8Array(Buffer.from('{}')), 'application/json', true],
          [GENERIC, new Uint8Array(Buffer.from('{')), 'application/json', true],
          [NATIONBUILDER, new Uint8Array(Buffer.from('a=b')), 'application/x-www-form-urlencoded', true],
          [ACTION_NETWORK, new Uint8Array(9000), 'application/json', true],
        ],
      },
    );
    expect([...seen].sort()).toEqual(expect.arrayContaining([400, 401, 413, 415]));
  });
});
