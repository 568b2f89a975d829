/** One row of the distance table, reused between calls (names are short; it grows when one is not). */
let row = new Uint32Array(64);

/**
 * Edit distance (insertions, deletions, substitutions, each costing 1) between two strings, as Postgres'
 * `levenshtein()` from fuzzystrmatch computes it, so a score computed here and one computed in SQL agree. One row
 * of the table, allocated once: matching compares thousands of names per second.
 */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  if (row.length < b.length + 1) row = new Uint32Array(b.length + 1);
  for (let j = 0; j <= b.length; j++) row[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!; // the previous row's value at j - 1
    row[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      const substitution = diagonal + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      row[j] = Math.min(above + 1, row[j - 1]! + 1, substitution);
      diagonal = above;
    }
  }
  return row[b.length]!;
}
