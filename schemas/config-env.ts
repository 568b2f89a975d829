import { z } from 'zod';
import { countryList, daysOrOff, durationList, optionalSecret, port } from './env-values.js';
import { DEFAULT_PRIORITY_KEYS } from './priority.js';

/**
 * The environment variables config.ts reads (each provider's own `PROVIDER_<NAME>_` ones aside: schemas/provider-env.ts),
 * by section, each a zod object: the variable, how its text is read, its default, and in `.describe()` what it
 * means. docs/configuration.md is generated from these (`npm run docs:config`); config.ts joins them into one
 * schema and builds the `Config` the code reads. The voter file's section is in config.ts (its defaults come from
 * domain/voter-matching, which schemas/ may not import).
 */

export const DatabaseEnv = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional()
    .describe('Postgres URL (`postgres://` or `postgresql://`); unset: the embedded PGlite database in `PGLITE_DIR`'),
  PGLITE_DIR: z
    .string()
    .min(1)
    .default('data/pglite')
    .describe('folder of the embedded PGlite database, used when `DATABASE_URL` is unset'),
  PGLITE_PORT: port.default(54329).describe('read and checked to be a port, but used by no command of this build'),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10).describe('Postgres connections per process'),
});

export const TemporalEnv = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .min(1)
    .optional()
    .describe(
      'the Temporal frontend, `host:port`; unset: `enrich dev` starts the dev server, every other command uses `127.0.0.1:$TEMPORAL_PORT`',
    ),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('the Temporal namespace'),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .min(1)
    .default('enrichment')
    .describe("the workflows' task queue; each provider's queue is `<this>-<provider>`"),
  TEMPORAL_CLI: z
    .string()
    .min(1)
    .optional()
    .describe('the `temporal` binary `enrich dev` runs; unset: `.venv/bin/temporal`, else the one on PATH'),
  TEMPORAL_DB_FILE: z
    .string()
    .min(1)
    .default('data/temporal.db')
    .describe("the dev server's SQLite file (`enrich dev`)"),
  TEMPORAL_PORT: port.default(7233).describe("the dev server's frontend port (`enrich dev`)"),
  TEMPORAL_UI_PORT: port.default(8233).describe("the dev server's Web UI port (`enrich dev`)"),
  TEMPORAL_API_KEY: optionalSecret.describe(
    'an API key for Temporal Cloud (or any server behind auth), sent as a bearer token; implies TLS',
  ),
  TEMPORAL_TLS_CERT_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      "mTLS (Temporal Cloud's other way in): PEM file of this client's certificate; set with `TEMPORAL_TLS_KEY_PATH`, both or neither; implies TLS",
    ),
  TEMPORAL_TLS_KEY_PATH: z
    .string()
    .min(1)
    .optional()
    .describe("mTLS: PEM file of this client's private key; set with `TEMPORAL_TLS_CERT_PATH`, both or neither"),
  TEMPORAL_TLS: z
    .stringbool()
    .default(false)
    .describe(
      '`true`: TLS to the Temporal frontend without a client certificate or API key (a self-hosted frontend behind TLS)',
    ),
  TEMPORAL_METRICS_BIND_ADDRESS: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]+):\d{1,5}$/, 'must be host:port')
    .optional()
    .describe(
      '`host:port` where the Temporal runtime serves its own Prometheus metrics (workers, `enrich dev`), also appended to `/metrics`; unset: not served',
    ),
});

export const ApiEnv = z.object({
  API_HOST: z.string().min(1).default('127.0.0.1').describe('the address the HTTP API listens on'),
  API_URL: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'must be an http:// or https:// URL')
    .transform((url) => url.replace(/\/+$/, ''))
    .optional()
    .describe(
      "a running API for commands to go through: `enrich signup` posts to it with `SIGNUP_TOKEN`, read commands (`contact`, `flagged`…) ask it with `API_TOKEN`; unset: the dev stack's API while `enrich dev` holds the embedded database, else Temporal and the database directly",
    ),
  API_PORT: port.default(3000).describe('the port the HTTP API listens on'),
  API_TOKEN: optionalSecret.describe(
    'bearer token for reads; `enrich api` requires it, `enrich dev` makes one up per run',
  ),
  SIGNUP_TOKEN: optionalSecret.describe(
    'bearer token for signups (`POST /v1/signups`); `enrich dev` makes one up per run',
  ),
  WEBHOOK_SECRET: optionalSecret.describe('HMAC secret for signed signups (`X-Signature` on `POST /v1/signups`)'),
  NATIONBUILDER_WEBHOOK_TOKEN: optionalSecret.describe(
    'the `token` NationBuilder puts in each webhook body; unset: the route answers 404',
  ),
  ACTION_NETWORK_WEBHOOK_SECRET: optionalSecret.describe(
    'the secret path segment of the Action Network webhook URL; unset: the route answers 404',
  ),
  API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024)
    .describe('larger request bodies get 413'),
  API_START_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .default(5000)
    .describe('how long a signup waits for Temporal before answering 503'),
});

/** `enrich export --to actionnetwork`: writing people back through Action Network's person signup helper. */
export const ActionNetworkExportEnv = z.object({
  ACTION_NETWORK_API_KEY: optionalSecret.describe(
    'the Action Network API key (sent as `OSDI-API-Token`) that `enrich export --to actionnetwork --send` writes with; unset: only dry runs',
  ),
  ACTION_NETWORK_API_URL: z
    .url()
    .default('https://actionnetwork.org/api/v2')
    .describe('the Action Network API v2 base URL; people are posted to `<this>/people`'),
  ACTION_NETWORK_RPS: z.coerce
    .number()
    .positive()
    .max(50)
    .default(4)
    .describe('requests per second the write-back sends at most (a 429 waits for its Retry-After)'),
});

export const PrivacyEnv = z.object({
  PSEUDONYM_KEY: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe(
      'HMAC key for contact ids, at least 16 characters: set it in production; unset: a development key, with a warning at start-up',
    ),
  PAYLOAD_KEYS: z
    .string()
    .regex(
      /^\s*[^:,\s]+:[A-Za-z0-9+/=_-]+\s*(,\s*[^:,\s]+:[A-Za-z0-9+/=_-]+\s*)*$/,
      'must be id:base64key[,id:base64key…]',
    )
    .optional()
    .describe(
      'AES-256-GCM keys for Temporal payloads, `id:base64(32 bytes)[,…]`, newest first; unset: a key derived from `PSEUDONYM_KEY`',
    ),
  PAYLOAD_ENCRYPTION: z
    .enum(['on', 'off'])
    .default('on')
    .describe('encrypt Temporal payloads; `off` only for tests and debugging'),
  CODEC_TOKEN: optionalSecret.describe(
    "bearer token the Web UI's `/codec/*` requests must carry; unset: the codec endpoints answer only on a loopback API",
  ),
  CODEC_CORS_ORIGIN: z
    .string()
    .min(1)
    .optional()
    .describe(
      'the Web UI origin allowed to call `/codec/*` (CORS); unset: the dev UI, `http://localhost:$TEMPORAL_UI_PORT`',
    ),
  SOCIAL_LOOKUP_BASIS: z
    .enum(['consent', 'legitimate_interest'])
    .default('consent')
    .describe(
      '`consent`: social lookups only with `consent.socialProfiles`; `legitimate_interest`: always, except in consent-only jurisdictions',
    ),
  JURISDICTION: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as FR or US')
    .optional()
    .describe(
      "the operator's country (ISO 3166-1 alpha-2): an address without a country is taken to be there; consent-only when it is in `CONSENT_ONLY_JURISDICTIONS` (docs/privacy.md, jurisdiction defaults)",
    ),
  CONSENT_ONLY_JURISDICTIONS: countryList({ allowNone: true })
    .default(['FR'])
    .describe(
      "countries (ISO 3166-1 alpha-2, comma-separated; the contact's or the operator's) where social lookups need consent whatever `SOCIAL_LOOKUP_BASIS` says; `none` for none",
    ),
  RETENTION_OBSERVATIONS_DAYS: daysOrOff
    .default(395)
    .describe(
      'provider observations older than this many days are purged by the retention schedule; `0` or `off`: kept until erasure',
    ),
  RETENTION_PURGE_CRON: z
    .string()
    .trim()
    .regex(/^\S+(\s+\S+){4}$/, 'must be a five-field cron expression such as "17 3 * * *"')
    .default('17 3 * * *')
    .describe('when the retention purge runs: a Temporal Schedule, five-field cron, UTC'),
});

/** Schedule A pages one FEC lookup reads at most, unless PROVIDER_FEC_MAX_PAGES says otherwise. */
export const DEFAULT_FEC_MAX_PAGES = 3;

export const ProviderSecretsEnv = z.object({
  GRAVATAR_API_KEY: optionalSecret.describe(
    "Gravatar API key; unset: the default rate keeps Gravatar's key-less limit (100 an hour) at the public service (docs/rate-limits.md)",
  ),
  GITHUB_TOKEN: optionalSecret.describe(
    'GitHub token; unset: the default rate keeps the key-less limits (search 10 a minute, core 60 an hour per IP) at the public service (docs/rate-limits.md)',
  ),
  FEC_API_KEY: optionalSecret.describe(
    'api.data.gov key for OpenFEC, sent in the `X-Api-Key` header; unset: FEC lookups are off at the public service (no silent `DEMO_KEY`). `DEMO_KEY` on purpose: its limits (30 an hour, 50 a day) set the default rate',
  ),
  PROVIDER_BAN_MIN_SCORE: z.coerce
    .number()
    .min(0)
    .max(1)
    .default(0.6)
    .describe('BAN scores a match 0–1; a match scored below this counts as not found'),
  PROVIDER_FEC_MAX_PAGES: z.coerce
    .number()
    .int()
    .min(1)
    .max(20)
    .default(DEFAULT_FEC_MAX_PAGES)
    .describe(
      'Schedule A pages of 100 receipts one FEC lookup reads at most (keyset paging); a donor with more is recorded with `donations.complete: false`. Each page is one request against the api.data.gov limit',
    ),
});

export const LookupEnv = z.object({
  HTTP_MAX_RESPONSE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024)
    .describe("a provider's reply larger than this fails the lookup"),
  RETRY_INITIAL_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(1000)
    .describe("a failed lookup's first retry waits this long"),
  RETRY_MAXIMUM_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(10)
    .default(60_000)
    .describe("the longest wait between a lookup's retries (a provider's own reset time overrides it)"),
  RETRY_BACKOFF: z.coerce
    .number()
    .min(1)
    .max(10)
    .default(2)
    .describe('backoff coefficient: each retry waits this many times longer than the one before'),
  LOOKUP_SCHEDULE_TO_CLOSE_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .optional()
    .describe(
      "the whole budget of one lookup activity, queueing and retries included; unset: `LOOKUP_QUEUE_WAIT_MS` plus the retry policy's whole budget (every attempt's timeout and every backoff between them)",
    ),
  LOOKUP_QUEUE_WAIT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(24 * 3600 * 1000)
    .describe(
      "how long one lookup may wait on its provider's rate-limited queue (behind higher-priority lookups, a backlog) before it times out: the part of the default `LOOKUP_SCHEDULE_TO_CLOSE_MS` that is not the retry policy's",
    ),
  LOOKUP_QUOTA_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(48 * 3600 * 1000)
    .describe(
      "how long one lookup may wait in all for a provider's quota (its reset, a 429's retry time): waiting for quota spends this budget, never the lookup's attempts; past it the lookup ends failed `RateLimited`",
    ),
  LOOKUP_QUOTA_WAITS: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(100)
    .describe(
      'how many times one lookup may be refused for quota and wait before it ends failed `RateLimited`; `0`: a refusal fails the lookup at once',
    ),
  LOOKUP_RETRY_SCHEDULE: durationList
    .prefault('1h,6h,24h')
    .describe(
      "after a contact is flagged (a lookup's retries ran out), its transient failures run again after each of these delays (units ms, s, m, h, d); `none`: complete at once",
    ),
});

export const ObservabilityEnv = z.object({
  LOG_LEVEL: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
    .default('info')
    .describe(
      'pino level (`trace`, `debug`, `info`, `warn`, `error`, `fatal`, `silent`); logs go to stderr and carry no email, name or phone',
    ),
  LOG_FORMAT: z
    .enum(['auto', 'json', 'pretty'])
    .default('auto')
    .describe(
      '`auto`: one human-readable line per entry when stderr is a terminal, JSON lines otherwise (a file, a pipe, a log collector); `json` or `pretty` force one',
    ),
  METRICS_PORT: port
    .optional()
    .describe(
      'the port `enrich worker` serves `/metrics` (Prometheus) on; unset: no metrics server (the API always serves `/metrics`)',
    ),
  METRICS_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe("the address `enrich worker`'s metrics server listens on"),
  METRICS_TOKEN: optionalSecret.describe(
    'bearer token `/metrics` then requires, on the API and the workers; unset: open (metrics carry counts only, never personal data)',
  ),
});

/** The task-queue priority key of each class of work (schemas/priority.ts); lower runs first. */
const priorityKey = (fallback: number, what: string) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(5)
    .default(fallback)
    .describe(
      `Temporal task-queue priority key (1 first, 5 last; the server's default range) of ${what}, on every provider queue and the workflows queue`,
    );

export const PriorityEnv = z.object({
  PRIORITY_LIVE: priorityKey(DEFAULT_PRIORITY_KEYS.live, 'live signups and webhooks'),
  PRIORITY_OPERATOR_RETRY: priorityKey(
    DEFAULT_PRIORITY_KEYS.operator,
    'lookups an operator re-runs (`enrich retry`, the `retryLookups` update or signal)',
  ),
  PRIORITY_AUTOMATIC_RETRY: priorityKey(
    DEFAULT_PRIORITY_KEYS.automatic,
    "a flagged contact's automatic retries (`LOOKUP_RETRY_SCHEDULE`)",
  ),
  PRIORITY_BACKFILL: priorityKey(DEFAULT_PRIORITY_KEYS.backfill, 'backfilled contacts (`enrich backfill`)'),
});

export const WorkerEnv = z.object({
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(0)
    .default(500)
    .describe(
      'workflows a worker keeps in memory between their tasks (the sticky cache); beyond it the oldest are evicted and replayed from history when they next have work. Bounds worker memory when many enrichments wait on a provider',
    ),
  WORKER_FAILING_ATTEMPTS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(10)
    .describe(
      "after this many failed attempts in a row, a workflow's activity counts in the `enrich_workflows_failing_activity` gauge; store writes retry without a limit, about once a minute once backed off, so the default is reached after some four minutes of failures (docs/operations.md, the runbook)",
    ),
});
