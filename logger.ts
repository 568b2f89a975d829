import pino, { type Logger } from 'pino';

/**
 * Paths whose values are personal data. Logs should not carry them in the first place; redaction is the net
 * under that rule, not the rule itself.
 */
const REDACT_PATHS = [
  'email',
  'givenName',
  'familyName',
  'phone',
  'postalAddress',
  'signup',
  '*.email',
  '*.givenName',
  '*.familyName',
  '*.phone',
  '*.postalAddress',
  '*.signup',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-signature"]',
  // A database error carries the row's values: `detail` ("Key (id)=(…)"), `where` (the JSON text around a bad
  // character), the query's `parameters`. Store code rethrows without them (store/database-errors.ts); this is the
  // net for an error logged as the driver threw it, at the top level, under `err`/`error` or as their cause.
  ...['detail', 'where', 'parameters', 'internalQuery'].flatMap((key) => [key, `*.${key}`, `*.cause.${key}`]),
];

/** The process's root logger. It writes JSON to stderr so stdout stays free for command output. */
export function createLogger(level: string, name = 'enrich'): Logger {
  // The Temporal SDK logs a failed activity's error under `error`: serialized like `err`, its message and type show.
  const serializers = { err: pino.stdSerializers.err, error: pino.stdSerializers.err };
  return pino({ name, level, serializers, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2));
}
