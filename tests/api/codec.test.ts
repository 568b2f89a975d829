import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { createLogger } from '../../logger.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { testConfig } from '../support/test-config.js';

const CODEC_TOKEN = 'codec-token-for-tests';
const UI = 'http://localhost:8233';

/** The codec-server endpoints the Web UI calls to show operators encrypted payloads. */
describe('codec endpoints', () => {
  let app: FastifyInstance;
  let database: DatabaseHandle;
  let connection: Connection;

  beforeAll(async () => {
    database = await openDatabase({ pgliteDir: 'memory://' });
    connection = Connection.lazy({ address: '127.0.0.1:1' });
    const config = testConfig({ PAYLOAD_ENCRYPTION: 'on', CODEC_TOKEN, CODEC_CORS_ORIGIN: UI });
    app = buildApi({ config, temporal: new Client({ connection }), db: database.db, logger: createLogger('silent') });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await database?.close();
  });

  const call = (path: string, body: unknown, token: string | null = CODEC_TOKEN) =>
    app.inject({
      method: 'POST',
      url: path,
      payload: JSON.stringify(body),
      headers: {
        'content-type': 'application/json',
        origin: UI,
        'x-namespace': 'default',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
    });

  const plain = {
    metadata: { encoding: Buffer.from('json/plain').toString('base64') },
    data: Buffer.from('{"email":"dana.ruiz@example.org"}').toString('base64'),
  };

  it('encodes payloads so they are unreadable and decodes them back, with CORS for the UI', async () => {
    const encoded = await call('/codec/encode', { payloads: [plain] });
    expect(encoded.statusCode).toBe(200);
    expect(encoded.headers['access-control-allow-origin']).toBe(UI);
    const [sealed] = encoded.json<{ payloads: Array<{ metadata: Record<string, string>; data: string }> }>().payloads;
    expect(Buffer.from(sealed!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed!.data, 'base64').toString('latin1')).not.toContain('dana.ruiz');

    const decoded = await call('/codec/decode', { payloads: [sealed] });
    expect(decoded.statusCode).toBe(200);
    expect(decoded.json()).toEqual({ payloads: [plain] });
  });

  it('answers the browser preflight for the UI origin only', async () => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(UI);
    expect(String(preflight.headers['access-control-allow-headers'])).toMatch(/x-namespace/);
    const other = await app.inject({
      method: 'OPTIONS',
      url: '/codec/decode',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('needs the codec token, and names what is wrong in a bad request', async () => {
    expect((await call('/codec/decode', { payloads: [plain] }, null)).statusCode).toBe(401);
    expect((await call('/codec/decode', { payloads: [plain] }, 'wrong')).statusCode).toBe(401);
    const bad = await call('/codec/decode', { payloads: 'nope' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ issues: [{ path: 'payloads' }] });
  });
});
