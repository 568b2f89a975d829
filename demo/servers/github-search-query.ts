/**
 * Parses the `q` parameter of GitHub's `GET /search/users` the way the demo
 * server needs it: free text (the email) plus `key:value` qualifiers, and the
 * two validation rules GitHub answers with 422.
 */

/** GitHub counts the limit on the text without qualifiers. */
export const MAX_SEARCH_TEXT_LENGTH = 256;
const MAX_OPERATORS = 5;
const OPERATORS = new Set(['AND', 'OR', 'NOT']);

export interface SearchQuery {
  /** The free text, lowercased, e.g. `dana@example.org`. */
  text: string;
  /** Qualifier values by lowercased key; `in:name,email` gives `in → ['name', 'email']`. */
  qualifiers: Map<string, string[]>;
}

export type SearchQueryProblem = 'missing' | 'too_long' | 'too_many_operators';

export type ParsedSearchQuery = { ok: true; query: SearchQuery } | { ok: false; problem: SearchQueryProblem };

/** Quoted phrases stay whole (`"dana@example.org"`); everything else splits on whitespace. */
const TOKEN = /"([^"]*)"|(\S+)/g;
/** Emails never contain a colon, so any `word:value` token is a qualifier. */
const QUALIFIER = /^([a-z_]+):(.+)$/i;

export function parseSearchQuery(q: string | undefined): ParsedSearchQuery {
  if (q === undefined || q.trim() === '') return { ok: false, problem: 'missing' };
  const words: string[] = [];
  const qualifiers = new Map<string, string[]>();
  let operators = 0;
  for (const match of q.matchAll(TOKEN)) {
    const quoted = match[1];
    const bare = match[2] ?? '';
    if (quoted !== undefined) {
      words.push(quoted);
    } else if (OPERATORS.has(bare)) {
      operators += 1;
    } else {
      addToken(bare, words, qualifiers);
    }
  }
  const text = words.join(' ').trim();
  if (text.length > MAX_SEARCH_TEXT_LENGTH) return { ok: false, problem: 'too_long' };
  if (operators > MAX_OPERATORS) return { ok: false, problem: 'too_many_operators' };
  return { ok: true, query: { text: text.toLowerCase(), qualifiers } };
}

function addToken(token: string, words: string[], qualifiers: Map<string, string[]>): void {
  const qualifier = QUALIFIER.exec(token);
  if (qualifier === null) {
    words.push(token);
    return;
  }
  const key = (qualifier[1] ?? '').toLowerCase();
  const values = (qualifier[2] ?? '').toLowerCase().split(',').filter(Boolean);
  qualifiers.set(key, [...(qualifiers.get(key) ?? []), ...values]);
}
