import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import type { Config } from '../../config.js';
import { stopChild } from '../../dev/temporal-dev-server.js';
import { startEnrichment } from '../../client/start-enrichment.js';
import { demoProviderEnv, startDemoProviders, type DemoProviders } from '../../demo/servers/start-demo-providers.js';
import { createLogger } from '../../logger.js';
import { HTTP_PROVIDER_NAMES } from '../../schemas/providers.js';
import { startWorkers } from '../../worker/start-workers.js';
import {
  consented,
  createEnrichmentHarness,
  providerConfig,
  type EnrichmentHarness,
} from '../support/enrichment-harness.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { freePort } from '../support/free-port.js';
import { sample } from '../support/prometheus-sample.js';
import { createDevServerEnv } from '../support/temporal.js';

const ENRICH = fileURLToPath(new URL('../../bin/enrich.js', import.meta.url));
const logger = createLogger('silent');

const providerUrls = (demo: DemoProviders) =>
  Object.fromEntries(HTTP_PROVIDER_NAMES.map((name) => [name, demo[name].url]));

describe('/metrics', () => {
  let env: TestWorkflowEnvironment;
  let harness: EnrichmentHarness;
  let demo: DemoProviders;

  beforeAll(async () => {
    [env, harness, demo] = await Promise.all([createDevServerEnv(), createEnrichmentHarness(), startDemoProviders()]);
  });
  afterAll(async () => {
    await Promise.all([env?.teardown(), harness?.close(), demo?.close()]);
  });

  describe('on the API, with the workers in the same process (enrich dev)', () => {
    let cfg: Config;
    let app: FastifyInstance;
    const scrape = async () => {
      const res = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer metrics-token-for-tests' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      return res.body;
    };

    beforeAll(async () => {
      cfg = providerConfig(providerUrls(demo), {
        PROVIDER_GRAVATAR_MAX_ATTEMPTS: '2',
        METRICS_TOKEN: 'metrics-token-for-tests',
      });
      app = buildApi({ config: cfg, temporal: env.client, db: harness.database.db, logger });
      await app.ready();
    });
    afterAll(async () => app?.close());

    it('counts lookups by provider and outcome, their latency and queue wait, and flagged contacts', async () => {
      const before = await scrape();
      const workers = await startWorkers({
        config: cfg,
        connection: env.nativeConnection,
        db: harness.database.db,
        workflowBundle: harness.bundle,
      });
      await workers.runUntil(
        Promise.all(
          ['dana.ruiz@example.org', 'fiona.flaky@example.org'].map(async (email) => {
            const started = await startEnrichment(env.client, cfg, { email, consent: consented });
            await env.client.workflow.getHandle(started.workflowId).result();
          }),
        ),
      );
      const after = await scrape();
      const moved = (name: string, labels: Record<string, string>) =>
        sample(after, name, labels) - sample(before, name, labels);

      expect(moved('enrich_lookups_total', { provider: 'gravatar', outcome: 'matched' })).toBe(1);
      expect(moved('enrich_lookups_total', { provider: 'github', outcome: 'matched' })).toBeGreaterThanOrEqual(1);
      // Fiona's Gravatar answers 500 on each of her two attempts.
      expect(moved('enrich_lookups_total', { provider: 'gravatar', outcome: 'error' })).toBe(2);
      expect(moved('enrich_lookup_errors_total', { provider: 'gravatar', error_type: 'ProviderUnavailable' })).toBe(2);
      expect(moved('enrich_lookup_duration_seconds_count', { provider: 'gravatar' })).toBe(3);
      expect(moved('enrich_lookup_queue_wait_seconds_count', { provider: 'gravatar' })).toBe(3);
      expect(
        sample(after, 'enrich_lookup_queue_wait_seconds_bucket', { provider: 'gravatar', le: '+Inf' }),
      ).toBeGreaterThanOrEqual(3);
      expect(sample(after, 'enrich_flagged_contacts')).toBe(1);
      expect(sample(after, 'enrich_contacts', { status: 'flagged' })).toBe(1);
      expect(sample(after, 'enrich_contacts', { status: 'enriched' })).toBe(1);
      expect(sample(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      // Labels are providers, outcomes and error types: no email, name or contact id.
      expect(after).not.toMatch(/dana|fiona|ruiz|flaky|@example|[0-9a-f]{64}/i);
    });

    it('asks for the metrics token when one is set', async () => {
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode,
      ).toBe(401);
    });
  });

  describe('on a worker process (enrich worker with METRICS_PORT)', () => {
    let database: TestDatabase;
    let worker: ChildProcess | undefined;
    let stderr = '';
    afterAll(async () => {
      if (worker) await stopChild(worker);
      await database?.drop();
    });

    it("serves its lookup metrics and the Temporal runtime's own on one scrape", async () => {
      database = await createTestDatabase();
      const [metricsPort, runtimePort] = [await freePort(), await freePort()];
      const workerEnv: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        TEMPORAL_ADDRESS: env.address,
        DATABASE_URL: database.url,
        DB_POOL_SIZE: '3',
        // Another key than the first test's: another workflow ID for the same supporter, so this worker runs it.
        PSEUDONYM_KEY: 'worker-metrics-pseudonym-key-0123',
        TEMPORAL_TASK_QUEUE: `metrics-${metricsPort}`,
        PAYLOAD_ENCRYPTION: 'off',
        METRICS_PORT: String(metricsPort),
        TEMPORAL_METRICS_BIND_ADDRESS: `127.0.0.1:${runtimePort}`,
        LOG_LEVEL: 'warn',
        ...demoProviderEnv(demo),
      };
      // Migrate the worker's database the way a deployment does, then start the worker.
      const migrate = spawn(process.execPath, [ENRICH, 'migrate'], { env: workerEnv, stdio: 'ignore' });
      expect(await new Promise((resolve) => migrate.once('exit', resolve))).toBe(0);
      worker = spawn(process.execPath, [ENRICH, 'worker'], { env: workerEnv, stdio: ['ignore', 'ignore', 'pipe'] });
      worker.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));

      const url = `http://127.0.0.1:${metricsPort}/metrics`;
      const scrape = async () => (await fetch(url)).text();
      for (let i = 0; ; i++) {
        const ok = await fetch(url).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (i > 150 || worker.exitCode !== null)
          throw new Error(`the worker's metrics server never answered: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }

      const config = providerConfig(providerUrls(demo), {
        TEMPORAL_TASK_QUEUE: workerEnv.TEMPORAL_TASK_QUEUE!,
        PSEUDONYM_KEY: workerEnv.PSEUDONYM_KEY!,
      });
      const started = await startEnrichment(env.client, config, { email: 'dana.ruiz@example.org', consent: consented });
      await env.client.workflow.getHandle(started.workflowId).result();

      const text = await scrape();
      expect(sample(text, 'enrich_lookups_total', { provider: 'gravatar', outcome: 'matched' })).toBe(1);
      expect(sample(text, 'enrich_lookup_duration_seconds_count', { provider: 'github' })).toBeGreaterThanOrEqual(1);
      // The runtime's own metrics, from TEMPORAL_METRICS_BIND_ADDRESS, on the same scrape and on their own port.
      expect(text).toMatch(/^temporal_\w+/m);
      // The worker counts the completion once the server has acknowledged it, which may be after the client saw the result.
      await expect
        .poll(
          async () =>
            sample(await scrape(), 'temporal_workflow_completed', { task_queue: workerEnv.TEMPORAL_TASK_QUEUE! }),
          { timeout: 15_000 },
        )
        .toBeGreaterThanOrEqual(1);
      expect(await (await fetch(`http://127.0.0.1:${runtimePort}/metrics`)).text()).toMatch(/^temporal_\w+/m);
      expect(text).not.toMatch(/dana|ruiz|@example/i);
    });
  });
});
