/**
 * The fields of North Carolina's tab-separated layout, read by hand (no CSV parser: on an 8-million-row file this is
 * most of the import's CPU). Apart from delimited-records.ts so that the import's worker threads load only this.
 */

/** A record longer than this is an unclosed quote swallowing the file: stop rather than buffer gigabytes. */
export const MAX_RECORD_CHARS = 1024 * 1024;

const QUOTE = 34;

/** A field without the double quotes North Carolina wraps every field in. */
function unquote(field: string): string {
  return field.length >= 2 && field.charCodeAt(0) === QUOTE && field.charCodeAt(field.length - 1) === QUOTE
    ? field.slice(1, -1).replace(/""/g, '"')
    : field;
}

/**
 * The fields of one tab-separated line. When every field is quoted (North Carolina's files), splitting the inside
 * of the line on `"<tab>"` unquotes them all at once, as the known loaders do (an empty field, `""`, comes out
 * empty); only a line where that leaves a quote in some field (an escaped `""` inside a value, a field left
 * unquoted) is unquoted field by field.
 */
export function splitTabs(row: string): string[] {
  if (row.length >= 2 && row.charCodeAt(0) === QUOTE && row.charCodeAt(row.length - 1) === QUOTE) {
    const fields = row.slice(1, -1).split('"\t"');
    if (!fields.some(hasQuote)) return fields;
  }
  return row.split('\t').map(unquote);
}

const hasQuote = (field: string) => field.includes('"');

/** A line with nothing but white space; the usual line, starting with a visible ASCII character, is decided at once. */
export function isBlank(row: string): boolean {
  const first = row.charCodeAt(0);
  return row.length === 0 || ((first <= 32 || first >= 127) && row.trim() === '');
}
