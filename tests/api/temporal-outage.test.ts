import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import {
  headlessDevServerOptions,
  startTemporalDevServer,
  type TemporalDevServer,
} from '../../dev/temporal-dev-server.js';
import { createLogger } from '../../logger.js';
import { createEnrichmentHarness, type EnrichmentHarness } from '../support/enrichment-harness.js';
import { freePort } from '../support/free-port.js';
import { testConfig } from '../support/test-config.js';
import { AN_SECRET, NATION_TOKEN, actionNetworkElement, nationBuilderPersonCreated } from './webhook-payloads.js';
import { enrichmentInput } from './workflow-input.js';

const SIGNUP_TOKEN = 'signup-token-for-tests';
const config = testConfig({
  SIGNUP_TOKEN,
  NATIONBUILDER_WEBHOOK_TOKEN: NATION_TOKEN,
  ACTION_NETWORK_WEBHOOK_SECRET: AN_SECRET,
  API_START_TIMEOUT_MS: '1500',
});
const workflowIdOf = (email: string) => `enrich-contact:${contactKeyFor(email, config.pseudonymKey)}`;

/**
 * Temporal goes away while the API runs, then comes back (the same server binary, the same SQLite file, the same
 * port): deliveries in between get 503 + Retry-After, and the sender's retry, once it is back, starts the enrichment.
 * Nothing acknowledged before is lost.
 */
describe('the API while Temporal is down', () => {
  let dir: string;
  let port: number;
  let server: TemporalDevServer | undefined;
  let connection: Connection;
  let harness: EnrichmentHarness;
  let app: FastifyInstance;

  const startServer = async () =>
    (server = await startTemporalDevServer(headlessDevServerOptions(dir, port, config.temporal.namespace)));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-outage-'));
    port = await freePort();
    [, harness] = await Promise.all([startServer(), createEnrichmentHarness()]);
    connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    app = buildApi({
      config,
      temporal: new Client({ connection, namespace: config.temporal.namespace }),
      db: harness.database.db,
      logger: createLogger('silent'),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await connection?.close();
    await server?.stop();
    await harness?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const json = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      payload: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  /** What a webhook sender does with a 503: wait (here much less than Retry-After) and send the same body again. */
  async function retryUntilAccepted(
    send: () => Promise<LightMyRequestResponse>,
    timeoutMs = 45_000,
  ): Promise<LightMyRequestResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await send();
      if (res.statusCode !== 503 || Date.now() > deadline) return res;
      await sleep(500);
    }
  }

  it('answers 503 with Retry-After while Temporal is down, and the retried deliveries start once it is back', async () => {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const before = await json(
      '/v1/webhooks/nationbuilder',
      nationBuilderPersonCreated({ email: 'before.outage@example.org' }),
    );
    expect(before.statusCode).toBe(202);

    await server?.stop();
    server = undefined;

    const signup = () =>
      json('/v1/signups', { email: 'during.signup@example.org' }, { authorization: `Bearer ${SIGNUP_TOKEN}` });
    const nationBuilder = () =>
      json('/v1/webhooks/nationbuilder', nationBuilderPersonCreated({ email: 'during.nb@example.org' }));
    const actionNetwork = () =>
      json(`/v1/webhooks/action-network/${AN_SECRET}`, [
        actionNetworkElement('osdi:submission', { email: 'during.an1@example.org' }, 'outage-key-1'),
        actionNetworkElement('osdi:signature', { email: 'during.an2@example.org' }, 'outage-key-2'),
      ]);
    for (const send of [signup, nationBuilder, actionNetwork]) {
      const res = await send();
      expect(res.statusCode).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.json()).toEqual({ error: 'enrichment service unavailable, retry later' });
    }

    await startServer();

    const retried = await retryUntilAccepted(actionNetwork);
    expect(retried.statusCode).toBe(202);
    expect(retried.json<{ results: Array<{ status: string }> }>().results.map((r) => r.status)).toEqual([
      'started',
      'started',
    ]);
    expect((await retryUntilAccepted(nationBuilder)).json()).toEqual({
      workflowId: workflowIdOf('during.nb@example.org'),
      status: 'started',
    });
    expect((await retryUntilAccepted(signup)).json()).toEqual({
      workflowId: workflowIdOf('during.signup@example.org'),
      status: 'started',
    });

    // What was acknowledged before the outage is still there, with the signup it was started with.
    const input = await enrichmentInput(client, workflowIdOf('before.outage@example.org'));
    expect(input.signup.email).toBe('before.outage@example.org');
    expect(
      (
        await json('/v1/webhooks/nationbuilder', nationBuilderPersonCreated({ email: 'before.outage@example.org' }))
      ).json(),
    ).toMatchObject({
      status: 'existing',
    });
  });
});
