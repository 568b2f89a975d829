import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

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

export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The process's root logger. It writes to stderr so stdout stays free for command output: JSON lines, or on a
 * terminal (format `auto`) one coloured line per entry. Redaction runs in pino before either, so both carry the
 * same fields.
 */
export function createLogger(level: string, name = 'enrich', format: LogFormat = 'auto'): Logger {
  // The Temporal SDK logs a failed activity's error under `error`: serialized like `err`, its message and type show.
  const serializers = { err: pino.stdSerializers.err, error: pino.stdSerializers.err };
  const pretty = format === 'pretty' || (format === 'auto' && process.stderr.isTTY === true);
  return pino(
    { name, level, serializers, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    pretty ? prettyStderr() : pino.destination(2),
  );
}

/**
 * pino-pretty as a synchronous stream in this thread (not a transport thread), so the dev stack's lines and its
 * log entries stay in order. Loaded only when used: a command writing JSON never pays for it.
 */
function prettyStderr(): DestinationStream {
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pinoPretty({ destination: 2, sync: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
}
