import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { backfill, backfillSummary } from '../../cli/backfill/backfill.js';
import type { BackfillRow } from '../../cli/backfill/backfill-row.js';
import { CsvHeaderError, mapHeader, type CsvSource } from '../../cli/backfill/column-aliases.js';
import { csvRows } from '../../cli/backfill/csv-rows.js';
import { jsonlRows } from '../../cli/backfill/jsonl-rows.js';
import { temporalStarter } from '../../cli/backfill/temporal-starter.js';
import { startUnlessOptedOut } from '../../client/list-opt-outs.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { findListStatuses } from '../../store/list-statuses.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';
import { enrichmentInput, workflowExists } from '../api/workflow-input.js';

const NB = 'tests/fixtures/exports/nationbuilder-people.csv';
const AN = 'tests/fixtures/exports/actionnetwork-activists.csv';

async function rowsOf(path: string, from?: CsvSource): Promise<BackfillRow[]> {
  const rows: BackfillRow[] = [];
  for await (const row of csvRows(Readable.from([await readFile(path, 'utf8')]), 'backfill', from)) rows.push(row);
  return rows;
}
const signups = (rows: BackfillRow[]) => rows.map((r) => ('signup' in r ? r : undefined));

describe('backfill of the lists’ own exports (read as they come)', () => {
  it('reads a NationBuilder people export: every address, phone and status column, several phones kept apart', async () => {
    const rows = await rowsOf(NB);
    expect(rows.every((r) => 'signup' in r)).toBe(true);
    const [ada, ben, cleo, dev, eve] = signups(rows);
    expect(ada?.signup).toEqual({
      email: 'ada.nb@example.org',
      givenName: 'Ada',
      familyName: 'Moreau',
      phone: '9195550100',
      mobilePhone: '9195550122',
      workPhone: '9195550111',
      postalAddress: {
        lines: ['12 Elm St', 'Apt 3'],
        locality: 'Raleigh',
        region: 'NC',
        postalCode: '27601',
        country: 'US',
      },
      source: 'backfill',
      consent: { socialProfiles: true, source: 'nationbuilder:tag:consent_social' },
    });
    expect(ada?.statuses).toEqual([{ status: 'subscribed', source: 'nationbuilder:email_opt_in' }]);
    // `email` blank: the next email column that has one.
    expect(ben?.signup.email).toBe('ben.nb@example.org');
    expect(ben?.signup.consent).toBeUndefined();
    expect(cleo?.statuses).toEqual([
      { status: 'do_not_contact', source: 'nationbuilder:do_not_contact' },
      { status: 'subscribed', source: 'nationbuilder:email_opt_in' },
    ]);
    expect(dev?.statuses).toEqual([{ status: 'unsubscribed', source: 'nationbuilder:unsubscribed_at' }]);
    expect(eve?.statuses).toEqual([{ status: 'deceased', source: 'nationbuilder:is_deceased' }]);
  });

  it('reads an Action Network export: can2_ address, state, phone and subscription columns', async () => {
    const rows = await rowsOf(AN);
    const [fay, gus, hana, ivo] = signups(rows);
    expect(fay?.signup).toMatchObject({
      email: 'fay.an@example.org',
      phone: '19195550133',
      postalAddress: { lines: ['12 Elm St'], locality: 'Raleigh', region: 'NC', postalCode: '27601' },
      consent: { socialProfiles: true, source: 'action_network:tag:consent_social' },
    });
    expect(fay?.statuses).toEqual([{ status: 'subscribed', source: 'action_network:can2_subscription_status' }]);
    expect(gus?.statuses?.map((s) => s.status)).toEqual(['unsubscribed']);
    // No abbreviation: the state column as written.
    expect(hana?.signup.postalAddress?.region).toBe('Illinois');
    expect(hana?.statuses?.map((s) => s.status)).toEqual(['bouncing']);
    expect(ivo?.statuses?.map((s) => s.status)).toEqual(['spam_complaint']);
  });

  it('needs --from only where the header alone is ambiguous, and says so', () => {
    const header = ['Email', 'State', 'can_state'];
    expect(() => mapHeader(['email', 'phone_number', 'phone'])).toThrow(CsvHeaderError);
    expect(() => mapHeader(['email', 'phone_number', 'phone'])).toThrow(/--from nationbuilder\|actionnetwork/);
    expect(mapHeader(['email', 'phone_number', 'phone'], 'actionnetwork').headers.phone).toBe('phone');
    expect(mapHeader(header).source).toBeUndefined();
    expect(mapHeader(['email', 'can2_phone']).source).toBe('actionnetwork');
    expect(mapHeader(['email', 'email1', 'mobile_number']).source).toBe('nationbuilder');
  });

  it('rejects a status it cannot read, naming the column, rather than guess', async () => {
    const rows: BackfillRow[] = [];
    const text = 'email,can2_subscription_status,do_not_contact\na@example.org,maybe,false\nb@example.org,,perhaps\n';
    for await (const row of csvRows(Readable.from([text]), 'backfill')) rows.push(row);
    expect(rows).toEqual([
      { line: 2, reason: 'can2_subscription_status: must be subscribed, unsubscribed, bouncing or spam complaints' },
      { line: 3, reason: 'do_not_contact: must be true or false (or yes/no, 1/0)' },
    ]);
  });

  it('reads listStatus beside a JSONL signup body', async () => {
    const rows: BackfillRow[] = [];
    const text =
      '{"email":"j@example.org","listStatus":"unsubscribed"}\n{"email":"k@example.org","listStatus":"gone"}\n';
    for await (const row of jsonlRows(Readable.from([text]), 'backfill')) rows.push(row);
    expect(rows[0]).toMatchObject({ statuses: [{ status: 'unsubscribed', source: 'jsonl:listStatus' }] });
    expect(rows[1]).toMatchObject({ line: 2, reason: expect.stringContaining('listStatus') as unknown });
  });
});

describe('backfill honours the lists’ opt-outs (real Temporal and Postgres)', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  const config = testConfig({ PSEUDONYM_KEY: 'backfill-exports-test-key-0123456789abcdef' });
  const keyOf = (email: string) => contactKeyFor(email, config.pseudonymKey);
  const started = (email: string) => workflowExists(env.client, `enrich-contact:${keyOf(email)}`);

  beforeAll(async () => {
    [env, harness] = await Promise.all([createDevServerEnv(), createEnrichmentHarness()]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close()]);
  });

  const gatedStart = () => {
    const plain = temporalStarter(env.client, config);
    return (signup: Parameters<typeof plain>[0], statuses: Parameters<typeof startUnlessOptedOut>[2]) =>
      startUnlessOptedOut(
        { db: harness.database.db, temporal: env.client, config },
        signup,
        statuses,
        'backfill',
        plain,
      );
  };

  it('starts the subscribed people of both exports with their addresses, and nobody who opted out', async () => {
    const nb = await backfill({
      input: createReadStream(NB),
      concurrency: 4,
      start: gatedStart(),
      honoursStatuses: true,
    });
    expect(backfillSummary(nb)).toEqual({ rows: 5, started: 2, existing: 0, rejected: 0, suppressed: 3 });
    const an = await backfill({
      input: createReadStream(AN),
      concurrency: 4,
      start: gatedStart(),
      honoursStatuses: true,
    });
    expect(backfillSummary(an)).toEqual({ rows: 4, started: 1, existing: 0, rejected: 0, suppressed: 3 });

    const ada = await enrichmentInput(env.client, `enrich-contact:${keyOf('ada.nb@example.org')}`);
    expect(ada.signup.postalAddress).toMatchObject({ locality: 'Raleigh', region: 'NC', postalCode: '27601' });
    for (const email of ['cleo.nb@example.org', 'dev.nb@example.org', 'eve.nb@example.org', 'gus.an@example.org'])
      expect(await started(email), email).toBe(false);
    expect(await findListStatuses(harness.database.db, keyOf('eve.nb@example.org'))).toEqual([
      { status: 'deceased', source: 'nationbuilder:is_deceased' },
    ]);
    // The same people in a later plain CSV, without any status: still not enriched.
    const later = await backfill({
      input: Readable.from(['email\ngus.an@example.org\n']),
      concurrency: 1,
      start: gatedStart(),
      honoursStatuses: true,
    });
    expect(backfillSummary(later)).toMatchObject({ started: 0, suppressed: 1 });
  });

  it('does not start an opted-out row even with a start that cannot record it', async () => {
    const result = await backfill({
      input: Readable.from(['{"email":"plain.unsub@example.org","listStatus":"unsubscribed"}\n']),
      concurrency: 1,
      start: temporalStarter(env.client, config),
    });
    expect(backfillSummary(result)).toMatchObject({ rows: 1, started: 0, suppressed: 1 });
    expect(await started('plain.unsub@example.org')).toBe(false);
  });
});
