import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../dev/start-dev-stack.js';
import { createLogger } from '../../logger.js';
import { freePort } from '../support/free-port.js';

const EMAIL = 'dana.ruiz@example.org';
const PHONE = '+1 614 555 0199';
const SECRETS = [EMAIL, 'Dana Ruiz', PHONE, '1187 Neil Ave'];

/** Every base64 `data` field of a Temporal JSON document, decoded. */
function decodedDataFields(json: string): string[] {
  return [...json.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) =>
    Buffer.from(m[1]!, 'base64').toString('latin1'),
  );
}

interface WirePayload {
  metadata: Record<string, string>;
  data: string;
}

/**
 * Every payload (an object with `metadata` and `data`) in a Temporal JSON document, except search attributes,
 * which Temporal never encodes (ours hold only statuses, provider names and the keyed hash).
 */
function payloadsIn(node: unknown, path = ''): Array<WirePayload & { path: string }> {
  if (Array.isArray(node)) return node.flatMap((child, i) => payloadsIn(child, `${path}[${i}]`));
  if (!node || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && typeof record.data === 'string')
    return [{ ...(record as unknown as WirePayload), path }];
  return Object.entries(record).flatMap(([key, child]) =>
    key === 'searchAttributes' ? [] : payloadsIn(child, `${path}.${key}`),
  );
}

/**
 * Privacy by design, end to end: with the dev stack as a newcomer runs it (Web UI on, payloads encrypted), neither
 * the Temporal SQLite file nor the Web UI's API holds the supporter's email, name, phone or street in clear, while
 * the API's codec endpoint — what the UI uses for an operator — still reads them.
 */
describe('encrypted workflow payloads', () => {
  let dir: string;
  let stack: DevStack;
  let workflowId: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-privacy-'));
    const uiPort = await freePort();
    stack = await startDevStack({
      env: {
        PGLITE_DIR: join(dir, 'pglite'),
        TEMPORAL_DB_FILE: join(dir, 'temporal.db'),
        TEMPORAL_PORT: String(await freePort()),
        TEMPORAL_UI_PORT: String(uiPort),
        API_PORT: String(await freePort()),
        PSEUDONYM_KEY: 'privacy-test-pseudonym-key-0123',
        LOG_LEVEL: 'warn',
      },
      demo: true,
      logger: createLogger('warn', 'privacy'),
    });
    const res = await fetch(`${stack.apiUrl}/v1/signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.signupToken}` },
      body: JSON.stringify({
        email: EMAIL,
        givenName: 'Dana',
        familyName: 'Ruiz',
        phone: PHONE,
        postalAddress: {
          lines: ['1187 Neil Ave'],
          locality: 'Columbus',
          region: 'OH',
          postalCode: '43201',
          country: 'US',
        },
        consent: { socialProfiles: true },
      }),
    });
    expect(res.status).toBe(202);
    workflowId = ((await res.json()) as { workflowId: string }).workflowId;
    // Settled: the record exists and is no longer running.
    for (let i = 0; i < 100; i++) {
      const contact = await fetch(`${stack.apiUrl}/v1/contacts/${encodeURIComponent(EMAIL)}`, {
        headers: { authorization: `Bearer ${stack.apiToken}` },
      });
      if (contact.status === 200 && ((await contact.json()) as { status: string }).status !== 'running') break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps personal data out of the Temporal SQLite file', async () => {
    const files = (await readdir(dir)).filter((f) => f.startsWith('temporal.db'));
    expect(files.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
    // The workflow is in there (its ID is an HMAC), but nothing the supporter typed is readable.
    expect(bytes.includes(Buffer.from(workflowId)), 'the workflow ID is in the file').toBe(true);
    const readable = SECRETS.filter((secret) => bytes.includes(Buffer.from(secret))).map((secret) => {
      const at = bytes.indexOf(Buffer.from(secret));
      return `${secret} in …${bytes
        .subarray(Math.max(0, at - 80), at + 40)
        .toString('latin1')
        .replace(/[^\x20-\x7e]/g, '.')}…`;
    });
    expect(readable).toEqual([]);
  });

  it('shows the Web UI only encrypted payloads, which the codec endpoint decodes for operators', async () => {
    const uiUrl = stack.uiUrl!;
    const history = await fetch(
      `${uiUrl}/api/v1/namespaces/default/workflows/${encodeURIComponent(workflowId)}/history`,
    );
    expect(history.status).toBe(200);
    const json = await history.text();
    const decoded = decodedDataFields(json);
    expect(decoded.length).toBeGreaterThan(5);
    for (const secret of SECRETS) {
      expect(json.includes(secret), secret).toBe(false);
      expect(
        decoded.some((d) => d.includes(secret)),
        secret,
      ).toBe(false);
    }

    // What the UI does for an operator: send the payloads to the codec endpoint, from the UI's origin.
    const payloads = payloadsIn(JSON.parse(json));
    const clearPayloads = payloads.filter(
      (p) => Buffer.from(p.metadata.encoding ?? '', 'base64').toString() !== 'binary/encrypted',
    );
    expect(
      clearPayloads.map((p) => `${p.path}: ${Buffer.from(p.metadata.encoding ?? '', 'base64').toString()}`),
    ).toEqual([]);
    expect(payloads.length).toBeGreaterThan(0);
    const res = await fetch(`${stack.apiUrl}/codec/decode`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: stack.config.codec.corsOrigin, 'x-namespace': 'default' },
      body: JSON.stringify({ payloads: payloads.map(({ metadata, data }) => ({ metadata, data })) }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(stack.config.codec.corsOrigin);
    const clear = JSON.stringify(
      ((await res.json()) as { payloads: Array<{ data: string }> }).payloads.map((p) =>
        Buffer.from(p.data, 'base64').toString('utf8'),
      ),
    );
    expect(clear).toContain(EMAIL);
  });
});
