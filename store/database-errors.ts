/**
 * What a failed database call means for whoever retries it, and how to say what failed without the values.
 *
 * Postgres answers a bad value with an SQLSTATE of class 22 (data exception: a NUL in text, a number out of range)
 * or 23 (integrity: a NOT NULL, CHECK or foreign key violated). The same write then fails the same way on every
 * attempt, so retrying it cannot heal: a caller should stop and say why. Everything else (a dropped connection,
 * a serialization failure, a server shutting down, an unknown error) may heal, and is retried as before.
 *
 * The driver's error carries the values themselves: `detail` ("Key (id)=(…) already exists"), `where` (the JSON
 * text around a bad character), sometimes the query and its parameters. {@link describeDatabaseError} names only
 * the SQLSTATE, its condition and the table, column or constraint, so the description may go into logs, metrics,
 * workflow histories and the lookup's `lastError`.
 */

/** The fields of a Postgres error (pg's and PGlite's `DatabaseError`) that carry no value of the row. */
interface PostgresErrorFields {
  code?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
}

/** SQLSTATE codes of class 23 that a retry can heal: a unique key taken by a concurrent writer of the same row. */
const HEALING_INTEGRITY_CODES = new Set(['23505']);

/** Condition names (PostgreSQL, Appendix A) of the codes the store can meet; others are named by class. */
const CONDITION_NAMES: Record<string, string> = {
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '54000': 'program_limit_exceeded',
};

const CLASS_NAMES: Record<string, string> = {
  '22': 'data_exception',
  '23': 'integrity_constraint_violation',
  '54': 'program_limit_exceeded',
};

/** The SQLSTATE of a Postgres error, or undefined for anything else (a network error, a bug). */
export function sqlState(err: unknown): string | undefined {
  const code = (err as PostgresErrorFields | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether Postgres refused the values themselves, so the same write can never succeed: a data exception (class
 * 22), an integrity violation (class 23) other than a unique key a concurrent writer took, or a value past a
 * program limit (class 54, e.g. an index row too large).
 */
export function isUnstorableValue(err: unknown): boolean {
  const code = sqlState(err);
  if (!code) return false;
  const errorClass = code.slice(0, 2);
  return errorClass === '22' || errorClass === '54' || (errorClass === '23' && !HEALING_INTEGRITY_CODES.has(code));
}

/** `SQLSTATE 22P05 untranslatable_character (table observations, column value)`: no value, no message text. */
export function describeDatabaseError(err: unknown): string {
  const code = sqlState(err);
  if (!code) return 'not a database error';
  const fields = err as PostgresErrorFields;
  const where = (['table', 'column', 'constraint'] as const)
    .filter((key) => typeof fields[key] === 'string' && fields[key] !== '')
    .map((key) => `${key} ${String(fields[key])}`);
  const condition = CONDITION_NAMES[code] ?? CLASS_NAMES[code.slice(0, 2)] ?? 'database error';
  return `SQLSTATE ${code} ${condition}${where.length ? ` (${where.join(', ')})` : ''}`;
}
