import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../dev/start-dev-stack.js';
import { createLogger } from '../../logger.js';
import { ContactRecordSchema } from '../../schemas/contact-record.js';
import { freePort } from '../support/free-port.js';

const run = promisify(execFile);
const ENRICH = fileURLToPath(new URL('../../bin/enrich.js', import.meta.url));

/**
 * The README's quickstart, end to end: `enrich dev --demo` (here in-process, headless, on free ports and a
 * temporary data folder), a signup through the API and one through `enrich signup`, then `enrich contact`.
 */
describe('enrich dev --demo', () => {
  let dir: string;
  let stack: DevStack;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-e2e-'));
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? dir,
      PGLITE_DIR: join(dir, 'pglite'),
      TEMPORAL_DB_FILE: join(dir, 'temporal.db'),
      TEMPORAL_PORT: String(await freePort()),
      API_PORT: '0',
      PSEUDONYM_KEY: 'e2e-pseudonym-key-0123456789',
      RETRY_INITIAL_INTERVAL_MS: '100',
      RETRY_MAXIMUM_INTERVAL_MS: '300',
      PROVIDER_GRAVATAR_MAX_ATTEMPTS: '3',
      LOG_LEVEL: 'warn',
    };
    stack = await startDevStack({ env, demo: true, logger: createLogger('warn', 'e2e'), headless: true });
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const enrich = (...args: string[]) => run(process.execPath, [ENRICH, ...args], { env, timeout: 60_000 });

  async function contactThroughApi(email: string) {
    const res = await fetch(`${stack.apiUrl}/v1/contacts/${encodeURIComponent(email)}`, {
      headers: { authorization: `Bearer ${stack.apiToken}` },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('enriches a signup posted to the API within seconds', async () => {
    const res = await fetch(`${stack.apiUrl}/v1/signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.signupToken}` },
      body: JSON.stringify({
        email: 'dana.ruiz@example.org',
        givenName: 'Dana',
        familyName: 'Ruiz',
        consent: { socialProfiles: true },
      }),
    });
    expect(res.status).toBe(202);
    let contact = await contactThroughApi('dana.ruiz@example.org');
    // 404 until the workflow's first activity stores the contact, then running until the merge.
    for (let i = 0; i < 100 && (contact.status === 404 || contact.body.status === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      contact = await contactThroughApi('dana.ruiz@example.org');
    }
    const record = ContactRecordSchema.parse(contact.body);
    expect(record.status).toBe('enriched');
    expect(record.profiles.map((p) => p.network)).toEqual(expect.arrayContaining(['github', 'gravatar']));
    expect(record.work.title).toBe('Program Manager');
    expect(record.provenance['work.title']?.[0]?.provider).toBe('gravatar');
  });

  it('runs `enrich signup --wait` and `enrich contact` against the running stack', async () => {
    const signup = await enrich('signup', 'fiona.flaky@example.org', '--consent-social', '--wait');
    const started = JSON.parse(signup.stdout) as { workflowId: string; status: string; result: { status: string } };
    expect(started.workflowId).toMatch(/^enrich-contact:[0-9a-f]{64}$/);
    expect(started.result.status).toBe('flagged');

    const contact = await enrich('contact', 'fiona.flaky@example.org');
    const record = ContactRecordSchema.parse(JSON.parse(contact.stdout));
    expect(record.status).toBe('flagged');
    expect(record.lookups.gravatar).toMatchObject({ outcome: 'failed', attempts: 3 });
  });

  it('lists the flagged contact with `enrich flagged` and retries it with `enrich retry`', async () => {
    const flagged = JSON.parse((await enrich('flagged', '--json')).stdout) as Array<{
      email: string;
      provider: string;
      errorType: string;
    }>;
    expect(flagged).toContainEqual(
      expect.objectContaining({
        email: 'fiona.flaky@example.org',
        provider: 'gravatar',
        errorType: 'ProviderUnavailable',
      }),
    );
    expect((await enrich('flagged')).stdout).toMatch(
      /fiona\.flaky@example\.org\s+enrich-contact:[0-9a-f]{64}\n\s+gravatar\s+ProviderUnavailable/,
    );

    const before = stack.demo!.gravatar.requests();
    // Her workflow is still open (flagged, waiting for scheduled retries): the update re-runs the lookup now.
    const retried = JSON.parse((await enrich('retry', 'fiona.flaky@example.org')).stdout) as Array<{
      action: string;
      status: string;
    }>;
    expect(retried).toEqual([expect.objectContaining({ action: 'retried', status: 'flagged' })]);
    expect(stack.demo!.gravatar.requests() - before).toBe(3);
  });

  it('sends `enrich signup` through the dev stack API, which answers `suppressed` for an erased person', async () => {
    const first = JSON.parse((await enrich('signup', 'erin.erased@example.org')).stdout) as Record<string, string>;
    expect(first).toMatchObject({ status: 'started', workflowId: `enrich-contact:${first.contactKey}` });
    let contact = await contactThroughApi('erin.erased@example.org');
    for (let i = 0; i < 100 && (contact.status === 404 || contact.body.status === 'running'); i++) {
      await new Promise((r) => setTimeout(r, 200));
      contact = await contactThroughApi('erin.erased@example.org');
    }
    const erase = await fetch(`${stack.apiUrl}/v1/contacts/erin.erased%40example.org`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${stack.apiToken}` },
    });
    expect(erase.status).toBe(202);
    for (let i = 0; i < 100 && contact.status !== 404; i++) {
      await new Promise((r) => setTimeout(r, 200));
      contact = await contactThroughApi('erin.erased@example.org');
    }
    expect(contact.status).toBe(404);
    // Only the API sees the suppression list: straight to Temporal, this start would have been `existing`.
    const again = JSON.parse((await enrich('signup', 'erin.erased@example.org')).stdout) as Record<string, string>;
    expect(again).toEqual({ workflowId: first.workflowId, contactKey: first.contactKey, status: 'suppressed' });
  });

  it('names the API it could not reach when API_URL points nowhere', async () => {
    const failure = await run(process.execPath, [ENRICH, 'signup', 'nobody@example.org'], {
      env: { ...env, API_URL: `http://127.0.0.1:${await freePort()}`, SIGNUP_TOKEN: 'some-token-0123456789' },
      timeout: 60_000,
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.stderr).toMatch(/^enrich: signup: cannot reach the API at http:\/\/127\.0\.0\.1:\d+ \(/);
  });

  it('exits 2 with a one-line reason when the contact is unknown', async () => {
    const failure = await enrich('contact', 'nobody@example.org').then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr.trim()).toBe('enrich: contact not found');
  });
});
