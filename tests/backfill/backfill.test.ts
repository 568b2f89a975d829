import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { backfill, backfillSummary, type BackfillOptions } from '../../cli/backfill/backfill.js';
import { backfillClient, temporalStarter } from '../../cli/backfill/temporal-starter.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import type { Config } from '../../config.js';
import { enrichmentInput, workflowExists } from '../api/workflow-input.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';

/** Each test its own pseudonym key, so the same emails are new supporters to it. */
const configFor = (name: string): Config => testConfig({ PSEUDONYM_KEY: `backfill-test-key-${name}-0123456789` });
const workflowIdOf = (config: Config, email: string) => `enrich-contact:${contactKeyFor(email, config.pseudonymKey)}`;

describe('backfill', () => {
  let env: TestWorkflowEnvironment;
  let dir: string;

  beforeAll(async () => {
    [env, dir] = await Promise.all([createDevServerEnv(), mkdtemp(join(tmpdir(), 'enrich-backfill-'))]);
  });
  afterAll(async () => {
    await env?.teardown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const run = (config: Config, input: BackfillOptions['input'], extra: Partial<BackfillOptions> = {}) =>
    backfill({ input, concurrency: 8, start: temporalStarter(env.client, config), ...extra });
  const file = async (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    await writeFile(path, content);
    return path;
  };

  it('starts every supporter of the demo CSV, and a re-run starts nothing and finds them all', async () => {
    const config = configFor('demo');
    const first = await run(config, createReadStream('demo/supporters.csv'), { format: 'csv' });
    expect(backfillSummary(first)).toEqual({ rows: 50, started: 50, existing: 0, rejected: 0, suppressed: 0 });
    expect(first).toMatchObject({ format: 'csv', encoding: 'utf-8', interrupted: false, notStarted: 0 });

    const dana = await enrichmentInput(env.client, workflowIdOf(config, 'dana.ruiz@example.org'));
    expect(dana.signup).toEqual({
      email: 'dana.ruiz@example.org',
      givenName: 'Dana',
      familyName: 'Ruiz',
      birthYear: 1988,
      postalAddress: {
        lines: ['1187 Neil Ave'],
        locality: 'Columbus',
        region: 'OH',
        postalCode: '43201',
        country: 'US',
      },
      source: 'backfill',
      consent: { socialProfiles: true },
    });
    const omar = await enrichmentInput(env.client, workflowIdOf(config, 'omar.haddad@example.net'));
    expect(omar.signup.consent).toEqual({ socialProfiles: false });

    const again = await run(config, createReadStream('demo/supporters.csv'));
    expect(backfillSummary(again)).toEqual({ rows: 50, started: 0, existing: 50, rejected: 0, suppressed: 0 });
  });

  it('starts a new run for a supporter whose enrichment finished with reenrich, and leaves running ones alone', async () => {
    const config = configFor('reenrich');
    const csv = () => Readable.from(['email,given_name\nre.done@example.org,Done\nre.running@example.org,Running\n']);
    expect(backfillSummary(await run(config, csv(), { format: 'csv' }))).toMatchObject({ started: 2, existing: 0 });
    // One finishes (here: terminated); the other is still running.
    await env.client.workflow.getHandle(workflowIdOf(config, 're.done@example.org')).terminate('finished for the test');

    const plain = await run(config, csv(), { format: 'csv' });
    expect(backfillSummary(plain)).toMatchObject({ started: 0, existing: 2 });
    const again = await backfill({
      input: csv(),
      format: 'csv',
      concurrency: 2,
      start: temporalStarter(env.client, config, undefined, { reenrich: true }),
    });
    expect(backfillSummary(again)).toMatchObject({ started: 1, existing: 1 });
    // The latest run of the finished supporter is a new one, running.
    expect(
      (await env.client.workflow.getHandle(workflowIdOf(config, 're.done@example.org')).describe()).status.name,
    ).toBe('RUNNING');
  });

  it('writes each bad row to the rejects file with its line and a reason naming the column as the header writes it', async () => {
    const config = configFor('rejects');
    const csv = [
      'Email Address,First Name,Surname,Street,City,State,Zip,Country,Birth Year,consent_social,Notes',
      'good.one@example.org,Good,One,1 Main St,Raleigh,NC,27601,US,1980,yes,first',
      'not-an-email,Bad,Email,,,,,,,,',
      'bad.country@example.org,Bad,Country,,,,,USA,,,',
      'bad.year@example.org,Bad,Year,,,,,,1700,,',
      'too.few@example.org,Too,Few',
      'bad.consent@example.org,Bad,Consent,,,,,,,maybe,',
      '',
      'good.two@example.org,"Good","Two, Jr.","2 Oak St',
      'Unit 5",Durham,NC,27705,us,,0,"multi-line street above"',
      ',No,Email,,,,,,,,',
      'good.three@example.org,Good,Three,,,,,,,,',
    ].join('\n');
    const rejectsPath = join(dir, 'rejects.csv');
    const result = await run(config, createReadStream(await file('with-rejects.csv', csv)), { rejectsPath });
    expect(backfillSummary(result)).toEqual({ rows: 9, started: 3, existing: 0, rejected: 6, suppressed: 0 });
    expect(await readFile(rejectsPath, 'utf8')).toBe(
      [
        'line,reason',
        '3,Email Address: must be an email address',
        '4,Country: must be an ISO 3166-1 alpha-2 code',
        '5,Birth Year: Too small: expected number to be >=1900',
        '6,"row: has 3 fields, the header has 11"',
        '7,"consent_social: must be true or false (or yes/no, 1/0)"',
        '11,Email Address: is empty',
        '',
      ].join('\n'),
    );
    const two = await enrichmentInput(env.client, workflowIdOf(config, 'good.two@example.org'));
    expect(two.signup).toMatchObject({
      familyName: 'Two, Jr.',
      // A cell of two lines is two address lines.
      postalAddress: { lines: ['2 Oak St', 'Unit 5'], country: 'US' },
      consent: { socialProfiles: false },
    });
    expect(await workflowExists(env.client, workflowIdOf(config, 'bad.country@example.org'))).toBe(false);
  });

  it('stops when aborted, with the starts in flight finished, and a re-run resumes where it stopped', async () => {
    const config = configFor('resume');
    const rows = Array.from({ length: 60 }, (_, i) => `resume.${i}@example.org,Row,${i}`);
    const path = await file('resume.csv', ['email,first_name,last_name', ...rows].join('\n'));

    const controller = new AbortController();
    const first = await run(config, createReadStream(path), {
      concurrency: 4,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.started >= 20) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.notStarted).toBe(0);
    expect(first.started).toBeGreaterThanOrEqual(20);
    expect(first.started).toBeLessThan(60);
    expect(first.rows).toBe(first.started); // every row read was started: none was dropped in flight

    const second = await run(config, createReadStream(path));
    expect(backfillSummary(second)).toEqual({
      rows: 60,
      started: 60 - first.started,
      existing: first.started,
      rejected: 0,
      suppressed: 0,
    });
    for (const i of [0, 59])
      expect(await workflowExists(env.client, workflowIdOf(config, `resume.${i}@example.org`))).toBe(true);
  });

  it('reads a Latin-1 (Windows-1252) file', async () => {
    const config = configFor('latin1');
    const text =
      'email,given_name,family_name,city,country\nchloe.dubois@example.com,Chloé,Dubois,Nantes,FR\nzoe.muller@example.org,Zoë,Müller ’s,Köln,DE\n';
    const bytes = Buffer.from(text.replace('’', '\u0092'), 'latin1');
    expect(bytes.includes(Buffer.from('é', 'utf8'))).toBe(false);
    const result = await run(config, createReadStream(await file('latin1.csv', bytes)));
    expect(result).toMatchObject({ encoding: 'latin-1', rows: 2, started: 2, rejected: 0 });
    const zoe = await enrichmentInput(env.client, workflowIdOf(config, 'zoe.muller@example.org'));
    expect(zoe.signup).toMatchObject({
      givenName: 'Zoë',
      familyName: 'Müller ’s',
      postalAddress: { locality: 'Köln', country: 'DE' },
    });
    const chloe = await enrichmentInput(env.client, workflowIdOf(config, 'chloe.dubois@example.com'));
    expect(chloe.signup.givenName).toBe('Chloé');
  });

  it('reads JSONL (each line a signup body, told from CSV by its first character) and rejects bad lines', async () => {
    const config = configFor('jsonl');
    const lines = [
      JSON.stringify({
        email: 'json.one@example.org',
        givenName: 'Jay',
        consent: { socialProfiles: true, at: '2025-01-02T03:04:05Z' },
      }),
      '',
      '{"email": "json.two@example.org", "postalAddress": {"postalCode": "27601", "country": "US"}, "source": "old-crm"}',
      '{"email": "json.bad@example.org", "postalAddress": {"country": "USA"}}',
      '{"email": ',
      '["not", "an", "object"]',
      '{"givenName": "No email"}',
    ].join('\r\n');
    const rejectsPath = join(dir, 'jsonl-rejects.csv');
    const result = await run(config, Readable.from([Buffer.from(lines)]), { rejectsPath });
    expect(result.format).toBe('jsonl');
    expect(backfillSummary(result)).toEqual({ rows: 6, started: 2, existing: 0, rejected: 4, suppressed: 0 });
    expect((await readFile(rejectsPath, 'utf8')).split('\n')).toEqual([
      'line,reason',
      '4,postalAddress.country: must be an ISO 3166-1 alpha-2 code',
      '5,line: not valid JSON',
      '6,line: must be a JSON object (one signup body per line)',
      '7,email: is required',
      '',
    ]);
    expect((await enrichmentInput(env.client, workflowIdOf(config, 'json.one@example.org'))).signup).toMatchObject({
      givenName: 'Jay',
      source: 'backfill',
      consent: { socialProfiles: true },
    });
    expect((await enrichmentInput(env.client, workflowIdOf(config, 'json.two@example.org'))).signup.source).toBe(
      'old-crm',
    );
  });

  it('starts nothing in a dry run, and still writes the rejects', async () => {
    const config = configFor('dry');
    const rejectsPath = join(dir, 'dry-rejects.csv');
    const result = await backfill({
      input: Readable.from(['email\ndry.one@example.org\nnope\n']),
      concurrency: 4,
      dryRun: true,
      rejectsPath,
    });
    expect(result).toMatchObject({ rows: 2, valid: 1, rejected: 1, started: 0, existing: 0 });
    expect(await readFile(rejectsPath, 'utf8')).toBe('line,reason\n3,email: must be an email address\n');
    expect(await workflowExists(env.client, workflowIdOf(config, 'dry.one@example.org'))).toBe(false);
  });

  it('retries a start Temporal does not acknowledge, then counts every valid row not started instead of dropping it', async () => {
    const config = configFor('unreachable');
    const unreachable = backfillClient('127.0.0.1:1', config);
    try {
      let attempts = 0;
      const start = temporalStarter(unreachable, config, 2000);
      const result = await backfill({
        input: Readable.from(['email\n', ...Array.from({ length: 30 }, (_, i) => `down.${i}@example.org\n`), 'bad\n']),
        concurrency: 2,
        start: (signup) => {
          attempts++;
          return start(signup);
        },
        retry: { attempts: 3, initialDelayMs: 10, maxDelayMs: 20 },
      });
      expect(result).toMatchObject({ rows: 31, started: 0, existing: 0, rejected: 1, notStarted: 30 });
      expect(result.startError).toMatch(/not acknowledged after 3 attempt\(s\)/);
      // The rows in flight when Temporal was found down were tried 3 times; later rows were not tried at all.
      expect(attempts).toBeLessThanOrEqual(3 * 3);
    } finally {
      await unreachable.connection.close();
    }
  });
});
