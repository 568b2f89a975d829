/** Longest code kept: six consonant sounds tell surnames apart well enough for blocking. */
const MAX_LENGTH = 6;

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);
const isVowel = (c: string | undefined) => c !== undefined && VOWELS.has(c);
const isFront = (c: string | undefined) => c === 'e' || c === 'i' || c === 'y';

/** Two-letter starts whose first letter is silent in English names (`Knight`, `Wright`, `Psaki`). */
const SILENT_STARTS: Record<string, string> = { kn: 'n', gn: 'n', pn: 'n', wr: 'r', ps: 's', ae: 'e' };

/**
 * A phonetic code for a folded name (lower-case a–z), in the spirit of Metaphone: names that sound alike in
 * English get the same code (`smith`/`smyth` → `SM0`, `catherine`/`kathryn` → `K0RN`, `gonzalez`/`gonsales` →
 * `KNSLS`), so a misspelt surname still lands in the right block. Used only for blocking (which candidates to
 * score), never as evidence in the score. A leading vowel is kept as `A`; other vowels are dropped; repeated codes
 * collapse. Written here rather than calling `dmetaphone()` in SQL so the importer can compute it while streaming
 * and both backends give identical keys.
 */
export function phoneticCode(name: string): string {
  let word = name.toLowerCase().replace(/[^a-z]/g, '');
  if (word === '') return '';
  const start = SILENT_STARTS[word.slice(0, 2)];
  if (start !== undefined) word = start + word.slice(2);
  if (word.startsWith('x')) word = `s${word.slice(1)}`;
  if (word.startsWith('wh')) word = `w${word.slice(2)}`;

  let code = '';
  const push = (sound: string) => {
    if (sound !== '' && !code.endsWith(sound)) code += sound;
  };
  for (let i = 0; i < word.length && code.length < MAX_LENGTH; i++) {
    const c = word[i]!;
    const prev = word[i - 1];
    const next = word[i + 1];
    const after = word[i + 2];
    // A doubled letter sounds once, except `cc` (`Mccoy` stays K, `Accius` is rare in surnames).
    if (c === prev && c !== 'c') continue;
    switch (c) {
      case 'a':
      case 'e':
      case 'i':
      case 'o':
      case 'u':
        if (i === 0) push('A');
        break;
      case 'b':
        // A final `mb` (`Lamb`) is silent.
        if (!(prev === 'm' && next === undefined)) push('B');
        break;
      case 'c':
        if (next === 'h') {
          // `sch` is SK (`Schmidt`); `ch` otherwise X (`Church`), K before a consonant (`Christensen`).
          push(prev === 's' || (after !== undefined && !isVowel(after) && after !== 'y') ? 'K' : 'X');
          i++;
        } else if (next === 'i' && after === 'a') push('X');
        else if (isFront(next)) push(prev === 's' ? '' : 'S');
        else push('K');
        break;
      case 'd':
        if (next === 'g' && isFront(after)) {
          push('J');
          i++;
        } else push('T');
        break;
      case 'g':
        if (next === 'h') {
          // `gh` before a vowel is G (`Ghent`), else silent (`Wright`, `Haugh`).
          if (isVowel(after) && i === 0) push('K');
          else if (!isVowel(after) && i > 0) push('');
          else push('K');
          i++;
        } else if (next === 'n' && (after === undefined || (after === 'e' && word[i + 3] === 'd'))) push('');
        else if (isFront(next)) push('J');
        else push('K');
        break;
      case 'h':
        // Sounded only between a vowel (or the start) and a vowel, and not after a letter it modifies.
        if (isVowel(next) && !'cgpst'.includes(prev ?? '-')) push('H');
        break;
      case 'k':
        if (prev !== 'c') push('K');
        break;
      case 'p':
        if (next === 'h') {
          push('F');
          i++;
        } else push('P');
        break;
      case 'q':
        push('K');
        break;
      case 's':
        if (next === 'h') {
          push('X');
          i++;
        } else if (next === 'i' && (after === 'o' || after === 'a')) push('X');
        else push('S');
        break;
      case 't':
        if (next === 'h') {
          push('0');
          i++;
        } else if (next === 'i' && (after === 'o' || after === 'a')) push('X');
        else if (!(next === 'c' && after === 'h')) push('T');
        break;
      case 'v':
        push('F');
        break;
      case 'w':
      case 'y':
        if (isVowel(next)) push(c.toUpperCase());
        break;
      case 'x':
        push('KS');
        break;
      case 'z':
        push('S');
        break;
      default:
        // f, j, l, m, n, r sound as written.
        push(c.toUpperCase());
    }
  }
  return code.slice(0, MAX_LENGTH);
}
