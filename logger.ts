import pino, { type Logger } from 'pino';

/**
 * Paths whose values are personal data. Logs should not carry them in the first place; redaction is the net
 * under that rule, not the rule itself.
 */
const REDACT_PATHS = [
  'email', 'givenName', 'familyName', 'phone', 'postalAddress', 'signup',
  '*.email', '*.givenName', '*.familyName', '*.phone', '*.postalAddress', '*.signup',
  'authorization', 'headers.authorization', 'req.headers.authorization', 'req.headers["x-signature"]',
];

/** The process's root logger. It writes JSON to stderr so stdout stays free for command output. */
export function createLogger(level: string, name = 'enrich'): Logger {
  return pino({ name, level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, pino.destination(2));
}
