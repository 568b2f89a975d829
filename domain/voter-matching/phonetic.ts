/** Longest code kept: six consonant sounds tell surnames apart well enough for blocking. */
const MAX_LENGTH = 6;

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);
const isVowel = (c: string | undefined) => c !== undefined && VOWELS.has(c);
const isFront = (c: string | undefined) => c === 'e' || c === 'i' || c === 'y';

/** Two-letter starts whose first letter is silent in English names (`Knight`, `Wright`, `Psaki`). */
const SILENT_STARTS: Record<string, string> = { kn: 'n', gn: 'n', pn: 'n', wr: 'r', ps: 's', ae: 'e' };

/** A letter of the word being coded, with its neighbours (undefined past either end). */
interface Letter {
  word: string;
  i: number;
  c: string;
  prev: string | undefined;
  next: string | undefined;
  after: string | undefined;
}

/**
 * What a letter sounds as: a code ('' when silent), or a code with the letter after it, which that sound takes up
 * (`ch`, `ph`, `th`) and which is then skipped.
 */
type Sound = string | { sound: string; withNext: true };
const withNext = (sound: string): Sound => ({ sound, withNext: true });

/** The word as coded: letters a–z only, its silent or soft start rewritten (`Knight` → `night`, `Xavier` → `savier`). */
function foldedWord(name: string): string {
  let word = name.toLowerCase().replace(/[^a-z]/g, '');
  if (word === '') return '';
  const start = SILENT_STARTS[word.slice(0, 2)];
  if (start !== undefined) word = start + word.slice(2);
  if (word.startsWith('x')) word = `s${word.slice(1)}`;
  if (word.startsWith('wh')) word = `w${word.slice(2)}`;
  return word;
}

function soundOfC({ prev, next, after }: Letter): Sound {
  // `sch` is SK (`Schmidt`); `ch` otherwise X (`Church`), K before a consonant (`Christensen`).
  if (next === 'h')
    return withNext(prev === 's' || (after !== undefined && !isVowel(after) && after !== 'y') ? 'K' : 'X');
  if (next === 'i' && after === 'a') return 'X';
  if (isFront(next)) return prev === 's' ? '' : 'S';
  return 'K';
}

function soundOfG({ word, i, next, after }: Letter): Sound {
  if (next === 'h') {
    // `gh` before a vowel is G (`Ghent`), else silent (`Wright`, `Haugh`).
    if (isVowel(after) && i === 0) return withNext('K');
    if (!isVowel(after) && i > 0) return withNext('');
    return withNext('K');
  }
  if (next === 'n' && (after === undefined || (after === 'e' && word[i + 3] === 'd'))) return '';
  if (isFront(next)) return 'J';
  return 'K';
}

function soundOfS({ next, after }: Letter): Sound {
  if (next === 'h') return withNext('X');
  if (next === 'i' && (after === 'o' || after === 'a')) return 'X';
  return 'S';
}

function soundOfT({ next, after }: Letter): Sound {
  if (next === 'h') return withNext('0');
  if (next === 'i' && (after === 'o' || after === 'a')) return 'X';
  if (!(next === 'c' && after === 'h')) return 'T';
  return '';
}

/** Letters whose sound depends on their neighbours; every other letter has one sound (LETTER_SOUNDS) or its own. */
const SOUND_RULES: Record<string, (letter: Letter) => Sound> = {
  // A leading vowel is kept as A; other vowels are dropped.
  a: ({ i }) => (i === 0 ? 'A' : ''),
  e: ({ i }) => (i === 0 ? 'A' : ''),
  i: ({ i }) => (i === 0 ? 'A' : ''),
  o: ({ i }) => (i === 0 ? 'A' : ''),
  u: ({ i }) => (i === 0 ? 'A' : ''),
  // A final `mb` (`Lamb`) is silent.
  b: ({ prev, next }) => (prev === 'm' && next === undefined ? '' : 'B'),
  c: soundOfC,
  d: ({ next, after }) => (next === 'g' && isFront(after) ? withNext('J') : 'T'),
  g: soundOfG,
  // Sounded only between a vowel (or the start) and a vowel, and not after a letter it modifies.
  h: ({ prev, next }) => (isVowel(next) && !'cgpst'.includes(prev ?? '-') ? 'H' : ''),
  k: ({ prev }) => (prev !== 'c' ? 'K' : ''),
  p: ({ next }) => (next === 'h' ? withNext('F') : 'P'),
  s: soundOfS,
  t: soundOfT,
  w: ({ c, next }) => (isVowel(next) ? c.toUpperCase() : ''),
  y: ({ c, next }) => (isVowel(next) ? c.toUpperCase() : ''),
};

/** Letters with one sound whatever their neighbours, other than as written. */
const LETTER_SOUNDS: Record<string, string> = { q: 'K', v: 'F', x: 'KS', z: 'S' };

/** The sound of the letter at `i`; f, j, l, m, n and r sound as written. */
function soundAt(word: string, i: number): Sound {
  const c = word[i]!;
  const rule = SOUND_RULES[c];
  if (rule) return rule({ word, i, c, prev: word[i - 1], next: word[i + 1], after: word[i + 2] });
  return LETTER_SOUNDS[c] ?? c.toUpperCase();
}

/**
 * A phonetic code for a folded name (lower-case a–z), in the spirit of Metaphone: names that sound alike in
 * English get the same code (`smith`/`smyth` → `SM0`, `catherine`/`kathryn` → `K0RN`, `gonzalez`/`gonsales` →
 * `KNSLS`), so a misspelt surname still lands in the right block. Used only for blocking (which candidates to
 * score), never as evidence in the score. A leading vowel is kept as `A`; other vowels are dropped; repeated codes
 * collapse. Written here rather than calling `dmetaphone()` in SQL so the importer can compute it while streaming
 * and both backends give identical keys.
 */
export function phoneticCode(name: string): string {
  const word = foldedWord(name);
  let code = '';
  for (let i = 0; i < word.length && code.length < MAX_LENGTH; i++) {
    // A doubled letter sounds once, except `cc` (`Mccoy` stays K, `Accius` is rare in surnames).
    if (word[i] === word[i - 1] && word[i] !== 'c') continue;
    const sound = soundAt(word, i);
    const text = typeof sound === 'string' ? sound : sound.sound;
    if (text !== '' && !code.endsWith(text)) code += text;
    if (typeof sound !== 'string') i++;
  }
  return code.slice(0, MAX_LENGTH);
}
