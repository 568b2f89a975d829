/**
 * Text from outside made storable, once, where it comes in (the signup schema for forms, webhooks, files and the
 * CLI; the provider HTTP client for every provider's reply).
 *
 * Why: Postgres refuses a NUL character in `text` and in `jsonb` (SQLSTATE 22P05, "\u0000 cannot be converted to
 * text"), and `jsonb` refuses a lone UTF-16 surrogate ("\ud800" escaped by JSON.stringify). Such a value from a
 * provider or a form made every write of the contact fail the same way on every retry, for ever. Other control
 * characters store fine but have no place in a name or a bio: they hide text (backspace, escape sequences in a
 * terminal) or break the CSV and log lines the record ends up in.
 */

/** C0 controls except tab (U+0009) and line feed (U+000A), DEL, and the C1 controls (U+0080–U+009F). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS_BUT_TAB_AND_NEWLINE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// eslint-disable-next-line no-control-regex -- as above, tab and line feed included
const ANY_CONTROL = /[\u0000-\u001F\u007F-\u009F]/g;

/**
 * Free text (a bio, a note): lone surrogates become U+FFFD (the character a decoder puts for bytes it cannot
 * read), CR LF and lone CR become LF, and NUL and every other control but tab and line feed are removed.
 */
export function storableText(value: string): string {
  return value.toWellFormed().replace(/\r\n?/g, '\n').replace(CONTROLS_BUT_TAB_AND_NEWLINE, '');
}

/**
 * One-line text (a name, an address line, a phone number): as {@link storableText}, and a tab or a line break
 * becomes a space, so a value cannot start a new line wherever it is printed.
 */
export function storableLine(value: string): string {
  return value
    .toWellFormed()
    .replace(/[\t\r\n]+/g, ' ')
    .replace(ANY_CONTROL, '');
}

/**
 * A parsed JSON value with every string in it, object keys included, made storable as free text: what a provider
 * answered, before anything reads it.
 */
export function storableJson(value: unknown): unknown {
  if (typeof value === 'string') return storableText(value);
  if (Array.isArray(value)) return value.map(storableJson);
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a key "__proto__" stays a key, as JSON.parse made it.
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [storableText(key), storableJson(inner)]));
  }
  return value;
}
