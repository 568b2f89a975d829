import { phoneticCode } from './phonetic.js';

/**
 * Lower-case ASCII words: accents folded (`Chloé` → `chloe`, `Muñoz` → `munoz`), anything that is not a letter or a
 * digit turned into a space, runs of spaces collapsed. The one folding every match key starts from, on both sides
 * (the voter file at import, the supporter at lookup), so both sides always agree on what "the same" means.
 */
export function foldWords(text: string | null | undefined): string[] {
  if (!text) return [];
  // Most names and streets are plain ASCII already: skip the Unicode work for them.
  const ascii = /^[\x20-\x7e]*$/.test(text);
  const folded = (ascii ? text : text.normalize('NFKD'))
    .replace(/\p{M}/gu, '')
    // Letters NFKD does not decompose.
    .replace(/[ßÆæØøŒœÐðÞþŁł]/g, (c) => FOLD_EXTRA[c] ?? c)
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
  return folded === '' ? [] : folded.split(' ');
}

const FOLD_EXTRA: Record<string, string> = {
  ß: 'ss',
  Æ: 'ae',
  æ: 'ae',
  Ø: 'o',
  ø: 'o',
  Œ: 'oe',
  œ: 'oe',
  Ð: 'd',
  ð: 'd',
  Þ: 'th',
  þ: 'th',
  Ł: 'l',
  ł: 'l',
};

/** Generational suffixes written into a name field (`SMITH JR`); they say nothing about the family name. */
const NAME_SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'v', 'junior', 'senior']);

/** The given name as compared: its first word (`Mary Ann` → `mary`, `J. Robert` → `j`); '' when blank. */
export function givenNameKey(text: string | null | undefined): string {
  return foldWords(text).find((w) => !/^\d+$/.test(w)) ?? '';
}

/**
 * The family name as compared: its words without a generational suffix, joined (`De La Cruz` and `DELACRUZ` →
 * `delacruz`, `O'Neil` → `oneil`, `Smith Jr.` → `smith`); '' when blank.
 */
export function familyNameKey(text: string | null | undefined): string {
  const words = foldWords(text).filter((w) => !/^\d+$/.test(w));
  const kept = words.length > 1 ? words.filter((w) => !NAME_SUFFIXES.has(w)) : words;
  return kept.join('');
}

/** The first five digits of a ZIP or ZIP+4 (or a French code postal); undefined when there are not five. */
export function zip5(postalCode: string | null | undefined): string | undefined {
  const digits = (postalCode ?? '').replace(/\D/g, '');
  return digits.length >= 5 ? digits.slice(0, 5) : undefined;
}

/** A locality as compared: folded words joined by one space (`Chapel  Hill` → `chapel hill`); undefined when blank. */
export function localityKey(text: string | null | undefined): string | undefined {
  const words = foldWords(text);
  if (words.length === 0) return undefined;
  return words.map((w) => (w === 'saint' ? 'st' : w)).join(' ');
}

/** Street types, directions and unit words: dropped from the street's core so `W Market St` and `MARKET STREET` agree. */
const STREET_NOISE = new Set([
  'st',
  'street',
  'ave',
  'av',
  'avenue',
  'rd',
  'road',
  'dr',
  'drive',
  'blvd',
  'boulevard',
  'ln',
  'lane',
  'ct',
  'court',
  'pl',
  'place',
  'pkwy',
  'parkway',
  'cir',
  'circle',
  'hwy',
  'highway',
  'ter',
  'terrace',
  'trl',
  'trail',
  'way',
  'sq',
  'square',
  'loop',
  'run',
  'xing',
  'crossing',
  'pike',
  'aly',
  'alley',
  'n',
  's',
  'e',
  'w',
  'ne',
  'nw',
  'se',
  'sw',
  'north',
  'south',
  'east',
  'west',
  'northeast',
  'northwest',
  'southeast',
  'southwest',
]);
const UNIT_WORDS = new Set([
  'apt',
  'apartment',
  'unit',
  'ste',
  'suite',
  'lot',
  'rm',
  'room',
  'fl',
  'floor',
  'bldg',
  'building',
  'no',
]);
const ORDINALS: Record<string, string> = {
  first: '1st',
  second: '2nd',
  third: '3rd',
  fourth: '4th',
  fifth: '5th',
  sixth: '6th',
  seventh: '7th',
  eighth: '8th',
  ninth: '9th',
  tenth: '10th',
  eleventh: '11th',
  twelfth: '12th',
  thirteenth: '13th',
  fourteenth: '14th',
  fifteenth: '15th',
  sixteenth: '16th',
  seventeenth: '17th',
  eighteenth: '18th',
  nineteenth: '19th',
  twentieth: '20th',
};

export interface StreetKeys {
  /** The house number's digits (`1187`, `2214` of `2214-B`); undefined when the line does not start with one. */
  houseNumber?: string;
  /** The street's name without type, direction or unit (`market` of `482 W Market St Apt 2`). */
  streetCore?: string;
}

/**
 * Splits an address line into what matching compares: the house number and the street's core. A unit (`Apt 3`,
 * `# 12`) and everything after it is dropped; ordinals are written in digits (`Ninth` → `9th`). When only noise
 * words remain (`100 Avenue Rd`), they are kept rather than leaving the core empty.
 */
export function streetKeys(line: string | null | undefined): StreetKeys {
  const words = foldWords((line ?? '').replace(/#/g, ' apt '));
  if (words.length === 0) return {};
  let rest = words;
  let houseNumber: string | undefined;
  const first = words[0]!;
  const number = /^(\d+)[a-z]?$/.exec(first);
  if (number) {
    houseNumber = String(Number(number[1]));
    rest = words.slice(1);
    // `2214 B PARK RD`, `12 1/2 ELM ST`: a lone letter or a fraction right after the number belongs to it.
    while (rest.length > 1 && ((/^[a-z]$/.test(rest[0]!) && !STREET_NOISE.has(rest[0]!)) || /^\d$/.test(rest[0]!)))
      rest = rest.slice(1);
  }
  const unit = rest.findIndex((w, i) => i > 0 && UNIT_WORDS.has(w));
  if (unit !== -1) rest = rest.slice(0, unit);
  const named = rest.map((w) => ORDINALS[w] ?? w);
  const core = named.filter((w) => !STREET_NOISE.has(w));
  const streetCore = (core.length ? core : named).join(' ');
  return { ...(houseNumber !== undefined ? { houseNumber } : {}), ...(streetCore ? { streetCore } : {}) };
}

/** What a person is matched by, on either side; every text is already folded. */
export interface MatchKeys {
  first: string;
  /** The middle name's first word; '' when none (only voters have one). */
  middle: string;
  last: string;
  lastPhonetic: string;
  birthYear?: number | undefined;
  houseNumber?: string | undefined;
  streetCore?: string | undefined;
  zip5?: string | undefined;
  locality?: string | undefined;
}

/** What a person looks like before folding: a supporter's signup, or one row of a voter file. */
export interface PersonFields {
  givenName?: string | null | undefined;
  middleName?: string | null | undefined;
  familyName?: string | null | undefined;
  birthYear?: number | null | undefined;
  street?: string | null | undefined;
  houseNumber?: string | null | undefined;
  postalCode?: string | null | undefined;
  locality?: string | null | undefined;
}

/** A birth year worth comparing: an integer from 1880 to 2030; anything else is unknown. */
export function plausibleBirthYear(value: number | null | undefined): number | undefined {
  return value !== null && value !== undefined && Number.isInteger(value) && value >= 1880 && value <= 2030
    ? value
    : undefined;
}

/**
 * The match keys of a person. A separate house number (files that split it from the street) wins over one read
 * from the street line.
 */
export function matchKeys(person: PersonFields): MatchKeys {
  const last = familyNameKey(person.familyName);
  const street = streetKeys(person.houseNumber ? `${person.houseNumber} ${person.street ?? ''}` : person.street);
  return {
    first: givenNameKey(person.givenName),
    middle: givenNameKey(person.middleName),
    last,
    lastPhonetic: phoneticCode(last),
    birthYear: plausibleBirthYear(person.birthYear),
    houseNumber: street.houseNumber,
    streetCore: street.streetCore,
    zip5: zip5(person.postalCode),
    locality: localityKey(person.locality),
  };
}

/**
 * The version of `supporterMatchKeys`: the rematch keeps each contact's keys until its signup changes, so a change to
 * how keys are computed (folding, phonetic codes, what is required) must bump this to have every contact keyed again.
 */
export const MATCH_KEYS_VERSION = 1;

/**
 * A supporter's match keys, or undefined when there is too little to match on: a given name, a family name, and a
 * ZIP or a locality are needed (a name alone, statewide, is never enough).
 */
export function supporterMatchKeys(person: PersonFields): MatchKeys | undefined {
  const keys = matchKeys(person);
  if (keys.first === '' || keys.last === '' || (keys.zip5 === undefined && keys.locality === undefined))
    return undefined;
  return keys;
}
