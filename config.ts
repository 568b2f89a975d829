import { z } from 'zod';
import { PROVIDER_NAMES, type ProviderName } from './schemas/providers.js';
import { burstSafeRate, type DocumentedLimit } from './schemas/rate-budget.js';

/**
 * The one place that reads `process.env`. Every entry point calls {@link loadConfig} once and passes the frozen
 * result down; nothing else looks at the environment. Defaults make `enrich dev --demo` work with nothing set.
 */

/** A development-only pseudonymisation key, used when PSEUDONYM_KEY is unset (with a warning at start-up). */
export const DEV_PSEUDONYM_KEY = 'contact-enrichment-dev-only-pseudonym-key';

const port = z.coerce.number().int().min(0).max(65535);

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** A comma-separated list of durations such as `1h,6h,24h` (units ms, s, m, h, d); `none` or empty for none. */
const durationList = z
  .string()
  .transform((text, ctx) => {
    const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '' && p !== 'none');
    const delays: number[] = [];
    for (const part of parts) {
      const match = /^(\d+)(ms|s|m|h|d)$/.exec(part);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not a duration like 30s, 15m, 6h or 1d` });
        return z.NEVER;
      }
      delays.push(Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS]);
    }
    return delays;
  })
  .or(z.array(z.number()));
const positive = z.coerce.number().positive();
const optionalSecret = z.string().min(1).optional();

/**
 * Each provider's documented limit (providers.md §0). The default queue rate is 90% of it, lowered where the
 * Temporal server's start-up burst could otherwise break a short window (see {@link burstSafeRate}).
 */
export const DOCUMENTED_LIMITS: Record<ProviderName, DocumentedLimit> = {
  gravatar: { max: 1000, windowSeconds: 3600 }, // 1000/h with a key
  github: { max: 30, windowSeconds: 60 }, // search: 30/min with a token
  mastodon: { max: 300, windowSeconds: 300 }, // 300 per 5 min per IP on a default instance
  bluesky: { max: 3000, windowSeconds: 300 }, // unpublished ("generous"): the PDS figure, a deliberate guess
  fec: { max: 1000, windowSeconds: 3600 }, // 1000/h on a personal api.data.gov key
  census: { max: 10, windowSeconds: 1 }, // none published; providers.md advises a few at a time
  ban: { max: 50, windowSeconds: 1 }, // 50/s per IP
};

/**
 * Where each provider's requests go. Mastodon's `{instance}` is the handle's own server (an account is best
 * looked up where it lives); a base URL without it sends every lookup to that one server.
 */
const DEFAULT_BASE_URLS: Record<ProviderName, string> = {
  gravatar: 'https://api.gravatar.com/v3',
  github: 'https://api.github.com',
  mastodon: 'https://{instance}',
  bluesky: 'https://public.api.bsky.app',
  fec: 'https://api.open.fec.gov',
  census: 'https://geocoding.geo.census.gov',
  ban: 'https://api-adresse.data.gouv.fr',
};

/** A base URL; `{instance}` may stand for the host when the provider is asked on each account's own server. */
const baseUrl = z
  .string()
  .refine((value) => {
    try {
      return /^https?:$/.test(new URL(value.replace('{instance}', 'instance.example')).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL');

function providerSchema(name: ProviderName) {
  const prefix = `PROVIDER_${name.toUpperCase()}_`;
  return z
    .object({
      [`${prefix}BASE_URL`]: baseUrl.default(DEFAULT_BASE_URLS[name]),
      [`${prefix}ENABLED`]: z.stringbool().default(true),
      [`${prefix}RPS`]: positive.default(burstSafeRate(DOCUMENTED_LIMITS[name])),
      [`${prefix}TIMEOUT_MS`]: z.coerce.number().int().min(100).max(120_000).default(10_000),
      [`${prefix}MAX_ATTEMPTS`]: z.coerce.number().int().min(1).max(100).default(6),
      // Unset: the global RETRY_* / LOOKUP_SCHEDULE_TO_CLOSE_MS values.
      [`${prefix}RETRY_INITIAL_INTERVAL_MS`]: z.coerce.number().int().min(10).optional(),
      [`${prefix}RETRY_MAXIMUM_INTERVAL_MS`]: z.coerce.number().int().min(10).optional(),
      [`${prefix}RETRY_BACKOFF`]: z.coerce.number().min(1).max(10).optional(),
      [`${prefix}SCHEDULE_TO_CLOSE_MS`]: z.coerce.number().int().min(1000).optional(),
    })
    .transform((v): ProviderConfig => ({
      name,
      baseUrl: String(v[`${prefix}BASE_URL`]).replace(/\/+$/, ''),
      enabled: Boolean(v[`${prefix}ENABLED`]),
      rps: Number(v[`${prefix}RPS`]),
      timeoutMs: Number(v[`${prefix}TIMEOUT_MS`]),
      maxAttempts: Number(v[`${prefix}MAX_ATTEMPTS`]),
      retryOverrides: {
        initialIntervalMs: v[`${prefix}RETRY_INITIAL_INTERVAL_MS`] as number | undefined,
        maximumIntervalMs: v[`${prefix}RETRY_MAXIMUM_INTERVAL_MS`] as number | undefined,
        backoffCoefficient: v[`${prefix}RETRY_BACKOFF`] as number | undefined,
        scheduleToCloseMs: v[`${prefix}SCHEDULE_TO_CLOSE_MS`] as number | undefined,
      },
    }));
}

const BaseEnvSchema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL').optional(),
  PGLITE_DIR: z.string().min(1).default('data/pglite'),
  PGLITE_PORT: port.default(54329),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('enrichment'),
  TEMPORAL_CLI: z.string().min(1).optional(),
  TEMPORAL_DB_FILE: z.string().min(1).default('data/temporal.db'),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),

  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  API_TOKEN: optionalSecret,
  SIGNUP_TOKEN: optionalSecret,
  WEBHOOK_SECRET: optionalSecret,
  API_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(64 * 1024),
  API_START_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),

  PSEUDONYM_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `id:base64(32 bytes)[,…]`, newest first; unset = a key derived from PSEUDONYM_KEY. */
  PAYLOAD_KEYS: z
    .string()
    .regex(/^\s*[^:,\s]+:[A-Za-z0-9+/=_-]+\s*(,\s*[^:,\s]+:[A-Za-z0-9+/=_-]+\s*)*$/, 'must be id:base64key[,id:base64key…]')
    .optional(),
  /** Encrypt Temporal payloads (on by default; `off` only for tests and debugging). */
  PAYLOAD_ENCRYPTION: z.enum(['on', 'off']).default('on'),
  /** Bearer token the Web UI's codec requests must carry; unset = codec endpoints answer only on a loopback API. */
  CODEC_TOKEN: optionalSecret,
  /** The Web UI origin allowed to call the codec endpoints (CORS); unset = the dev UI, http://localhost:$TEMPORAL_UI_PORT. */
  CODEC_CORS_ORIGIN: z.string().min(1).optional(),
  SOCIAL_LOOKUP_BASIS: z.enum(['consent', 'legitimate_interest']).default('consent'),

  GRAVATAR_API_KEY: optionalSecret,
  GITHUB_TOKEN: optionalSecret,
  FEC_API_KEY: optionalSecret,
  /** BAN scores a match 0–1; below this the address is treated as not found. */
  PROVIDER_BAN_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.6),

  NATIONBUILDER_WEBHOOK_TOKEN: optionalSecret,
  ACTION_NETWORK_WEBHOOK_SECRET: optionalSecret,

  HTTP_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  RETRY_INITIAL_INTERVAL_MS: z.coerce.number().int().min(10).default(1000),
  RETRY_MAXIMUM_INTERVAL_MS: z.coerce.number().int().min(10).default(60_000),
  RETRY_BACKOFF: z.coerce.number().min(1).max(10).default(2),
  LOOKUP_SCHEDULE_TO_CLOSE_MS: z.coerce.number().int().min(1000).default(24 * 3600 * 1000),
  /** When a flagged contact's failed lookups are retried again automatically, after its retries ran out. */
  LOOKUP_RETRY_SCHEDULE: durationList.default([3_600_000, 6 * 3_600_000, 24 * 3_600_000]),

  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** One provider's settings: where its requests go, its queue rate, and how its lookups are retried. */
export interface ProviderConfig {
  name: ProviderName;
  baseUrl: string;
  enabled: boolean;
  /** The queue's rate limit, enforced by the Temporal server across every worker. */
  rps: number;
  timeoutMs: number;
  maxAttempts: number;
  /** Where set, these replace the global RETRY_* values for this provider. */
  retryOverrides?: {
    initialIntervalMs?: number | undefined;
    maximumIntervalMs?: number | undefined;
    backoffCoefficient?: number | undefined;
    scheduleToCloseMs?: number | undefined;
  };
}

/** The validated, frozen configuration of one process. */
export type Config = ReturnType<typeof buildConfig>;

function buildConfig(env: z.output<typeof BaseEnvSchema>, providers: Record<ProviderName, ProviderConfig>) {
  return {
    database: { url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, pglitePort: env.PGLITE_PORT, poolSize: env.DB_POOL_SIZE },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      cli: env.TEMPORAL_CLI,
      dbFile: env.TEMPORAL_DB_FILE,
      port: env.TEMPORAL_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
    },
    api: {
      host: env.API_HOST,
      port: env.API_PORT,
      apiToken: env.API_TOKEN,
      signupToken: env.SIGNUP_TOKEN,
      webhookSecret: env.WEBHOOK_SECRET,
      nationbuilderWebhookToken: env.NATIONBUILDER_WEBHOOK_TOKEN,
      actionNetworkWebhookSecret: env.ACTION_NETWORK_WEBHOOK_SECRET,
      bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
      startTimeoutMs: env.API_START_TIMEOUT_MS,
    },
    pseudonymKey: env.PSEUDONYM_KEY ?? DEV_PSEUDONYM_KEY,
    payloads: { encryption: env.PAYLOAD_ENCRYPTION === 'on', keys: env.PAYLOAD_KEYS },
    codec: { token: env.CODEC_TOKEN, corsOrigin: env.CODEC_CORS_ORIGIN ?? `http://localhost:${env.TEMPORAL_UI_PORT}` },
    usingDevPseudonymKey: env.PSEUDONYM_KEY === undefined,
    socialLookupBasis: env.SOCIAL_LOOKUP_BASIS,
    secrets: { gravatarApiKey: env.GRAVATAR_API_KEY, githubToken: env.GITHUB_TOKEN, fecApiKey: env.FEC_API_KEY },
    ban: { minScore: env.PROVIDER_BAN_MIN_SCORE },
    http: { maxResponseBytes: env.HTTP_MAX_RESPONSE_BYTES },
    retry: {
      initialIntervalMs: env.RETRY_INITIAL_INTERVAL_MS,
      maximumIntervalMs: env.RETRY_MAXIMUM_INTERVAL_MS,
      backoffCoefficient: env.RETRY_BACKOFF,
      scheduleToCloseMs: env.LOOKUP_SCHEDULE_TO_CLOSE_MS,
      automaticDelaysMs: env.LOOKUP_RETRY_SCHEDULE,
    },
    providers,
    logLevel: env.LOG_LEVEL,
  } as const;
}

/** Raised when the environment does not validate; the message names each variable and the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Parses the environment into a frozen {@link Config}. Pure: pass any record in tests.
 * Empty strings count as unset, as they do in most `.env` tooling.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const issues: string[] = [];
  const base = BaseEnvSchema.safeParse(cleaned);
  if (!base.success) issues.push(...base.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const providers = {} as Record<ProviderName, ProviderConfig>;
  for (const name of PROVIDER_NAMES) {
    const parsed = providerSchema(name).safeParse(cleaned);
    if (parsed.success) providers[name] = parsed.data;
    else issues.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (!base.success || issues.length > 0) throw new ConfigError(`invalid configuration: ${issues.join('; ')}`);
  return deepFreeze(buildConfig(base.data, providers));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
