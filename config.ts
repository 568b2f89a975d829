import { z } from 'zod';
import { DEFAULT_MATCH_THRESHOLDS } from './domain/voter-matching/score.js';
import {
  burstSafeRate,
  overrunWindow,
  largestSafeRate,
  windowOverAllPaths,
  type DocumentedLimit,
  type LookupRequests,
} from './domain/rate-budget.js';
import {
  ApiEnv,
  ActionNetworkExportEnv,
  DatabaseEnv,
  DEFAULT_FEC_MAX_PAGES,
  LookupEnv,
  ObservabilityEnv,
  PriorityEnv,
  PrivacyEnv,
  ProviderSecretsEnv,
  TemporalEnv,
  WorkerEnv,
} from './schemas/config-env.js';
import { countryList } from './schemas/env-values.js';
import type { PriorityClass } from './schemas/priority.js';
import { CREDENTIAL_VARIABLES, isKeyedProvider, KEYLESS_LIMITS, runsKeyless } from './domain/keyless-limits.js';
import {
  DEFAULT_BASE_URLS,
  HTTP_PROVIDER_ENV,
  LOCAL_PROVIDER_ENV,
  PROVIDER_ENV,
  providerEnvPrefix,
  type HttpProviderEnv,
  type LocalProviderEnv,
} from './schemas/provider-env.js';
import {
  isLocalProvider,
  PROVIDER_NAMES,
  type HttpProviderName,
  type LocalProviderName,
  type ProviderName,
} from './schemas/providers.js';

/**
 * The one place that reads `process.env`. Every entry point calls {@link loadConfig} once and passes the frozen
 * result down; nothing else looks at the environment. Defaults make `enrich dev --demo` work with nothing set.
 * The variables, their defaults and meanings are zod schemas (schemas/config-env.ts, schemas/provider-env.ts and
 * the voter file's below); docs/configuration.md is generated from them by `npm run docs:config`.
 */

/** A development-only pseudonymisation key, used when PSEUDONYM_KEY is unset (with a warning at start-up). */
export const DEV_PSEUDONYM_KEY = 'contact-enrichment-dev-only-pseudonym-key';

/**
 * Each provider's documented windows (docs/rate-limits.md has the sources). The default queue rate is the largest
 * whose worst case, the Temporal server's start-up burst included, stays within 90% of every window, counting the
 * requests one lookup makes (see {@link burstSafeRate}). A window without `leading`/`trailing` counts every request;
 * GitHub counts its search and its user requests against two separate limits, so each of its windows says which
 * of a lookup's requests it counts. `PROVIDER_<NAME>_LIMITS` replaces these with the operator's own plan.
 */
export const DOCUMENTED_LIMITS: Record<HttpProviderName, readonly DocumentedLimit[]> = {
  gravatar: [{ max: 1000, windowSeconds: 3600 }], // 1000/h with a key
  github: [
    // Search: 30/min with a token; a lookup's first request (stage 1), none in stage 2.
    { max: 30, windowSeconds: 60, leading: 1, trailing: 0, counts: 'search' },
    // Core: 5,000/h with a token; the user request, which in stage 1 trails the search.
    { max: 5000, windowSeconds: 3600, leading: 0, trailing: 1, counts: 'core' },
  ],
  mastodon: [{ max: 300, windowSeconds: 300 }], // 300 per 5 min per IP on a default instance
  bluesky: [{ max: 3000, windowSeconds: 300 }], // unpublished ("generous"): the PDS figure, a deliberate guess
  fec: [{ max: 1000, windowSeconds: 3600 }], // 1000/h on a personal api.data.gov key, rolling
  census: [{ max: 10, windowSeconds: 1 }], // none published: 10/s assumed (docs/rate-limits.md)
  ban: [{ max: 50, windowSeconds: 1 }], // 50/s per IP
};

/**
 * The most HTTP requests one lookup (one activity attempt) sends, every path together: the task queue meters
 * lookups, so a provider that asks twice per lookup sends twice the queue rate. GitHub's stage 1 searches, then
 * fetches the one user found (stage 2 fetches only the user); FEC reads up to PROVIDER_FEC_MAX_PAGES pages of
 * receipts one after the other (the default shown here, the configured count in {@link lookupRequests}); every other
 * provider asks once. A retry is another attempt, dispatched through the queue again, so it is metered like a new
 * lookup. A provider that comes to send more requests per lookup must raise its count here.
 */
export const REQUESTS_PER_LOOKUP: Record<HttpProviderName, number> = {
  gravatar: 1,
  github: 2,
  mastodon: 1,
  bluesky: 1,
  fec: DEFAULT_FEC_MAX_PAGES,
  census: 1,
  ban: 1,
};

/**
 * How a lookup at `name` spends requests (FEC: `fecMaxPages`, one request a page): its later requests each wait for
 * the previous reply, which the request timeout bounds, so the last trails its first by at most one timeout per
 * request after the first.
 */
export function lookupRequests(
  name: HttpProviderName,
  timeoutMs: number,
  fecMaxPages = DEFAULT_FEC_MAX_PAGES,
): LookupRequests {
  const requests = name === 'fec' ? fecMaxPages : REQUESTS_PER_LOOKUP[name];
  return { requests, trailSeconds: ((requests - 1) * timeoutMs) / 1000 };
}

/** PROVIDER_FEC_MAX_PAGES as the base schema reads it (an invalid value is reported there; the default meanwhile). */
function fecMaxPagesOf(env: Record<string, string>): number {
  const parsed = ProviderSecretsEnv.shape.PROVIDER_FEC_MAX_PAGES.safeParse(env.PROVIDER_FEC_MAX_PAGES);
  return parsed.success ? parsed.data : DEFAULT_FEC_MAX_PAGES;
}

/**
 * The default queue rate of each provider answered from our own database: no one else's limit to respect, so what
 * Postgres can spare beside the workers' writes. A voter-file lookup is a few indexed queries (bench/voterfile.ts
 * matches several hundred a second on two cores); 100/s keeps a large backfill from crowding out everything else.
 */
export const LOCAL_DEFAULT_RPS: Record<LocalProviderName, number> = { voterfile: 100 };

/** The windows a provider's rate must keep: the operator's declared ones (each over every path), else the documented ones. */
function limitsInForce(
  documented: readonly DocumentedLimit[],
  declared: readonly DocumentedLimit[] | undefined,
  lookup: LookupRequests,
): readonly DocumentedLimit[] {
  return declared ? declared.map((limit) => windowOverAllPaths(limit, lookup)) : documented;
}

/**
 * How the credentials shape a provider at the public service: key-less, its documented key-less limits are the ones
 * in force; FEC without any key is off (never a silent `DEMO_KEY`). Another base URL keeps the keyed defaults.
 */
function credentialsOf(name: HttpProviderName, publicService: boolean, env: Record<string, string>) {
  const keyless = publicService && runsKeyless(name, env) === true;
  return {
    keyless,
    documented: keyless && isKeyedProvider(name) ? KEYLESS_LIMITS[name] : DOCUMENTED_LIMITS[name],
    offWithoutKey: name === 'fec' && publicService && env[CREDENTIAL_VARIABLES.fec] === undefined,
  };
}

/** The settings every provider takes from its own variables, whether it is asked over HTTP or in our database. */
function sharedSettings(v: LocalProviderEnv) {
  return {
    timeoutMs: v.TIMEOUT_MS,
    maxAttempts: v.MAX_ATTEMPTS,
    retryOverrides: {
      initialIntervalMs: v.RETRY_INITIAL_INTERVAL_MS,
      maximumIntervalMs: v.RETRY_MAXIMUM_INTERVAL_MS,
      backoffCoefficient: v.RETRY_BACKOFF,
      scheduleToCloseMs: v.SCHEDULE_TO_CLOSE_MS,
    },
    allowedHosts: v.ALLOWED_HOSTS,
  };
}

/** A provider answered from our own database: no base URL, and its rate is ours to choose. */
function localProviderSettings(name: LocalProviderName, v: LocalProviderEnv): ProviderSettings {
  return { name, enabled: v.ENABLED, rps: v.RPS ?? LOCAL_DEFAULT_RPS[name], ...sharedSettings(v) };
}

/**
 * An HTTP provider's settings. Unset, its rate is the largest that keeps every window in force (documented, or
 * declared in LIMITS) with headroom; a declared window too small for any rate is an error on LIMITS.
 */
function httpProviderSettings(
  name: HttpProviderName,
  v: HttpProviderEnv,
  ctx: z.RefinementCtx,
  env: Record<string, string>,
): ProviderConfig {
  const base = v.BASE_URL.replace(/\/+$/, '');
  const lookup = lookupRequests(name, v.TIMEOUT_MS, fecMaxPagesOf(env));
  // The documented limits are the public service's. Another base URL (a self-hosted BAN, GitHub Enterprise,
  // a demo server) has limits of its own that only the operator knows: checked once declared.
  const publicService = base === DEFAULT_BASE_URLS[name];
  const credentials = credentialsOf(name, publicService, env);
  if (credentials.offWithoutKey && v.ENABLED && env[`${providerEnvPrefix(name)}ENABLED`] !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['ENABLED'],
      message: `needs ${CREDENTIAL_VARIABLES.fec} (a personal api.data.gov key, or DEMO_KEY on purpose: 30/h and 50/day)`,
    });
    return z.NEVER;
  }
  const windows = limitsInForce(credentials.documented, v.LIMITS, lookup);
  let rps: number;
  try {
    rps = v.RPS ?? burstSafeRate(windows, lookup);
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: ['LIMITS'], message: (error as Error).message });
    return z.NEVER;
  }
  const limits = v.LIMITS || publicService ? windows : undefined;
  return {
    name,
    baseUrl: base,
    enabled: v.ENABLED && !credentials.offWithoutKey,
    rps,
    ...(credentials.keyless ? { keyless: true } : {}),
    ...(credentials.offWithoutKey ? { offWithoutKey: true } : {}),
    ...(limits ? { limits, declaredLimits: v.LIMITS !== undefined } : {}),
    ...sharedSettings(v),
  };
}

/**
 * One provider's settings from its own variables: its slice of the environment, `PROVIDER_<NAME>_` stripped, is
 * parsed by its schema, and each error names the variable in full again.
 */
function parseProvider(
  name: ProviderName,
  env: Record<string, string>,
): { settings: ProviderSettings } | { issues: string[] } {
  const prefix = providerEnvPrefix(name);
  const own = Object.fromEntries(
    Object.entries(env)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  const parsed = isLocalProvider(name)
    ? LOCAL_PROVIDER_ENV[name].transform((v) => localProviderSettings(name, v)).safeParse(own)
    : HTTP_PROVIDER_ENV[name].transform((v, ctx) => httpProviderSettings(name, v, ctx, env)).safeParse(own);
  if (parsed.success) return { settings: parsed.data };
  return { issues: parsed.error.issues.map((i) => `${prefix}${i.path.join('.')}: ${i.message}`) };
}

/**
 * Why an enabled provider's queue rate can overrun one of its windows, in one line naming the variable, the window
 * and the worst case (`PROVIDER_GITHUB_RPS=4 can send 58 requests in 1 s; …`); undefined when it keeps them all.
 */
function rateOverrun(settings: ProviderSettings, env: Record<string, string>): string | undefined {
  if (!settings.enabled || !settings.limits || isLocalProvider(settings.name)) return undefined;
  const lookup = lookupRequests(settings.name, settings.timeoutMs, fecMaxPagesOf(env));
  const overrun = overrunWindow(settings.rps, settings.limits, lookup);
  if (!overrun) return undefined;
  const prefix = `PROVIDER_${settings.name.toUpperCase()}_`;
  const { limit, worstCase } = overrun;
  const requests = limit.counts ? `${limit.counts} requests` : 'requests';
  let most: string;
  try {
    most = `at most ${largestSafeRate(settings.limits, lookup)}`;
  } catch {
    most = 'no queue rate can keep it';
  }
  const perLookup =
    lookup.requests > 1 && !limit.counts
      ? ` (${lookup.requests} requests per lookup, the later up to ${lookup.trailSeconds} s after the first)`
      : '';
  const remedy = settings.declaredLimits
    ? `as declared in ${prefix}LIMITS`
    : `a plan with higher limits can declare them in ${prefix}LIMITS`;
  return (
    `${prefix}RPS=${settings.rps} can send ${Math.ceil(worstCase)} ${requests} in ${limit.windowSeconds} s${perLookup}; ` +
    `${settings.name} allows ${limit.max} per ${limit.windowSeconds} s — ${most} (${remedy})`
  );
}

/**
 * The voter file's variables. Here rather than in schemas/config-env.ts: the thresholds' defaults are the matcher's
 * own (domain/voter-matching/score.ts, as bench/voterfile.ts tuned them), which schemas/ may not import.
 */
export const VoterfileEnv = z.object({
  VOTERFILE_HIGH_THRESHOLD: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(DEFAULT_MATCH_THRESHOLDS.high)
    .describe(
      "voter-file match probability at or above which the registration is the supporter's; also `enrich voters rematch`'s default",
    ),
  VOTERFILE_LOW_THRESHOLD: z.coerce
    .number()
    .gt(0)
    .max(1)
    .default(DEFAULT_MATCH_THRESHOLDS.low)
    .describe(
      "from this probability (the best two candidates together) to `VOTERFILE_HIGH_THRESHOLD` a person decides: the contact is flagged for review; below, no match. At most the high threshold; also `enrich voters rematch`'s default",
    ),
  VOTERFILE_COUNTRIES: countryList({ allowNone: false })
    .default(['US'])
    .describe(
      "countries (ISO 3166-1 alpha-2, comma-separated) whose signups are looked up in the imported voter file (the `voterfile` provider): the file's country, e.g. `FR` for a liste électorale. An address without a country counts as `JURISDICTION` when that is set, else as US when it has a five-digit ZIP. Recorded in each workflow's input (runs started before it: US only); to turn the lookup off, `PROVIDER_VOTERFILE_ENABLED=false`",
    ),
});

/** The sections of the environment, in the order docs/configuration.md lists them (each provider's own variables after the credentials). */
export const ENV_SECTIONS = [
  { title: 'Database', schema: DatabaseEnv },
  { title: 'Temporal', schema: TemporalEnv },
  { title: 'HTTP API and webhooks', schema: ApiEnv },
  { title: 'Action Network write-back', schema: ActionNetworkExportEnv },
  { title: 'Privacy', schema: PrivacyEnv },
  { title: 'Provider credentials', schema: ProviderSecretsEnv },
  { title: 'Voter file', schema: VoterfileEnv },
  { title: 'Lookups and retries', schema: LookupEnv },
  { title: 'Priorities', schema: PriorityEnv },
  { title: 'Logs and metrics', schema: ObservabilityEnv },
  { title: 'Workers', schema: WorkerEnv },
] as const;

/** Every variable but the providers' own `PROVIDER_<NAME>_` ones, in one schema. */
const BaseEnvSchema = z.object({
  ...DatabaseEnv.shape,
  ...TemporalEnv.shape,
  ...ApiEnv.shape,
  ...ActionNetworkExportEnv.shape,
  ...PrivacyEnv.shape,
  ...ProviderSecretsEnv.shape,
  ...VoterfileEnv.shape,
  ...LookupEnv.shape,
  ...PriorityEnv.shape,
  ...ObservabilityEnv.shape,
  ...WorkerEnv.shape,
});

/** One provider's settings: its queue rate, and how its lookups are retried. */
export interface ProviderSettings {
  name: ProviderName;
  /** Where its requests go; absent for a provider answered from our own database (the voter file). */
  baseUrl?: string;
  enabled: boolean;
  /** The queue's rate limit in lookups per second, enforced by the Temporal server across every worker. */
  rps: number;
  /**
   * The windows `rps` must keep, burst included, and is checked against at start: the operator's declared limits,
   * else the documented ones when the provider is the public service; absent when neither is known.
   */
  limits?: readonly DocumentedLimit[];
  /** Whether `limits` are the operator's (`PROVIDER_<NAME>_LIMITS`) rather than the documented ones. */
  declaredLimits?: boolean;
  /** At the public service without its credential: the documented key-less limits are the defaults (keyless-limits.ts). */
  keyless?: boolean;
  /** Off because it cannot run key-less here (FEC at the public service without `FEC_API_KEY`). */
  offWithoutKey?: boolean;
  timeoutMs: number;
  maxAttempts: number;
  /** Where set, these replace the global RETRY_* values for this provider. */
  retryOverrides?: {
    initialIntervalMs?: number | undefined;
    maximumIntervalMs?: number | undefined;
    backoffCoefficient?: number | undefined;
    scheduleToCloseMs?: number | undefined;
  };
  /** Hosts learned from data that may be asked even when they resolve to private addresses (Mastodon instances). */
  allowedHosts?: readonly string[];
}

/** An HTTP provider's settings: where its requests go (and only there), besides the rest. */
export interface ProviderConfig extends ProviderSettings {
  baseUrl: string;
}

/** Every provider's settings: a base URL for each HTTP provider, none for the local ones. */
export type ProvidersConfig = Record<HttpProviderName, ProviderConfig> & Record<LocalProviderName, ProviderSettings>;

/** The validated, frozen configuration of one process. */
export type Config = ReturnType<typeof buildConfig>;

function buildConfig(env: z.output<typeof BaseEnvSchema>, providers: ProvidersConfig) {
  return {
    database: {
      url: env.DATABASE_URL,
      pgliteDir: env.PGLITE_DIR,
      pglitePort: env.PGLITE_PORT,
      poolSize: env.DB_POOL_SIZE,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      cli: env.TEMPORAL_CLI,
      dbFile: env.TEMPORAL_DB_FILE,
      port: env.TEMPORAL_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
      apiKey: env.TEMPORAL_API_KEY,
      tls: {
        enabled: env.TEMPORAL_TLS || env.TEMPORAL_API_KEY !== undefined || env.TEMPORAL_TLS_CERT_PATH !== undefined,
        certPath: env.TEMPORAL_TLS_CERT_PATH,
        keyPath: env.TEMPORAL_TLS_KEY_PATH,
      },
      metricsBindAddress: env.TEMPORAL_METRICS_BIND_ADDRESS,
    },
    api: {
      host: env.API_HOST,
      port: env.API_PORT,
      url: env.API_URL,
      apiToken: env.API_TOKEN,
      signupToken: env.SIGNUP_TOKEN,
      webhookSecret: env.WEBHOOK_SECRET,
      nationbuilderWebhookToken: env.NATIONBUILDER_WEBHOOK_TOKEN,
      actionNetworkWebhookSecret: env.ACTION_NETWORK_WEBHOOK_SECRET,
      bodyLimitBytes: env.API_BODY_LIMIT_BYTES,
      startTimeoutMs: env.API_START_TIMEOUT_MS,
    },
    actionNetwork: {
      apiKey: env.ACTION_NETWORK_API_KEY,
      apiUrl: env.ACTION_NETWORK_API_URL.replace(/\/+$/, ''),
      rps: env.ACTION_NETWORK_RPS,
    },
    pseudonymKey: env.PSEUDONYM_KEY ?? DEV_PSEUDONYM_KEY,
    payloads: { encryption: env.PAYLOAD_ENCRYPTION === 'on', keys: env.PAYLOAD_KEYS },
    codec: { token: env.CODEC_TOKEN, corsOrigin: env.CODEC_CORS_ORIGIN ?? `http://localhost:${env.TEMPORAL_UI_PORT}` },
    usingDevPseudonymKey: env.PSEUDONYM_KEY === undefined,
    socialLookupBasis: env.SOCIAL_LOOKUP_BASIS,
    jurisdiction: { default: env.JURISDICTION, consentOnly: env.CONSENT_ONLY_JURISDICTIONS },
    retention: { observationsDays: env.RETENTION_OBSERVATIONS_DAYS, purgeCron: env.RETENTION_PURGE_CRON },
    secrets: { gravatarApiKey: env.GRAVATAR_API_KEY, githubToken: env.GITHUB_TOKEN, fecApiKey: env.FEC_API_KEY },
    ban: { minScore: env.PROVIDER_BAN_MIN_SCORE },
    fec: { maxPages: env.PROVIDER_FEC_MAX_PAGES },
    // The provider's own options (registry.ts passes this object to createVoterfileProvider).
    voterfile: { highThreshold: env.VOTERFILE_HIGH_THRESHOLD, lowThreshold: env.VOTERFILE_LOW_THRESHOLD },
    // Which signups the workflow's plan sends to the voter file: carried in each workflow's input.
    voterfileCountries: env.VOTERFILE_COUNTRIES,
    http: { maxResponseBytes: env.HTTP_MAX_RESPONSE_BYTES },
    retry: {
      initialIntervalMs: env.RETRY_INITIAL_INTERVAL_MS,
      maximumIntervalMs: env.RETRY_MAXIMUM_INTERVAL_MS,
      backoffCoefficient: env.RETRY_BACKOFF,
      scheduleToCloseMs: env.LOOKUP_SCHEDULE_TO_CLOSE_MS,
      queueWaitMs: env.LOOKUP_QUEUE_WAIT_MS,
      automaticDelaysMs: env.LOOKUP_RETRY_SCHEDULE,
    },
    quotaWait: { budgetMs: env.LOOKUP_QUOTA_WAIT_MS, maxWaits: env.LOOKUP_QUOTA_WAITS },
    priority: {
      live: env.PRIORITY_LIVE,
      operator: env.PRIORITY_OPERATOR_RETRY,
      automatic: env.PRIORITY_AUTOMATIC_RETRY,
      backfill: env.PRIORITY_BACKFILL,
    } satisfies Record<PriorityClass, number>,
    providers,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    metrics: { host: env.METRICS_HOST, port: env.METRICS_PORT, token: env.METRICS_TOKEN },
    worker: { maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS, failingAttempts: env.WORKER_FAILING_ATTEMPTS },
  } as const;
}

/** Raised when the environment does not validate; the message names each variable and the reason. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Every environment variable the configuration reads (deployment files are checked against it). */
export const CONFIG_ENV_KEYS: readonly string[] = Object.freeze([
  ...Object.keys(BaseEnvSchema.shape),
  ...PROVIDER_NAMES.flatMap((name) =>
    Object.keys(PROVIDER_ENV[name].shape).map((key) => `${providerEnvPrefix(name)}${key}`),
  ),
]);

/**
 * Parses the environment into a frozen {@link Config}. Pure: pass any record in tests.
 * Empty strings count as unset, as they do in most `.env` tooling.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const issues: string[] = [];
  const base = BaseEnvSchema.safeParse(cleaned);
  if (!base.success) issues.push(...base.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const providers = {} as Record<ProviderName, ProviderSettings>;
  for (const name of PROVIDER_NAMES) {
    const parsed = parseProvider(name, cleaned);
    if ('settings' in parsed) {
      providers[name] = parsed.settings;
      const overrun = rateOverrun(parsed.settings, cleaned);
      if (overrun) issues.push(overrun);
    } else issues.push(...parsed.issues);
  }
  if (
    base.success &&
    (base.data.TEMPORAL_TLS_CERT_PATH === undefined) !== (base.data.TEMPORAL_TLS_KEY_PATH === undefined)
  ) {
    issues.push('TEMPORAL_TLS_CERT_PATH, TEMPORAL_TLS_KEY_PATH: set both or neither');
  }
  if (base.success && base.data.VOTERFILE_LOW_THRESHOLD > base.data.VOTERFILE_HIGH_THRESHOLD) {
    issues.push(
      `VOTERFILE_LOW_THRESHOLD: must not be above VOTERFILE_HIGH_THRESHOLD (${base.data.VOTERFILE_HIGH_THRESHOLD})`,
    );
  }
  if (!base.success || issues.length > 0) throw new ConfigError(`invalid configuration: ${issues.join('; ')}`);
  return deepFreeze(buildConfig(base.data, providers as ProvidersConfig));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
