import { z } from 'zod';
import { DEFAULT_MATCH_THRESHOLDS } from './domain/voter-matching/score.js';
import { isLocalProvider, PROVIDER_NAMES, type HttpProviderName, type LocalProviderName, type ProviderName } from './schemas/providers.js';
import { burstSafeRate, overrunWindow, largestSafeRate, windowOverAllPaths, type DocumentedLimit, type LookupRequests } from './domain/rate-budget.js';

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
/** A comma-separated list of host names, lower-cased (`a.example, b.example`). */
const hostList = z.string().transform((text) => text.split(',').map((h) => h.trim().toLowerCase().replace(/\.$/, '')).filter(Boolean)).or(z.array(z.string()));
/**
 * A comma-separated list of ISO 3166-1 alpha-2 country codes (`US,FR`), upper-cased, without repeats; each code that
 * is not two letters is named in the error. `none` for none where that is allowed; otherwise at least one.
 */
function countryList({ allowNone }: { allowNone: boolean }) {
  return z.string().transform((text, ctx) => {
    const codes = text.split(',').map((c) => c.trim().toUpperCase()).filter((c) => c !== '' && !(allowNone && c === 'NONE'));
    const bad = codes.filter((c) => !/^[A-Z]{2}$/.test(c));
    if (bad.length > 0) {
      const named = bad.map((c) => `"${c}"`).join(', ');
      const verb = bad.length > 1 ? 'are not ISO 3166-1 alpha-2 codes' : 'is not an ISO 3166-1 alpha-2 code';
      ctx.addIssue({ code: 'custom', message: `${named} ${verb}; list two-letter codes such as US,FR` });
      return z.NEVER;
    }
    if (codes.length === 0 && !allowNone) {
      ctx.addIssue({ code: 'custom', message: 'must list at least one ISO 3166-1 alpha-2 code such as US or FR' });
      return z.NEVER;
    }
    return [...new Set(codes)];
  });
}
/** A number of days, or `0`/`off` for never (null). */
const daysOrOff = z
  .union([z.literal('off'), z.coerce.number().int().min(0).max(36_500)], { error: 'must be a number of days (0 to 36500), or off' })
  .transform((value) => (value === 'off' || value === 0 ? null : value));
const optionalSecret = z.string().min(1).optional();

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
  census: [{ max: 10, windowSeconds: 1 }], // none published; providers.md advises a few at a time
  ban: [{ max: 50, windowSeconds: 1 }], // 50/s per IP
};

/**
 * The most HTTP requests one lookup (one activity attempt) sends, every path together: the task queue meters
 * lookups, so a provider that asks twice per lookup sends twice the queue rate. GitHub's stage 1 searches, then
 * fetches the one user found (stage 2 fetches only the user); every other provider asks once. A retry is another
 * attempt, dispatched through the queue again, so it is metered like a new lookup. A provider that comes to send
 * more requests per lookup must raise its count here.
 */
export const REQUESTS_PER_LOOKUP: Record<HttpProviderName, number> = {
  gravatar: 1,
  github: 2,
  mastodon: 1,
  bluesky: 1,
  fec: 1,
  census: 1,
  ban: 1,
};

/**
 * How a lookup at `name` spends requests: its later requests each wait for the previous reply, which the request
 * timeout bounds, so they trail its first by at most the timeout.
 */
export function lookupRequests(name: HttpProviderName, timeoutMs: number): LookupRequests {
  const requests = REQUESTS_PER_LOOKUP[name];
  return { requests, trailSeconds: requests > 1 ? timeoutMs / 1000 : 0 };
}

/**
 * The default queue rate of each provider answered from our own database: no one else's limit to respect, so what
 * Postgres can spare beside the workers' writes. A voter-file lookup is a few indexed queries (bench/voterfile.ts
 * matches several hundred a second on two cores); 100/s keeps a large backfill from crowding out everything else.
 */
export const LOCAL_DEFAULT_RPS: Record<LocalProviderName, number> = { voterfile: 100 };

const LIMIT_UNITS_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/**
 * `PROVIDER_<NAME>_LIMITS`: the windows of the operator's own plan or instance, comma-separated, each
 * `<max>/<window>` (`30/60s,10/1s`, `300/5m`, `5000/1h`; a window of one unit may drop the 1: `50/s`).
 */
const limitList = z.string().transform((text, ctx) => {
  const limits: DocumentedLimit[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^(\d+)\s*\/\s*(\d*)(s|m|h|d)$/.exec(part);
    const max = Number(match?.[1]);
    const windowSeconds = Number(match?.[2] || 1) * LIMIT_UNITS_SECONDS[(match?.[3] ?? 's') as keyof typeof LIMIT_UNITS_SECONDS];
    if (!match || max < 1 || windowSeconds < 1) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a limit like 30/60s, 300/5m or 5000/1h (requests per window)` });
      return z.NEVER;
    }
    limits.push({ max, windowSeconds });
  }
  if (limits.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must list at least one limit such as 30/60s' });
    return z.NEVER;
  }
  return limits;
});

/** The windows a provider's rate must keep: the operator's declared ones (each over every path), else the documented ones. */
function limitsInForce(name: HttpProviderName, declared: readonly DocumentedLimit[] | undefined, lookup: LookupRequests): readonly DocumentedLimit[] {
  return declared ? declared.map((limit) => windowOverAllPaths(limit, lookup)) : DOCUMENTED_LIMITS[name];
}

/**
 * Where each provider's requests go. Mastodon's `{instance}` is the handle's own server (an account is best
 * looked up where it lives); a base URL without it sends every lookup to that one server.
 */
const DEFAULT_BASE_URLS: Record<HttpProviderName, string> = {
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

/** One provider's `PROVIDER_<NAME>_*` variables; a local provider (the voter file) has no base URL. */
function providerSchema(name: ProviderName) {
  const prefix = `PROVIDER_${name.toUpperCase()}_`;
  return z
    .object({
      ...(isLocalProvider(name) ? {} : { [`${prefix}BASE_URL`]: baseUrl.default(DEFAULT_BASE_URLS[name]) }),
      [`${prefix}ENABLED`]: z.stringbool().default(true),
      // Unset: the largest rate that keeps every window of the provider (documented, or declared in LIMITS) with headroom.
      [`${prefix}RPS`]: positive.optional(),
      ...(isLocalProvider(name) ? {} : { [`${prefix}LIMITS`]: limitList.optional() }),
      [`${prefix}TIMEOUT_MS`]: z.coerce.number().int().min(100).max(120_000).default(10_000),
      [`${prefix}MAX_ATTEMPTS`]: z.coerce.number().int().min(1).max(100).default(6),
      // Unset: the global RETRY_* / LOOKUP_SCHEDULE_TO_CLOSE_MS values.
      [`${prefix}RETRY_INITIAL_INTERVAL_MS`]: z.coerce.number().int().min(10).optional(),
      [`${prefix}RETRY_MAXIMUM_INTERVAL_MS`]: z.coerce.number().int().min(10).optional(),
      [`${prefix}RETRY_BACKOFF`]: z.coerce.number().min(1).max(10).optional(),
      [`${prefix}SCHEDULE_TO_CLOSE_MS`]: z.coerce.number().int().min(1000).optional(),
      // Hosts learned from data (a Mastodon handle's instance) that may resolve to private addresses: trusted explicitly.
      [`${prefix}ALLOWED_HOSTS`]: hostList.default([]),
    })
    .transform((v, ctx): ProviderSettings => {
      const timeoutMs = Number(v[`${prefix}TIMEOUT_MS`]);
      const base = (v[`${prefix}BASE_URL`] as string | undefined)?.replace(/\/+$/, '');
      const configured = v[`${prefix}RPS`] as number | undefined;
      let rps = configured ?? (isLocalProvider(name) ? LOCAL_DEFAULT_RPS[name] : undefined);
      let limits: readonly DocumentedLimit[] | undefined;
      if (!isLocalProvider(name)) {
        const lookup = lookupRequests(name, timeoutMs);
        const declared = v[`${prefix}LIMITS`] as DocumentedLimit[] | undefined;
        const windows = limitsInForce(name, declared, lookup);
        try {
          rps ??= burstSafeRate(windows, lookup);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: [`${prefix}LIMITS`], message: (error as Error).message });
          return z.NEVER;
        }
        // The documented limits are the public service's. Another base URL (a self-hosted BAN, GitHub Enterprise,
        // a demo server) has limits of its own that only the operator knows: checked once declared.
        const publicService = base === DEFAULT_BASE_URLS[name];
        if (declared || publicService) limits = windows;
      }
      return {
        name,
        ...(base === undefined ? {} : { baseUrl: base }),
        enabled: Boolean(v[`${prefix}ENABLED`]),
        rps: rps!,
        ...(limits ? { limits, declaredLimits: v[`${prefix}LIMITS`] !== undefined } : {}),
        timeoutMs,
        maxAttempts: Number(v[`${prefix}MAX_ATTEMPTS`]),
        retryOverrides: {
          initialIntervalMs: v[`${prefix}RETRY_INITIAL_INTERVAL_MS`] as number | undefined,
          maximumIntervalMs: v[`${prefix}RETRY_MAXIMUM_INTERVAL_MS`] as number | undefined,
          backoffCoefficient: v[`${prefix}RETRY_BACKOFF`] as number | undefined,
          scheduleToCloseMs: v[`${prefix}SCHEDULE_TO_CLOSE_MS`] as number | undefined,
        },
        allowedHosts: v[`${prefix}ALLOWED_HOSTS`] as string[],
      };
    });
}

/**
 * Why an enabled provider's queue rate can overrun one of its windows, in one line naming the variable, the window
 * and the worst case (`PROVIDER_GITHUB_RPS=4 can send 58 requests in 1 s; …`); undefined when it keeps them all.
 */
function rateOverrun(settings: ProviderSettings): string | undefined {
  if (!settings.enabled || !settings.limits || isLocalProvider(settings.name)) return undefined;
  const lookup = lookupRequests(settings.name, settings.timeoutMs);
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
    lookup.requests > 1 && !limit.counts ? ` (${lookup.requests} requests per lookup, the later up to ${lookup.trailSeconds} s after the first)` : '';
  const remedy = settings.declaredLimits ? `as declared in ${prefix}LIMITS` : `a plan with higher limits can declare them in ${prefix}LIMITS`;
  return (
    `${prefix}RPS=${settings.rps} can send ${Math.ceil(worstCase)} ${requests} in ${limit.windowSeconds} s${perLookup}; ` +
    `${settings.name} allows ${limit.max} per ${limit.windowSeconds} s — ${most} (${remedy})`
  );
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
  /** Temporal Cloud (or any server behind auth): an API key, sent as a bearer token; implies TLS. */
  TEMPORAL_API_KEY: optionalSecret,
  /** mTLS: PEM files of this client's certificate and key (Temporal Cloud's other way in); implies TLS. */
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  /** TLS without a client certificate or API key (a self-hosted frontend behind TLS). */
  TEMPORAL_TLS: z.stringbool().default(false),
  /** Where the Temporal runtime serves its own Prometheus metrics (`host:port`); unset = not served. Workers only. */
  TEMPORAL_METRICS_BIND_ADDRESS: z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port').optional(),

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
  /** The operator's jurisdiction (ISO 3166-1 alpha-2); an address without a country is taken to be there. */
  JURISDICTION: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as FR or US').optional(),
  /** Where social lookups need the person's consent whatever SOCIAL_LOOKUP_BASIS says (the contact's or the operator's). */
  CONSENT_ONLY_JURISDICTIONS: countryList({ allowNone: true }).default(['FR']),
  /** Provider observations older than this many days are purged (`0` or `off`: kept until erasure). */
  RETENTION_OBSERVATIONS_DAYS: daysOrOff.default(395),
  /** When the retention purge runs (a Temporal Schedule; cron, UTC). */
  RETENTION_PURGE_CRON: z.string().trim().regex(/^\S+(\s+\S+){4}$/, 'must be a five-field cron expression such as "17 3 * * *"').default('17 3 * * *'),

  GRAVATAR_API_KEY: optionalSecret,
  GITHUB_TOKEN: optionalSecret,
  FEC_API_KEY: optionalSecret,
  /** BAN scores a match 0–1; below this the address is treated as not found. */
  PROVIDER_BAN_MIN_SCORE: z.coerce.number().min(0).max(1).default(0.6),
  /**
   * Voter-file match probabilities (domain/voter-matching/score.ts): at or above HIGH the registration is the
   * supporter's; from LOW (the best two together) a person decides; below, no match. Defaults as bench/voterfile.ts tuned.
   */
  VOTERFILE_HIGH_THRESHOLD: z.coerce.number().gt(0).max(1).default(DEFAULT_MATCH_THRESHOLDS.high),
  VOTERFILE_LOW_THRESHOLD: z.coerce.number().gt(0).max(1).default(DEFAULT_MATCH_THRESHOLDS.low),
  /**
   * The countries whose signups are looked up in the imported voter file online (the `voterfile` provider): the
   * country of the file you loaded (`FR` for a liste électorale). An address without a country counts as the
   * operator's JURISDICTION when that is set, else as US when it has a five-digit ZIP. Recorded in each workflow's
   * input. To turn the lookup off, PROVIDER_VOTERFILE_ENABLED=false.
   */
  VOTERFILE_COUNTRIES: countryList({ allowNone: false }).default(['US']),

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

  /** `enrich worker` serves `/metrics` (Prometheus) on this port; unset = no metrics server. */
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Bearer token `/metrics` requires (API and worker); unset = open (metrics carry counts only, never personal data). */
  METRICS_TOKEN: optionalSecret,

  /**
   * Workflows a worker keeps in memory between their tasks (the sticky cache); beyond it the oldest are evicted and
   * replayed from history when they next have work. Bounds worker memory when many enrichments wait on a provider.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(500),
  /**
   * After this many failed attempts in a row, a workflow's activity counts in the worker's
   * `enrich_workflows_failing_activity` gauge. Store writes retry without a limit (Postgres may be away for a
   * while), about once a minute once backed off: the default is reached after some four minutes of failures.
   */
  WORKER_FAILING_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(10),
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
    database: { url: env.DATABASE_URL, pgliteDir: env.PGLITE_DIR, pglitePort: env.PGLITE_PORT, poolSize: env.DB_POOL_SIZE },
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
    jurisdiction: { default: env.JURISDICTION, consentOnly: env.CONSENT_ONLY_JURISDICTIONS },
    retention: { observationsDays: env.RETENTION_OBSERVATIONS_DAYS, purgeCron: env.RETENTION_PURGE_CRON },
    secrets: { gravatarApiKey: env.GRAVATAR_API_KEY, githubToken: env.GITHUB_TOKEN, fecApiKey: env.FEC_API_KEY },
    ban: { minScore: env.PROVIDER_BAN_MIN_SCORE },
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
      automaticDelaysMs: env.LOOKUP_RETRY_SCHEDULE,
    },
    providers,
    logLevel: env.LOG_LEVEL,
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
  ...PROVIDER_NAMES.flatMap((name) => Object.keys(providerSchema(name).in.shape)),
]);

/**
 * Parses the environment into a frozen {@link Config}. Pure: pass any record in tests.
 * Empty strings count as unset, as they do in most `.env` tooling.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const issues: string[] = [];
  const base = BaseEnvSchema.safeParse(cleaned);
  if (!base.success) issues.push(...base.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  const providers = {} as Record<ProviderName, ProviderSettings>;
  for (const name of PROVIDER_NAMES) {
    const parsed = providerSchema(name).safeParse(cleaned);
    if (parsed.success) {
      providers[name] = parsed.data;
      const overrun = rateOverrun(parsed.data);
      if (overrun) issues.push(overrun);
    } else issues.push(...parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  if (base.success && (base.data.TEMPORAL_TLS_CERT_PATH === undefined) !== (base.data.TEMPORAL_TLS_KEY_PATH === undefined)) {
    issues.push('TEMPORAL_TLS_CERT_PATH, TEMPORAL_TLS_KEY_PATH: set both or neither');
  }
  if (base.success && base.data.VOTERFILE_LOW_THRESHOLD > base.data.VOTERFILE_HIGH_THRESHOLD) {
    issues.push(`VOTERFILE_LOW_THRESHOLD: must not be above VOTERFILE_HIGH_THRESHOLD (${base.data.VOTERFILE_HIGH_THRESHOLD})`);
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
