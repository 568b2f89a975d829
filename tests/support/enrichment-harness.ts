import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../api/build-api.js';
import { startDemoProviders, type DemoProviders } from '../../demo/servers/start-demo-providers.js';
import { createLogger } from '../../logger.js';
import type { Config } from '../../config.js';
import { startEnrichment, type StartEnrichmentResult } from '../../client/start-enrichment.js';
import type { EnrichmentStatusView } from '../../schemas/enrichment.js';
import type { Signup } from '../../schemas/signup.js';
import { HTTP_PROVIDER_NAMES, PROVIDER_NAMES, type ProviderName } from '../../schemas/providers.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { startWorkers, WORKFLOWS_PATH } from '../../worker/start-workers.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { createDevServerEnv } from './temporal.js';
import { testConfig } from './test-config.js';

/** Real Postgres (a database of its own) and the workflow bundle, shared by the tests of one file. */
export interface EnrichmentHarness {
  database: DatabaseHandle;
  bundle: WorkflowBundleWithSourceMap;
  close(): Promise<void>;
}

export async function createEnrichmentHarness(): Promise<EnrichmentHarness> {
  const testDb: TestDatabase = await createTestDatabase();
  const database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 5 });
  await migrateToLatest(database.db);
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger });
  return {
    database,
    bundle,
    close: async () => {
      await database.close();
      await testDb.drop();
    },
  };
}

const noop = () => undefined;
const quietBundlerLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/** The api.data.gov key the demo pipelines send their demo FEC server. */
export const DEMO_FEC_KEY = 'demo-personal-key';

/**
 * A configuration pointing providers at the given (demo) servers, plus test overrides. A provider without a
 * server is disabled, so no test ever reaches a real provider.
 */
export function providerConfig(
  urls: Partial<Record<ProviderName, string>>,
  overrides: Record<string, string> = {},
): Config {
  const env: Record<string, string> = {};
  for (const name of PROVIDER_NAMES) {
    const url = urls[name];
    if (url) env[`PROVIDER_${name.toUpperCase()}_BASE_URL`] = url;
    else env[`PROVIDER_${name.toUpperCase()}_ENABLED`] = 'false';
  }
  // A personal key's quota (the demo accepts any key): DEMO_KEY's 30 an hour, which the client now obeys from
  // X-RateLimit-Remaining, would hold back the FEC lookups of any test that makes more.
  if (urls.fec) env['FEC_API_KEY'] = DEMO_FEC_KEY;
  return testConfig({ ...env, ...overrides });
}

/** Starts an enrichment as the API would, runs the workers until it finishes, and returns its result. */
export async function enrichWithWorkers(
  env: TestWorkflowEnvironment,
  harness: EnrichmentHarness,
  config: Config,
  signup: Signup,
): Promise<{ started: StartEnrichmentResult; result: EnrichmentStatusView }> {
  const workers = await startWorkers({
    config,
    connection: env.nativeConnection,
    db: harness.database.db,
    workflowBundle: harness.bundle,
  });
  return workers.runUntil(
    (async () => {
      const started = await startEnrichment(env.client, config, signup);
      const result = await env.client.workflow.getHandle(started.workflowId).result();
      return { started, result: result as EnrichmentStatusView };
    })(),
  );
}

export const consented = { socialProfiles: true, at: '2026-11-01T12:00:00.000Z', noticeVersion: 'v1' };

/** The whole pipeline for a test file: dev server, Postgres, all the demo providers, running workers and the API. */
export interface DemoPipeline {
  env: TestWorkflowEnvironment;
  harness: EnrichmentHarness;
  demo: DemoProviders;
  config: Config;
  api: FastifyInstance;
  close(): Promise<void>;
}

/** Starts a {@link DemoPipeline} with every HTTP provider pointed at its demo server, plus `overrides`. */
export async function startDemoPipeline(overrides: Record<string, string> = {}): Promise<DemoPipeline> {
  const [env, harness, demo] = await Promise.all([
    createDevServerEnv(),
    createEnrichmentHarness(),
    startDemoProviders(),
  ]);
  const config = providerConfig(Object.fromEntries(HTTP_PROVIDER_NAMES.map((n) => [n, demo[n].url])), overrides);
  const workers = await startWorkers({
    config,
    connection: env.nativeConnection,
    db: harness.database.db,
    workflowBundle: harness.bundle,
  });
  const running = workers.run();
  const api = buildApi({ config, temporal: env.client, db: harness.database.db, logger: createLogger('silent') });
  await api.ready();
  return {
    env,
    harness,
    demo,
    config,
    api,
    async close() {
      await api.close();
      workers.shutdown();
      await running;
      await Promise.all([env.teardown(), harness.close(), demo.close()]);
    },
  };
}

/** The voter-file pipeline for a test file: dev server, Postgres, running workers with only `voterfile` enabled. */
export interface VoterfilePipeline {
  env: TestWorkflowEnvironment;
  database: DatabaseHandle;
  /** The Postgres database's URL (imports COPY over connections of their own). */
  url: string;
  config: Config;
  close(): Promise<void>;
}

/**
 * Starts a {@link VoterfilePipeline}: `prepare` runs once the database is migrated and before the workers start (to
 * import a voter file); the configuration points every command at this dev server, plus `overrides`.
 */
export async function startVoterfilePipeline(
  overrides: Record<string, string>,
  prepare: (database: DatabaseHandle, url: string) => Promise<void>,
): Promise<VoterfilePipeline> {
  const testDb = await createTestDatabase();
  const database = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 5 });
  await migrateToLatest(database.db);
  const [env, bundle] = await Promise.all([
    createDevServerEnv(),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietBundlerLogger }),
  ]);
  const config = providerConfig(
    {},
    { PROVIDER_VOTERFILE_ENABLED: 'true', DATABASE_URL: testDb.url, TEMPORAL_ADDRESS: env.address, ...overrides },
  );
  await prepare(database, testDb.url);
  const workers = await startWorkers({
    config,
    connection: env.nativeConnection,
    db: database.db,
    workflowBundle: bundle,
  });
  const running = workers.run();
  return {
    env,
    database,
    url: testDb.url,
    config,
    async close() {
      workers.shutdown();
      await running;
      await env.teardown();
      await database.close();
      await testDb.drop();
    },
  };
}
