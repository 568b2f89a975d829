import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { upsertContact, findContactById } from '../../store/contacts.js';
import { findListStatuses } from '../../store/list-statuses.js';
import { findSuppression } from '../../store/privacy.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';
import { AN_SECRET, NATION_TOKEN, actionNetworkElement, nationBuilderPersonCreated } from './webhook-payloads.js';
import { enrichmentInput, workflowExists } from './workflow-input.js';

const config = testConfig({
  SIGNUP_TOKEN: 'signup-token-for-tests',
  NATIONBUILDER_WEBHOOK_TOKEN: NATION_TOKEN,
  ACTION_NETWORK_WEBHOOK_SECRET: AN_SECRET,
  API_START_TIMEOUT_MS: '3000',
});
const keyOf = (email: string) => contactKeyFor(email, config.pseudonymKey);
const workflowIdOf = (email: string) => `enrich-contact:${keyOf(email)}`;

/** What the API logged, as text: the test greps it. */
const logged: string[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString());
      done();
    },
  }),
);

/** A NationBuilder webhook of payload version 3: `payload.signup`, as NationBuilder's older samples show it. */
function nationBuilderLegacySignup(overrides: Record<string, unknown> = {}) {
  return {
    token: NATION_TOKEN,
    payload: {
      signup: {
        nationbuilder_id: 65536,
        first_name: 'John',
        last_name: 'Doe',
        email1: 'legacy.john@example.org',
        email2: null,
        email_opt_in: true,
        phone_number: '2125550100',
        work_phone_number: '2125550111',
        mobile_number: '9175550122',
        do_not_contact: false,
        is_deceased: false,
        unsubscribed_at: null,
        tag_list: 'donor, consent_social',
        address: { address1: '1 Main St', city: 'Pasadena', state: 'CA', zip: '91101', country_code: 'US' },
        ...overrides,
      },
    },
  };
}

describe("the lists' own opt-outs at the webhooks", () => {
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

  const postJson = (url: string, body: unknown) =>
    app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  const db = () => harness.database.db;

  it('does not enrich a NationBuilder person who is do-not-contact, deceased or unsubscribed, and records why', async () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['nb.dnc@example.org', { do_not_contact: true }, 'nationbuilder:do_not_contact'],
      ['nb.deceased@example.org', { is_deceased: true }, 'nationbuilder:is_deceased'],
      ['nb.unsub@example.org', { unsubscribed_at: '2025-01-02T03:04:05-05:00' }, 'nationbuilder:unsubscribed_at'],
    ];
    for (const [email, flags, source] of cases) {
      const res = await postJson('/v1/webhooks/nationbuilder', nationBuilderPersonCreated({ email, ...flags }));
      expect(res.statusCode, email).toBe(202);
      expect(res.json()).toMatchObject({ status: 'suppressed' });
      expect(await workflowExists(env.client, workflowIdOf(email)), email).toBe(false);
      expect(await findSuppression(db(), keyOf(email))).toBe('opt_out');
      expect((await findListStatuses(db(), keyOf(email))).map((s) => s.source)).toContain(source);
    }
    const audit = await db()
      .selectFrom('audit_log')
      .select(['actor', 'action', 'detail'])
      .where('subject_key', '=', keyOf('nb.dnc@example.org'))
      .execute();
    expect(audit).toContainEqual(
      expect.objectContaining({ actor: 'nationbuilder', action: 'list_opt_out' }) as unknown,
    );
  });

  it('marks what is held about a person when their list later says unsubscribed, and never starts them again', async () => {
    const email = 'an.later@example.org';
    await upsertContact(db(), {
      id: keyOf(email),
      signup: { email, source: 'action_network:submission' },
      workflowId: workflowIdOf(email),
    });
    const url = `/v1/webhooks/action-network/${AN_SECRET}`;
    const res = await postJson(url, [
      actionNetworkElement('action_network:upload', { email, status: 'unsubscribed' }),
      actionNetworkElement('action_network:upload', { email: 'an.bouncing@example.org', status: 'bouncing' }),
      actionNetworkElement('action_network:upload', { email: 'an.fine@example.org' }),
    ]);
    expect(res.statusCode).toBe(202);
    expect(res.json<{ results: Array<{ status: string }> }>().results.map((r) => r.status)).toEqual([
      'suppressed',
      'suppressed',
      'started',
    ]);
    expect((await findContactById(db(), keyOf(email)))?.status).toBe('suppressed');
    expect(await findListStatuses(db(), keyOf('an.bouncing@example.org'))).toEqual([
      { status: 'bouncing', source: 'action_network:action_network:upload.person.email_addresses.status' },
    ]);
    expect(await workflowExists(env.client, workflowIdOf('an.bouncing@example.org'))).toBe(false);
    // A later "subscribed" delivery does not lift the opt-out: the most restrictive word stands.
    const again = await postJson(url, [actionNetworkElement('osdi:submission', { email, status: 'subscribed' })]);
    expect(again.json<{ results: Array<{ status: string }> }>().results[0]?.status).toBe('suppressed');
    expect(await workflowExists(env.client, workflowIdOf(email))).toBe(false);
  });

  it('maps a NationBuilder payload of version 3 or below (payload.signup) instead of ignoring it', async () => {
    const res = await postJson('/v1/webhooks/nationbuilder', nationBuilderLegacySignup());
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ status: 'started' });
    const input = await enrichmentInput(env.client, workflowIdOf('legacy.john@example.org'));
    expect(input.signup).toMatchObject({
      email: 'legacy.john@example.org',
      givenName: 'John',
      familyName: 'Doe',
      phone: '2125550100',
      mobilePhone: '9175550122',
      workPhone: '2125550111',
      postalAddress: { lines: ['1 Main St'], locality: 'Pasadena', region: 'CA', postalCode: '91101', country: 'US' },
      source: 'nationbuilder',
      consent: { socialProfiles: true, source: 'nationbuilder:tag:consent_social' },
    });
    const dnc = await postJson(
      '/v1/webhooks/nationbuilder',
      nationBuilderLegacySignup({ email1: 'legacy.dnc@example.org', do_not_contact: true }),
    );
    expect(dnc.json()).toMatchObject({ status: 'suppressed' });
    const bad = await postJson('/v1/webhooks/nationbuilder', nationBuilderLegacySignup({ email1: 'not-an-email' }));
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ issues: [{ path: 'payload.signup.email1' }] });
  });

  it('never writes the Action Network path secret to the log, nor the values of a rejected element', async () => {
    logged.length = 0;
    await postJson(`/v1/webhooks/action-network/${AN_SECRET}`, [
      actionNetworkElement('osdi:submission', { email: 'secret.grep@example.org', country: 'Narnia' }),
    ]);
    await postJson(`/v1/webhooks/action-network/${AN_SECRET}/extra?token=${AN_SECRET}`, []);
    await postJson(`/v1/webhooks/action-network/wrong-${AN_SECRET}`, []);
    const text = logged.join('');
    expect(text).toContain('/v1/webhooks/action-network/[redacted]');
    expect(text).toContain('"reason":"invalid event"');
    expect(text).not.toContain(AN_SECRET);
    expect(text).not.toContain('secret.grep@example.org');
    expect(text).not.toContain('Narnia');
  });
});
