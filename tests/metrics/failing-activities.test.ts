import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { stopChild } from '../../dev/temporal-dev-server.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { buildEnrichContactInput, startEnrichment } from '../../client/start-enrichment.js';
import { PROVIDER_NAMES } from '../../schemas/providers.js';
import { enrichContact } from '../../workflows/enrich-contact.js';
import { enrichContactWorkflowId } from '../../schemas/ids.js';
import { freePort } from '../support/free-port.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { sample } from '../support/prometheus-sample.js';
import { createDevServerEnv } from '../support/temporal.js';
import { testConfig } from '../support/test-config.js';

const ENRICH = fileURLToPath(new URL('../../bin/enrich.js', import.meta.url));
const SECRET_NAME = 'Zyxwvutsrq';

/**
 * A real `enrich worker` process, whose store writes first fail for a reason that heals (the tables are not there
 * yet) and then for one that cannot (a NUL in a name): the gauge shows the first while it lasts, and the log holds
 * neither the value nor the driver's row details.
 */
describe('a worker whose store writes fail', () => {
  let env: TestWorkflowEnvironment;
  let database: TestDatabase;
  let worker: ChildProcess | undefined;
  let stderr = '';

  beforeAll(async () => {
    [env, database] = await Promise.all([createDevServerEnv(), createTestDatabase()]);
  });
  afterAll(async () => {
    if (worker) await stopChild(worker);
    await Promise.all([env?.teardown(), database?.drop()]);
  });

  it('counts a workflow whose activity keeps failing on /metrics until it heals, and logs a refused value without it', async () => {
    const metricsPort = await freePort();
    const workerEnv: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      TEMPORAL_ADDRESS: env.address,
      DATABASE_URL: database.url,
      DB_POOL_SIZE: '3',
      PSEUDONYM_KEY: 'failing-activities-pseudonym-key-01',
      TEMPORAL_TASK_QUEUE: `failing-${metricsPort}`,
      PAYLOAD_ENCRYPTION: 'off',
      METRICS_PORT: String(metricsPort),
      WORKER_FAILING_ATTEMPTS: '2',
      LOG_LEVEL: 'info',
      ...Object.fromEntries(PROVIDER_NAMES.map((name) => [`PROVIDER_${name.toUpperCase()}_ENABLED`, 'false'])),
    };
    const config = testConfig(workerEnv);
    // The database is not migrated: every saveSignup fails (undefined table), a failure a deployment can heal.
    worker = spawn(process.execPath, [ENRICH, 'worker'], { env: workerEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    worker.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const scrape = () =>
      fetch(`http://127.0.0.1:${metricsPort}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
    const failing = async () => sample(await scrape(), 'enrich_workflows_failing_activity', { activity: 'saveSignup' });

    const waiting = await startEnrichment(env.client, config, { email: 'waits.for.tables@example.org' });
    // Attempts at about 0, 1 and 3 s: the third starts after two failures.
    await expect.poll(failing, { timeout: 30_000, interval: 250 }).toBe(1);

    const migrate = spawn(process.execPath, [ENRICH, 'migrate'], { env: workerEnv, stdio: 'ignore' });
    expect(await new Promise((resolve) => migrate.once('exit', resolve))).toBe(0);
    await env.client.workflow.getHandle(waiting.workflowId).result();
    expect(await failing()).toBe(0);

    // A value Postgres refuses, from a client that skipped the signup schema: one failed attempt, logged without it.
    const contactKey = contactKeyFor('refused.name@example.org', config.pseudonymKey);
    const refused = await env.client.workflow.start(enrichContact, {
      workflowId: enrichContactWorkflowId(contactKey),
      taskQueue: config.temporal.taskQueue,
      args: [
        buildEnrichContactInput(
          config,
          contactKey,
          { email: 'refused.name@example.org', familyName: `${SECRET_NAME}\u0000` },
          new Date(),
        ),
      ],
    });
    await expect(refused.result()).rejects.toThrow();
    await expect.poll(() => stderr, { timeout: 10_000 }).toMatch(/SQLSTATE 22P05/);
    expect(stderr).toMatch(/Activity failed/);
    expect(stderr).not.toContain(SECRET_NAME);
    expect(stderr).not.toMatch(/refused\.name|waits\.for\.tables/);
  });
});
