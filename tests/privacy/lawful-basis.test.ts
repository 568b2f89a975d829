import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnrichContactInput, startEnrichment } from '../../client/start-enrichment.js';
import { waitForSettled } from '../../client/wait-for-settled.js';
import type { Config } from '../../config.js';
import type { DemoProviders } from '../../demo/servers/start-demo-providers.js';
import type { ContactRecord } from '../../schemas/contact-record.js';
import { SignupSchema, type Signup } from '../../schemas/signup.js';
import { findContactById } from '../../store/contacts.js';
import { listLookups } from '../../store/lookups.js';
import { startDemoPipeline, type DemoPipeline, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { testConfig } from '../support/test-config.js';

const KEY = 'k'.repeat(64);
const AT = new Date('2026-11-01T12:00:00.000Z');
const paris = { lines: ['27 rue Oberkampf'], postalCode: '75011', locality: 'Paris' };
const akron = { lines: ['482 W Market St'], postalCode: '44303', locality: 'Akron', region: 'OH', country: 'US' };
const plan = (env: Record<string, string>, signup: Signup) => buildEnrichContactInput(testConfig(env), KEY, signup, AT);

describe('jurisdiction defaults, decided when an enrichment starts', () => {
  it('needs consent for social lookups of a contact in France, whatever SOCIAL_LOOKUP_BASIS says', () => {
    const li = { SOCIAL_LOOKUP_BASIS: 'legitimate_interest' };
    expect(plan(li, { email: 'a@example.org', postalAddress: { ...paris, country: 'FR' } }).socialLookupBasis).toBe(
      'consent',
    );
    expect(plan(li, { email: 'a@example.org', postalAddress: akron }).socialLookupBasis).toBe('legitimate_interest');
    expect(plan(li, { email: 'a@example.org' }).socialLookupBasis).toBe('legitimate_interest');
  });

  it('needs consent for every contact of an operator in France, wherever the contact lives', () => {
    const frOperator = { SOCIAL_LOOKUP_BASIS: 'legitimate_interest', JURISDICTION: 'FR' };
    expect(plan(frOperator, { email: 'a@example.org', postalAddress: akron }).socialLookupBasis).toBe('consent');
    expect(plan(frOperator, { email: 'a@example.org' }).socialLookupBasis).toBe('consent');
  });

  it('takes an address without a country to be in the operator’s jurisdiction, so the workflow geocodes it with BAN', () => {
    const input = plan({ JURISDICTION: 'fr' }, { email: 'a@example.org', postalAddress: paris });
    expect(input.signup.postalAddress).toEqual({ ...paris, country: 'FR' });
    // A country the supporter gave is theirs; a signup without an address gets none.
    expect(
      plan({ JURISDICTION: 'FR' }, { email: 'a@example.org', postalAddress: akron }).signup.postalAddress?.country,
    ).toBe('US');
    expect(plan({ JURISDICTION: 'FR' }, { email: 'a@example.org' }).signup.postalAddress).toBeUndefined();
    // Without a jurisdiction the address stays as typed.
    expect(plan({}, { email: 'a@example.org', postalAddress: paris }).signup.postalAddress).toEqual(paris);
  });

  it('takes the consent-only jurisdictions from CONSENT_ONLY_JURISDICTIONS (none: only SOCIAL_LOOKUP_BASIS)', () => {
    const de = { email: 'a@example.org', postalAddress: { locality: 'Berlin', country: 'DE' } };
    expect(
      plan({ SOCIAL_LOOKUP_BASIS: 'legitimate_interest', CONSENT_ONLY_JURISDICTIONS: 'FR,DE' }, de).socialLookupBasis,
    ).toBe('consent');
    expect(
      plan(
        { SOCIAL_LOOKUP_BASIS: 'legitimate_interest', CONSENT_ONLY_JURISDICTIONS: 'none' },
        { ...de, postalAddress: { ...paris, country: 'FR' } },
      ).socialLookupBasis,
    ).toBe('legitimate_interest');
  });

  it('keeps where and how consent was captured: source, time and notice version', () => {
    const consent = {
      socialProfiles: true,
      at: '2026-11-01T12:00:00Z',
      noticeVersion: 'v3',
      source: 'form:petition-2026#consent_social',
    };
    expect(SignupSchema.parse({ email: 'a@example.org', consent }).consent).toEqual(consent);
    expect(
      SignupSchema.safeParse({ email: 'a@example.org', consent: { ...consent, source: 'x'.repeat(101) } }).success,
    ).toBe(false);
  });
});

/** The same, end to end: the real dev server, real Postgres and the demo providers. */
describe('jurisdiction and consent, end to end', () => {
  let pipeline: DemoPipeline;
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let demo: DemoProviders;
  let api: FastifyInstance;
  let config: Config;

  beforeAll(async () => {
    pipeline = await startDemoPipeline({
      JURISDICTION: 'FR',
      SOCIAL_LOOKUP_BASIS: 'legitimate_interest',
      API_TOKEN: 'api-token',
      SIGNUP_TOKEN: 'signup-token',
    });
    ({ env, harness, demo, api, config } = pipeline);
  });
  afterAll(() => pipeline?.close());

  it('looks a French supporter without consent up only in public records: BAN, never the Census, no social lookup', async () => {
    const socialBefore = ['gravatar', 'github', 'mastodon', 'bluesky'].map((n) => demo[n as 'gravatar'].requests());
    const started = await startEnrichment(env.client, config, {
      email: 'jules.martin@example.org',
      givenName: 'Jules',
      familyName: 'Martin',
      postalAddress: paris,
    });
    const view = await waitForSettled(env.client, started.workflowId);

    expect(view.lookups).toMatchObject({
      gravatar: { outcome: 'skipped', reason: 'no_lawful_basis' },
      github: { outcome: 'skipped', reason: 'no_lawful_basis' },
      mastodon: { outcome: 'skipped', reason: 'no_lawful_basis' },
      bluesky: { outcome: 'skipped', reason: 'no_lawful_basis' },
      census: { outcome: 'skipped', reason: 'missing_input' },
      fec: { outcome: 'skipped', reason: 'missing_input' },
      ban: { outcome: 'matched' },
    });
    expect(['gravatar', 'github', 'mastodon', 'bluesky'].map((n) => demo[n as 'gravatar'].requests())).toEqual(
      socialBefore,
    );
    const lookups = await listLookups(harness.database.db, started.contactKey);
    expect(lookups.find((l) => l.provider === 'gravatar')).toMatchObject({
      outcome: 'skipped',
      reason: 'no_lawful_basis',
    });
  });

  it('stores the consent a webhook carries (source, time, notice version) and shows it in the contact view', async () => {
    const consent = {
      socialProfiles: true,
      at: '2026-11-01T12:00:00.000Z',
      noticeVersion: 'v3',
      source: 'form:petition-2026#consent_social',
    };
    const res = await api.inject({
      method: 'POST',
      url: '/v1/signups',
      payload: JSON.stringify({
        email: 'chloe.dubois@example.com',
        givenName: 'Chloé',
        consent,
        postalAddress: { ...paris, country: 'FR' },
      }),
      headers: { 'content-type': 'application/json', authorization: 'Bearer signup-token' },
    });
    expect(res.statusCode).toBe(202);
    const { workflowId } = res.json<{ workflowId: string }>();
    const view = await waitForSettled(env.client, workflowId);
    expect(view.lookups.gravatar?.outcome).not.toBe('skipped');

    const contactKey = workflowId.replace('enrich-contact:', '');
    expect((await findContactById(harness.database.db, contactKey))?.consent).toEqual(consent);
    const read = await api.inject({
      method: 'GET',
      url: `/v1/contacts/${contactKey}`,
      headers: { authorization: 'Bearer api-token' },
    });
    expect(read.json<ContactRecord>().consent).toEqual(consent);
  });
});
