import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildApi } from '../../api/build-api.js';
import { CONFIG_ENV_KEYS, loadConfig } from '../../config.js';
import { createLogger } from '../../logger.js';
import { PROVIDER_NAMES } from '../../schemas/providers.js';
import type { Database } from '../../store/database.js';
import { providerTaskQueue } from '../../schemas/ids.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../workflows/search-attributes.js';

/**
 * No Docker engine runs on our machines, so the deployment is checked here: docker-compose.yml against the official
 * Compose Specification schema (vendored in schemas/vendor/), before and after interpolation with .env.example, and
 * against what the application actually reads, serves and needs.
 */
const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(root(path), 'utf8');

const composeText = read('docker-compose.yml');
const envExample = read('.env.example');

/** `KEY=value` lines of .env.example (commented ones are documentation, not values). */
const exampleValues: Record<string, string> = Object.fromEntries(
  envExample
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    // Surrounding quotes are not part of the value (as dotenv and docker compose read it).
    .map((m) => [m[1]!, m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2')]),
);
/** Every key .env.example mentions, set or commented out. */
const exampleKeys = new Set([...envExample.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));

/** Docker Compose interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$$` for `$`. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Z0-9_]+)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$';
      const value = vars[name!];
      if (op?.startsWith(':') ? value : value !== undefined) return value!;
      if (op?.endsWith('-')) return arg ?? '';
      if (op?.endsWith('?')) throw new Error(`${name}: ${arg}`);
      return '';
    },
  );
}

/** The variables a real `.env` made from .env.example has once its required secrets are filled in. */
const required = ['POSTGRES_PASSWORD', 'PSEUDONYM_KEY', 'API_TOKEN', 'SIGNUP_TOKEN', 'CODEC_TOKEN'];
const filledEnv = {
  ...exampleValues,
  ...Object.fromEntries(required.map((k) => [k, `${k.toLowerCase()}-for-the-compose-test`])),
};

interface Service {
  image?: string;
  build?: unknown;
  container_name?: string;
  ports?: unknown[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
  deploy?: { replicas?: number };
}
type ComposeFile = { services: Record<string, Service> } & Record<string, unknown>;

const raw = parse(composeText, { merge: true }) as ComposeFile;
const compose = parse(interpolate(composeText, filledEnv), { merge: true }) as ComposeFile;
const services = compose.services;
/** The services that run our own image (`enrich …`). */
const enrichServices = Object.entries(services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification, as written and once interpolated with .env.example', () => {
    const schema = JSON.parse(read('schemas/vendor/compose-spec.json')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    const validate = ajv.compile(schema);
    for (const document of [raw, compose]) {
      const valid = validate(document);
      expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
      expect(valid).toBe(true);
    }
  });

  it('fails fast naming each secret that is not set', () => {
    for (const name of required) {
      const { [name]: _missing, ...rest } = filledEnv;
      expect(() => interpolate(composeText, rest), name).toThrow(`${name}: set ${name} in .env`);
    }
  });

  it('takes every variable it interpolates from .env.example', () => {
    const used = new Set([...composeText.matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect([...used].filter((name) => !exampleKeys.has(name))).toEqual([]);
  });

  it('runs Postgres, Temporal on Postgres, its UI, the API, migrations and workers', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'migrate', 'postgres', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker'].sort(),
    );
    expect(services.temporal!.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgres' });
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(services.api!.command).toEqual(['api']);
    expect(services.worker!.command).toEqual(['worker']);
  });

  it('pins every image to a version, and Temporal server and admin tools to the same one', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined) continue;
      expect(service.image, name).toMatch(/^[\w./-]+:\d+(\.\d+)+(-[\w.]+)?$/);
    }
    const version = (image: string | undefined) => image?.split(':')[1];
    expect(version(services['temporal-schema']!.image)).toBe(version(services.temporal!.image));
    expect(version(services['temporal-setup']!.image)).toBe(version(services.temporal!.image));
  });

  it('lets the worker scale: no fixed container name, no host port', () => {
    for (const service of Object.values(services)) expect(service.container_name).toBeUndefined();
    expect(services.worker!.ports).toBeUndefined();
    expect(services.worker!.deploy?.replicas ?? 1).toBeGreaterThanOrEqual(1);
  });

  it('starts each service once what it needs is healthy or done', () => {
    const needs = (name: string) =>
      Object.fromEntries(Object.entries(services[name]!.depends_on ?? {}).map(([k, v]) => [k, v.condition]));
    expect(needs('temporal-schema')).toEqual({ postgres: 'service_healthy' });
    expect(needs('temporal')).toEqual({ 'temporal-schema': 'service_completed_successfully' });
    expect(needs('temporal-setup')).toEqual({ temporal: 'service_healthy' });
    expect(needs('temporal-ui')).toEqual({ temporal: 'service_healthy' });
    expect(needs('migrate')).toEqual({ postgres: 'service_healthy' });
    for (const name of ['api', 'worker']) {
      expect(needs(name), name).toEqual({
        migrate: 'service_completed_successfully',
        'temporal-setup': 'service_completed_successfully',
      });
    }
    for (const name of ['postgres', 'temporal', 'api', 'worker'])
      expect(services[name]!.healthcheck?.test.length, name).toBeGreaterThan(0);
  });

  it('gives our services only variables config.ts reads, and a configuration it accepts', () => {
    for (const [name, service] of enrichServices) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
      expect(
        Object.keys(env).filter((key) => !CONFIG_ENV_KEYS.includes(key)),
        name,
      ).toEqual([]);
      // What the container sees: .env (env_file) under the service's own environment.
      const config = loadConfig({ ...filledEnv, ...env });
      expect(config.database.url, name).toMatch(/@postgres:5432\//);
      expect(config.temporal.address, name).toBe('temporal:7233');
      expect(config.usingDevPseudonymKey, name).toBe(false);
    }
    const worker = loadConfig({ ...filledEnv, ...(services.worker!.environment as Record<string, string>) });
    expect(worker.metrics.port).toBe(9464);
    expect(worker.metrics.host).toBe('0.0.0.0');
    expect(services.worker!.healthcheck?.test.join(' ')).toContain(`:${worker.metrics.port}/metrics`);
  });

  it("points the UI's codec endpoint at the API's /codec route, and the API's CORS at the UI", async () => {
    const api = services.api!;
    const apiConfig = loadConfig({ ...filledEnv, ...(api.environment as Record<string, string>) });
    const endpoint = new URL(String(services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT));
    expect(endpoint.pathname).toBe('/codec');
    expect(api.ports).toContain(`${endpoint.port}:${apiConfig.api.port}`);
    const uiPort = String(services['temporal-ui']!.ports![0]).split(':').at(-2);
    expect(apiConfig.codec.corsOrigin).toBe(`http://localhost:${uiPort}`);
    expect(api.healthcheck?.test.join(' ')).toContain(`:${apiConfig.api.port}/healthz`);

    // The API built from that configuration serves the codec contract there (with the token: it is not on loopback).
    const app = buildApi({
      config: apiConfig,
      temporal: {} as Client,
      db: {} as Kysely<Database>,
      logger: createLogger('silent'),
    });
    try {
      const decode = (authorization?: string) =>
        app.inject({
          method: 'POST',
          url: `${endpoint.pathname}/decode`,
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          payload: { payloads: [] },
        });
      expect((await decode(`Bearer ${apiConfig.codec.token}`)).json()).toEqual({ payloads: [] });
      expect((await decode()).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('builds our image from a Dockerfile on the Node major of .nvmrc, and mounts files that exist', () => {
    const dockerfile = read('Dockerfile');
    const from = /^FROM node:(\d+)\.[\d.]+-bookworm-slim$/m.exec(dockerfile);
    expect(from?.[1]).toBe(read('.nvmrc').trim());
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/enrich\.js"\]$/m);
    // bin/enrich.js runs dist/, which the image must build after copying the sources.
    expect(dockerfile).toMatch(/^COPY \. \.\n(?:#.*\n)*RUN npm run build/m);
    for (const [, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(root(source)), source).toBe(true);
      }
    }
    for (const script of ['deploy/temporal/setup-schema.sh', 'deploy/temporal/setup-namespace.sh']) {
      expect(existsSync(root(script)), script).toBe(true);
    }
    expect(read('.dockerignore')).toMatch(/^node_modules$/m);
  });

  it('registers every search attribute the workflows set, and gives every provider queue one partition', () => {
    const setup = read('deploy/temporal/setup-namespace.sh');
    for (const flag of SEARCH_ATTRIBUTE_FLAGS) expect(setup, flag).toContain(flag);

    const dynamicConfig = parse(read('deploy/temporal/dynamicconfig/enrichment.yaml')) as Record<
      string,
      Array<{ value: unknown; constraints: { taskQueueName?: string } }>
    >;
    const taskQueue = loadConfig(filledEnv).temporal.taskQueue;
    for (const key of ['matching.numTaskqueueReadPartitions', 'matching.numTaskqueueWritePartitions']) {
      const one = (dynamicConfig[key] ?? [])
        .filter((entry) => entry.value === 1)
        .map((entry) => entry.constraints.taskQueueName);
      expect(one.sort(), key).toEqual(PROVIDER_NAMES.map((name) => providerTaskQueue(taskQueue, name)).sort());
    }
  });
});

describe('.env.example', () => {
  it('lists every variable config.ts reads (provider settings as one example per setting)', () => {
    const perProvider = new RegExp(`^PROVIDER_(${PROVIDER_NAMES.map((n) => n.toUpperCase()).join('|')})_(.+)$`);
    const missing = CONFIG_ENV_KEYS.filter((key) => {
      if (exampleKeys.has(key)) return false;
      const setting = perProvider.exec(key)?.[2];
      return !(setting && [...exampleKeys].some((k) => k.endsWith(`_${setting}`) && perProvider.test(k)));
    });
    expect(missing).toEqual([]);
  });

  it('is accepted by config.ts as it is', () => {
    expect(() => loadConfig(exampleValues)).not.toThrow();
  });
});
