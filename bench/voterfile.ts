/**
 * `npm run bench:voterfile [-- --rows N --supporters N --concurrency N]`: the voter file, end to end, on Postgres
 * (TEST_DATABASE_URL, else the local server; a throwaway database is created and dropped). Generates a synthetic
 * North Carolina ncvoter file (default 1,000,000 rows) with realistic name frequencies (a Zipf tail behind the
 * commonest US names), families at one address, juniors and seniors sharing a name, moves, nicknames and typos, and
 * supporters whose true registration is known (15% are not in the file). Then: imports it (rows/s), matches every
 * supporter online through the voterfile provider with `--concurrency` lookups in flight at once (default 20, as a
 * worker with maxConcurrentActivityTaskExecutions 20 runs them; matches/s; precision, recall and F1 against the
 * truth), imports a second month's file (moves, removals, new registrations) and rematches every contact
 * (contacts/s). Each stage's own times (file generation, load, index builds, rematch stages) go to stderr and, as
 * `*_ms` figures, to the results. Prints a table and writes `bench/results/voterfile.json`. Not part of the test
 * suite. `--keep` keeps the database and the generated files; `--keep-pre-rematch` keeps a copy of the database as it
 * is just before the rematch (`<name>_pre`, left for you to drop), to time the rematch again on its own.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import pg from 'pg';
import { createVoterfileProvider } from '../activities/providers/voterfile.js';
import { NICKNAME_GROUPS } from '../domain/voter-matching/nicknames.js';
import { DEFAULT_MATCH_THRESHOLDS } from '../domain/voter-matching/score.js';
import { decodeText } from '../domain/decode-text.js';
import { LookupError } from '../activities/providers/lookup-error.js';
import { migrateToLatest } from '../store/migrate.js';
import { openDatabase } from '../store/open-database.js';
import { importVoterFile } from '../store/voters/import-voter-file.js';
import { rematchVoters } from '../store/voters/rematch-voters.js';
import { findVoterReview } from '../store/voters/voter-lookups.js';
import { withVoterTables } from '../store/voters/voter-tables.js';
import { NCVOTER_COLUMNS, NCVOTER_MAPPING } from '../store/voters/voter-file-format.js';
import { reportBench, type Target } from './support/bench-results.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    supporters: { type: 'string' },
    concurrency: { type: 'string', default: '20' },
    seed: { type: 'string', default: '20261128' },
    keep: { type: 'boolean', default: false },
    /** Keeps a copy of the database as it is just before the rematch (`<name>_pre`), to time the rematch again on its own. */
    'keep-pre-rematch': { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const SUPPORTERS = Number(values.supporters ?? Math.min(20_000, Math.max(1_000, Math.round(ROWS / 50))));
const CONCURRENCY = Number(values.concurrency);
if (![ROWS, SUPPORTERS, CONCURRENCY].every((n) => Number.isInteger(n) && n > 0)) {
  process.stderr.write('usage: npm run bench:voterfile -- [--rows N] [--supporters N] [--concurrency N]\n');
  process.exit(1);
}

/* ---------- a seeded random source ---------- */
let state = Number(values.seed) >>> 0;
function random(): number {
  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number) => random() < p;

/** Picks from weighted items in O(log n). */
function weighted<T>(items: Array<[T, number]>): () => T {
  const cumulative: number[] = [];
  let total = 0;
  for (const [, w] of items) cumulative.push((total += w));
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return items[lo]![0];
  };
}

/* ---------- names: the commonest US names with their rough shares, then a Zipf tail of made-up ones ---------- */
const COMMON_SURNAMES = `smith 828 johnson 655 williams 550 brown 488 jones 481 garcia 392 miller 386 davis 378 rodriguez 373 martinez 354
hernandez 344 lopez 287 gonzalez 281 wilson 270 anderson 264 thomas 251 taylor 248 moore 241 jackson 240 martin 240 lee 229 perez 227
thompson 226 white 225 harris 220 sanchez 220 clark 188 ramirez 186 lewis 179 robinson 178 walker 174 young 161 allen 159 king 154
wright 152 scott 148 torres 146 nguyen 145 hill 144 flores 143 green 142 adams 141 nelson 139 baker 137 hall 136 rivera 134
campbell 130 mitchell 128 carter 126 roberts 126 gomez 118 phillips 117 evans 116 turner 115 diaz 114 parker 113 cruz 112
edwards 110 collins 109 reyes 109 stewart 108 morris 108 morales 106 murphy 103 cook 102 rogers 102 gutierrez 98 ortiz 97
morgan 97 cooper 96 peterson 95 bailey 94 reed 93 kelly 92 howard 91 ramos 90 kim 90 cox 88 ward 88 richardson 87 watson 86
brooks 86 chavez 85 wood 85 james 84 bennett 83 gray 82 mendoza 82 ruiz 81 hughes 80 price 80 alvarez 79 castillo 78 sanders 78
patel 78 myers 77 long 76 ross 76 foster 75 jimenez 74`;
const COMMON_MALE = `james 3318 john 3271 robert 3143 michael 2629 william 2451 david 2363 richard 1703 joseph 1562 thomas 1498 charles 1431
christopher 1035 daniel 974 matthew 723 anthony 672 mark 662 donald 652 steven 641 paul 630 andrew 613 joshua 598 kenneth 563
kevin 561 brian 553 george 548 timothy 538 ronald 531 edward 508 jason 500 jeffrey 481 ryan 478 jacob 464 gary 461 nicholas 451
eric 442 jonathan 439 stephen 416 larry 410 justin 405 scott 398 brandon 393 benjamin 390 samuel 383 gregory 376 alexander 371
frank 369 patrick 363 raymond 360 jack 356 dennis 352 jerry 349 tyler 343 aaron 340 jose 335 adam 330 nathan 325 henry 320
douglas 315 zachary 311 peter 307 kyle 303 walter 298 ethan 294 jeremy 290 harold 286 keith 282 christian 278 roger 274 noah 270
gerald 266 carl 262 terry 258 sean 254 austin 250 arthur 246 lawrence 242 jesse 238 dylan 234 bryan 230 joe 226 jordan 222
billy 218 bruce 214 albert 210 willie 206 gabriel 202 logan 198 alan 194 juan 190 wayne 186 roy 182 ralph 178 randy 174 eugene 170
vincent 166 russell 162 elijah 158 louis 154 bobby 150 philip 146 johnny 142 terrence 120 devon 90 jamal 80 kofi 20 arjun 30 wei 40`;
const COMMON_FEMALE = `mary 2629 patricia 1073 jennifer 1067 linda 1040 elizabeth 938 barbara 925 susan 846 jessica 837 sarah 770 karen 767
lisa 694 nancy 692 betty 681 margaret 640 sandra 629 ashley 624 kimberly 605 emily 578 donna 569 michelle 561 carol 549 amanda 542
dorothy 536 melissa 528 deborah 524 stephanie 516 rebecca 508 sharon 500 laura 492 cynthia 484 kathleen 476 amy 468 angela 460
shirley 452 anna 444 brenda 436 pamela 428 emma 420 nicole 412 helen 404 samantha 396 katherine 388 christine 380 debra 372
rachel 364 carolyn 356 janet 348 catherine 340 maria 332 heather 324 diane 316 ruth 308 julie 300 olivia 292 joyce 284
virginia 276 victoria 268 kelly 260 lauren 252 christina 244 joan 236 evelyn 228 judith 220 megan 212 andrea 204 cheryl 196
hannah 188 jacqueline 180 martha 172 gloria 164 teresa 156 ann 148 sara 140 madison 132 frances 124 kathryn 116 janice 108
jean 100 abigail 96 alice 92 judy 88 sophia 84 grace 80 denise 76 amber 72 doris 68 marilyn 64 danielle 60 beverly 56
isabella 52 theresa 48 diana 44 natalie 40 brittany 36 charlotte 32 marie 28 kayla 24 alexis 20 lori 16 keisha 30 imani 20 priya 25 yasmin 15`;

function parseWeights(text: string): Array<[string, number]> {
  const words = text.split(/\s+/).filter(Boolean);
  const out: Array<[string, number]> = [];
  for (let i = 0; i < words.length; i += 2) out.push([words[i]!, Number(words[i + 1])]);
  return out;
}

const ONSETS = [
  'b',
  'br',
  'c',
  'ch',
  'cl',
  'd',
  'dr',
  'f',
  'g',
  'gr',
  'h',
  'j',
  'k',
  'l',
  'm',
  'n',
  'p',
  'r',
  's',
  'sh',
  'st',
  't',
  'tr',
  'v',
  'w',
  'z',
];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'ie'];
const CODAS = ['', 'n', 'r', 'l', 's', 'th', 'ck', 'm', 'nd', 'rt', 'x', 'ng'];
const ENDINGS = [
  'son',
  'ton',
  'man',
  'ley',
  'berg',
  'field',
  'ford',
  'er',
  'ez',
  'ski',
  'ov',
  'ham',
  'well',
  'by',
  'ard',
  'elli',
  'ani',
  'ata',
];

/** A made-up but pronounceable name. */
function inventName(ending: boolean): string {
  const syllables = 1 + Math.floor(random() * 2);
  let name = '';
  for (let i = 0; i < syllables; i++) name += pick(ONSETS) + pick(VOWELS) + pick(CODAS);
  return ending ? name + pick(ENDINGS) : name;
}

/** Common names by their share (per 100,000), then `tail` invented names sharing the rest by Zipf's law. */
function nameDistribution(
  common: Array<[string, number]>,
  commonShare: number,
  tail: number,
  ending: boolean,
): () => string {
  const commonTotal = common.reduce((s, [, w]) => s + w, 0);
  const names = new Set(common.map(([n]) => n));
  const items: Array<[string, number]> = common.map(([n, w]) => [n, (w / commonTotal) * commonShare]);
  let harmonic = 0;
  for (let r = 1; r <= tail; r++) harmonic += 1 / r;
  for (let r = 1; r <= tail; r++) {
    let name = inventName(ending);
    while (names.has(name) || name.length < 3) name = inventName(ending);
    names.add(name);
    items.push([name, (1 / r / harmonic) * (1 - commonShare)]);
  }
  return weighted(items);
}

const surname = nameDistribution(parseWeights(COMMON_SURNAMES), 0.2, Math.max(2_000, Math.round(ROWS / 8)), true);
const maleName = nameDistribution(parseWeights(COMMON_MALE), 0.75, Math.max(300, Math.round(ROWS / 200)), false);
const femaleName = nameDistribution(parseWeights(COMMON_FEMALE), 0.7, Math.max(300, Math.round(ROWS / 200)), false);

const NICKNAMES = new Map<string, string[]>();
for (const group of NICKNAME_GROUPS) NICKNAMES.set(group[0]!, [...group.slice(1)]);
const NICK_TO_FORMAL = new Map<string, string>();
for (const group of NICKNAME_GROUPS)
  for (const n of group.slice(1)) if (!NICK_TO_FORMAL.has(n)) NICK_TO_FORMAL.set(n, group[0]!);

/* ---------- places: cities, ZIPs, streets ---------- */
const STREET_NAMES =
  `main oak maple pine cedar elm walnut chestnut spruce willow park lake hill church market mill spring river forest
meadow valley ridge sunset highland franklin washington lincoln jefferson madison jackson wade glenwood hillsborough oberlin broad
central chapel salem fayetteville duke roxboro erwin cameron peace person harrington boylan jones lenoir davie cabarrus mordecai
blount wilmington west college greene tryon trade morehead providence sharon selwyn queens randolph monroe independence albemarle
shamrock eastway harris sugar creek mallard statesville beatties ford graham elizabeth hawthorne seventh tenth ninth fourth summit`
    .split(/\s+/)
    .filter(Boolean);
const SUFFIXES = ['ST', 'AVE', 'RD', 'DR', 'LN', 'CT', 'BLVD', 'WAY', 'PL', 'CIR', 'TRL'];
const CITY_COUNT = Math.max(20, Math.min(400, Math.round(ROWS / 5_000)));
interface Place {
  city: string;
  county: string;
  countyId: number;
  zips: string[];
  streets: string[];
}
const places: Place[] = [];
for (let c = 0; c < CITY_COUNT; c++) {
  const zipCount = 1 + Math.floor(random() * 6);
  const zips = Array.from({ length: zipCount }, (_, i) => String(27000 + c * 8 + i));
  const streets = Array.from(
    { length: 60 },
    () => `${pick(['', '', '', 'N ', 'S ', 'E ', 'W '])}${pick(STREET_NAMES).toUpperCase()} ${pick(SUFFIXES)}`,
  );
  places.push({
    city: `${inventName(false).toUpperCase()}${chance(0.3) ? ' SPRINGS' : ''}`,
    county: `COUNTY${(c % 100) + 1}`,
    countyId: (c % 100) + 1,
    zips,
    streets,
  });
}
/** Bigger cities get more people (Zipf). */
const placeOf = weighted(places.map((p, i) => [p, 1 / (i + 1) ** 0.8]));

/* ---------- the voter file ---------- */
interface Voter {
  ncid: string;
  first: string;
  middle: string;
  last: string;
  suffix: string;
  gender: 'M' | 'F';
  year: number;
  house: number;
  street: string;
  place: Place;
  zip: string;
  status: string;
  party: string;
  precinct: string;
  registered: string;
}

const PARTIES = weighted<string>([
  ['DEM', 0.34],
  ['REP', 0.3],
  ['UNA', 0.35],
  ['LIB', 0.006],
  ['GRE', 0.004],
]);
const STATUSES = weighted<string>([
  ['A', 0.86],
  ['I', 0.1],
  ['R', 0.03],
  ['D', 0.005],
  ['S', 0.005],
]);
let ncidSeq = 0;
const newNcid = () =>
  `${String.fromCharCode(65 + (ncidSeq % 26))}${String.fromCharCode(65 + (Math.floor(ncidSeq / 26) % 26))}${String(100000 + ncidSeq++).padStart(7, '0')}`;

function firstNameFor(gender: 'M' | 'F'): string {
  return gender === 'M' ? maleName() : femaleName();
}

function newVoter(
  partial: Partial<Voter> & { last: string; place: Place; zip: string; house: number; street: string },
): Voter {
  const gender = partial.gender ?? (chance(0.5) ? 'M' : 'F');
  const registered = `${String(1 + Math.floor(random() * 12)).padStart(2, '0')}/${String(1 + Math.floor(random() * 28)).padStart(2, '0')}/${1970 + Math.floor(random() * 55)}`;
  return {
    ncid: newNcid(),
    first: partial.first ?? firstNameFor(gender),
    middle: partial.middle ?? (chance(0.7) ? firstNameFor(gender) : ''),
    suffix: partial.suffix ?? '',
    gender,
    year: partial.year ?? 1930 + Math.floor(random() * 77),
    status: STATUSES(),
    party: PARTIES(),
    precinct: `${String(1 + Math.floor(random() * 60)).padStart(2, '0')}-${String(Math.floor(random() * 40)).padStart(2, '0')}`,
    registered: chance(0.002) ? '##/##/####' : registered,
    ...partial,
  };
}

/** Households: 1–4 voters at one address, mostly one family name; 1.5% of them a junior and a senior of one name. */
function* generateVoters(count: number): Generator<Voter> {
  let made = 0;
  while (made < count) {
    const place = placeOf();
    const zip = pick(place.zips);
    const street = pick(place.streets);
    const house = 1 + Math.floor(random() * 9_999);
    const last = surname();
    const size = Math.min(
      count - made,
      weighted<number>([
        [1, 0.35],
        [2, 0.4],
        [3, 0.15],
        [4, 0.1],
      ])(),
    );
    if (chance(0.015) && size >= 2) {
      const senior = newVoter({
        last,
        place,
        zip,
        house,
        street,
        gender: 'M',
        suffix: 'SR',
        year: 1940 + Math.floor(random() * 30),
      });
      yield senior;
      yield newVoter({
        last,
        place,
        zip,
        house,
        street,
        gender: 'M',
        first: senior.first,
        suffix: 'JR',
        year: senior.year + 22 + Math.floor(random() * 10),
      });
      made += 2;
      continue;
    }
    for (let i = 0; i < size; i++) {
      yield newVoter({ last: i > 0 && chance(0.2) ? surname() : last, place, zip, house, street });
      made++;
    }
  }
}

function ncvoterLine(v: Voter): string {
  const values: Record<string, string> = {
    county_id: String(v.place.countyId),
    county_desc: v.place.county,
    voter_reg_num: String(ncidSeq).padStart(12, '0'),
    ncid: v.ncid,
    last_name: v.last.toUpperCase(),
    first_name: v.first.toUpperCase(),
    middle_name: v.middle.toUpperCase(),
    name_suffix_lbl: v.suffix,
    status_cd: v.status,
    voter_status_desc: v.status === 'A' ? 'ACTIVE' : 'INACTIVE',
    res_street_address: `${v.house}  ${v.street}`,
    res_city_desc: v.place.city,
    state_cd: 'NC',
    zip_code: v.zip,
    registr_dt: v.registered,
    party_cd: v.party,
    gender_code: v.gender,
    birth_year: String(v.year),
    age_at_year_end: String(2026 - v.year),
    precinct_abbrv: v.precinct,
    cong_dist_abbrv: String(1 + (v.place.countyId % 14)).padStart(2, '0'),
    nc_senate_abbrv: String(1 + (v.place.countyId % 50)),
    nc_house_abbrv: String(1 + (v.place.countyId % 120)),
    vtd_abbrv: v.precinct,
  };
  return `${NCVOTER_COLUMNS.map((c) => `"${values[c] ?? ''}"`).join('\t')}\n`;
}

async function writeLines(path: string, header: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  let chunk = header;
  for (const line of lines) {
    chunk += line;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/* ---------- supporters with known truth ---------- */
interface Supporter {
  id: string;
  truth: string | null;
  signup: {
    email: string;
    givenName: string;
    familyName: string;
    birthYear?: number;
    postalAddress: { lines?: string[]; locality: string; postalCode: string; region: string; country: string };
  };
}

function typo(word: string): string {
  if (word.length < 4) return word + pick(['e', 's']);
  const i = 1 + Math.floor(random() * (word.length - 2));
  const kind = random();
  if (kind < 0.35) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2); // transposition
  if (kind < 0.65) return word.slice(0, i) + word.slice(i + 1); // deletion
  if (kind < 0.85) return word.slice(0, i) + pick(['a', 'e', 'i', 'o', 'n', 'r']) + word.slice(i + 1); // substitution
  return word.slice(0, i) + word[i] + word.slice(i); // doubling
}

const title = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

function supporterFrom(v: Voter | null, index: number): Supporter {
  let person: Voter;
  if (v) person = v;
  else {
    // Not in the file: someone drawn from the same population, living somewhere in the state.
    const place = placeOf();
    person = newVoter({
      last: surname(),
      place,
      zip: pick(place.zips),
      house: 1 + Math.floor(random() * 9_999),
      street: pick(place.streets),
    });
  }
  let first = person.first;
  let last = person.last;
  let { house, street, place, zip } = person;
  if (v) {
    const nick = NICKNAMES.get(first);
    const formal = NICK_TO_FORMAL.get(first);
    const r = random();
    if (r < 0.06 && nick?.length) first = pick(nick);
    else if (r < 0.08 && formal) first = formal;
    else if (r < 0.11) first = typo(first);
    if (chance(0.03)) last = typo(last);
    const m = random();
    if (m < 0.04)
      street = pick(place.streets); // moved on within the ZIP
    else if (m < 0.06)
      zip = pick(place.zips.filter((z) => z !== zip).concat(zip)); // moved across the city
    else if (m < 0.08) {
      place = placeOf(); // moved away
      zip = pick(place.zips);
      street = pick(place.streets);
      house = 1 + Math.floor(random() * 9_999);
    } else if (m < 0.1) house = house + 1 + Math.floor(random() * 40); // a mistyped house number
  }
  const withStreet = !chance(0.03);
  const birthYear = chance(0.6) ? (chance(0.02) ? person.year + 1 : person.year) : undefined;
  return {
    id: `bench${String(index).padStart(59, '0')}`,
    truth: v?.ncid ?? null,
    signup: {
      email: `supporter.${index}@example.org`,
      givenName: title(first),
      familyName: title(last),
      ...(birthYear !== undefined ? { birthYear } : {}),
      postalAddress: {
        ...(withStreet ? { lines: [`${house} ${title(street.toLowerCase())}`] } : {}),
        locality: title(place.city.toLowerCase()),
        postalCode: zip,
        region: 'NC',
        country: 'US',
      },
    },
  };
}

/* ---------- run ---------- */
const dir = await mkdtemp(join(tmpdir(), 'enrich-bench-voterfile-'));
const file1 = join(dir, 'ncvoter-1.txt');
const file2 = join(dir, 'ncvoter-2.txt');
const header = `${NCVOTER_COLUMNS.map((c) => `"${c}"`).join('\t')}\n`;

process.stderr.write(`generating ${ROWS} voters and ${SUPPORTERS} supporters…\n`);
const generationStarted = Date.now();
const voters: Voter[] = [...generateVoters(ROWS)];
await writeLines(
  file1,
  header,
  (function* () {
    for (const v of voters) yield ncvoterLine(v);
  })(),
);
const inFile = Math.round(SUPPORTERS * 0.85);
const chosen = new Set<number>();
while (chosen.size < inFile) chosen.add(Math.floor(random() * voters.length));
const supporters: Supporter[] = [...chosen].map((i, n) => supporterFrom(voters[i]!, n));
for (let n = inFile; n < SUPPORTERS; n++) supporters.push(supporterFrom(null, n));

// Month two: 3% moved, 1% gone from the file, 0.5% newly removed, 1% changed party, 1.5% new registrations.
const month2: Voter[] = [];
for (const v of voters) {
  const r = random();
  if (r < 0.01) continue;
  if (r < 0.04) {
    month2.push({
      ...v,
      house: 1 + Math.floor(random() * 9_999),
      street: pick(v.place.streets),
      zip: pick(v.place.zips),
      precinct: `${String(1 + Math.floor(random() * 60)).padStart(2, '0')}-99`,
    });
  } else if (r < 0.045) month2.push({ ...v, status: 'R' });
  else if (r < 0.055) month2.push({ ...v, party: v.party === 'DEM' ? 'UNA' : 'DEM' });
  else month2.push(v);
}
for (const v of [...generateVoters(Math.round(ROWS * 0.015))]) month2.push(v);
await writeLines(
  file2,
  header,
  (function* () {
    for (const v of month2) yield ncvoterLine(v);
  })(),
);
// Only the files and the supporters are needed from here: the generated voters would weigh on every garbage
// collection of the timed stages.
voters.length = 0;
month2.length = 0;
process.stderr.write(`  generated in ${((Date.now() - generationStarted) / 1000).toFixed(1)} s\n`);

const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbName = `enrich_bench_voters_${process.pid}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
let handle = await openDatabase({ url: url.toString(), pgliteDir: 'unused', poolSize: CONCURRENCY + 2 });

try {
  await migrateToLatest(handle.db);
  const importFile = async (path: string) =>
    importVoterFile({
      db: handle.db,
      postgresUrl: url.toString(),
      source: path,
      format: 'ncvoter',
      mapping: NCVOTER_MAPPING,
      text: decodeText(createReadStream(path, { highWaterMark: 256 * 1024 }), { encoding: 'utf-8' }),
      onProgress: (p) => process.stderr.write(`\r  ${p.rows} rows`),
    });
  process.stderr.write('importing month one…\n');
  const imported = await importFile(file1);
  const describeImport = (result: typeof imported) =>
    `${result.voters} voters in ${(result.timings.totalMs / 1000).toFixed(1)} s (load ${result.timings.loadMs} ms, index ${result.timings.indexMs} ms, swap ${result.timings.swapMs} ms)\n` +
    `  index steps (two at a time): ${Object.entries(result.timings.steps)
      .map(([step, ms]) => `${step} ${ms}`)
      .join(', ')} ms\n`;
  process.stderr.write(`\n  ${describeImport(imported)}`);

  // The contacts, as saveSignup would have stored them.
  for (let i = 0; i < supporters.length; i += 5_000) {
    await handle.db
      .insertInto('contacts')
      .values(
        supporters.slice(i, i + 5_000).map((s) => ({
          id: s.id,
          email: s.signup.email,
          signup: JSON.stringify(s.signup),
          consent: null,
          status: 'running',
          workflow_id: `enrich-contact:${s.id}`,
        })),
      )
      .execute();
  }

  process.stderr.write(`matching every supporter online, ${CONCURRENCY} lookups at a time…\n`);
  const provider = createVoterfileProvider(handle.db, {
    highThreshold: DEFAULT_MATCH_THRESHOLDS.high,
    lowThreshold: DEFAULT_MATCH_THRESHOLDS.low,
  });
  const limit = pLimit(CONCURRENCY);
  const outcomes = { truePositive: 0, falsePositive: 0, ambiguous: 0, noMatch: 0, wrongVoter: 0 };
  /** Each supporter's best candidate and its probability (matched or ambiguous), for the threshold table. */
  const best: Array<{ correct: boolean; probability: number }> = [];
  const withTruthCount = supporters.filter((s) => s.truth).length;
  const matchStarted = Date.now();
  await Promise.all(
    supporters.map((s) =>
      limit(async () => {
        try {
          const answer = await provider.lookup({
            contactKey: s.id,
            email: s.signup.email,
            givenName: s.signup.givenName,
            familyName: s.signup.familyName,
            postalAddress: s.signup.postalAddress,
            birthYear: s.signup.birthYear,
          });
          if (answer.outcome === 'no_match') {
            outcomes.noMatch++;
            if (values.keep && s.truth)
              process.stderr.write(`missed ${s.id} truth ${s.truth} ${JSON.stringify(s.signup)}\n`);
          } else {
            const value = answer.observations[0]?.value as { voterId: string; matchScore: number };
            const voterId = value.voterId;
            best.push({ correct: voterId === s.truth, probability: value.matchScore });
            if (voterId === s.truth) outcomes.truePositive++;
            else {
              outcomes.falsePositive++;
              if (s.truth) outcomes.wrongVoter++;
            }
          }
        } catch (err) {
          if (err instanceof LookupError && err.type === 'AmbiguousMatch') {
            outcomes.ambiguous++;
            const review = await findVoterReview(withVoterTables(handle.db), s.id);
            const top = (review?.candidates as Array<{ voterId: string; probability: number }> | undefined)?.[0];
            if (top) best.push({ correct: top.voterId === s.truth, probability: top.probability });
            if (values.keep) process.stderr.write(`ambiguous ${s.id} truth ${s.truth} ${JSON.stringify(s.signup)}\n`);
          } else throw err;
        }
      }),
    ),
  );
  const matchMs = Date.now() - matchStarted;
  const withTruth = withTruthCount;
  const precision = outcomes.truePositive / Math.max(1, outcomes.truePositive + outcomes.falsePositive);
  const recall = outcomes.truePositive / Math.max(1, withTruth);
  const f1 = (2 * precision * recall) / Math.max(1e-9, precision + recall);
  process.stderr.write(
    `  ${JSON.stringify(outcomes)}\n  high threshold → precision / recall (an ambiguous best counted as matched when above it):\n`,
  );
  for (const high of [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99]) {
    const kept = best.filter((b) => b.probability >= high);
    const tp = kept.filter((b) => b.correct).length;
    process.stderr.write(
      `    ${high.toFixed(2)}  ${(tp / Math.max(1, kept.length)).toFixed(4)} / ${(tp / Math.max(1, withTruthCount)).toFixed(4)}\n`,
    );
  }

  process.stderr.write('importing month two and rematching…\n');
  const imported2 = await importFile(file2);
  process.stderr.write(`\n  ${describeImport(imported2)}`);
  if (values['keep-pre-rematch']) {
    await handle.close();
    await admin.query(`create database ${dbName}_pre template ${dbName}`);
    handle = await openDatabase({ url: url.toString(), pgliteDir: 'unused', poolSize: CONCURRENCY + 2 });
    process.stderr.write(`  kept a copy before the rematch: ${dbName}_pre\n`);
  }
  const rematch = await rematchVoters(handle.db, { thresholds: DEFAULT_MATCH_THRESHOLDS, postgresUrl: url.toString() });
  process.stderr.write(`  ${JSON.stringify({ ...rematch, changedContactIds: rematch.changedContactIds.length })}\n`);

  const figures: Record<string, number> = {
    rows: ROWS,
    supporters: SUPPORTERS,
    import_rows_per_s: Math.round(imported.rows / (imported.timings.totalMs / 1000)),
    import2_rows_per_s: Math.round(imported2.rows / (imported2.timings.totalMs / 1000)),
    matches_per_s: Math.round(SUPPORTERS / (matchMs / 1000)),
    match_concurrency: CONCURRENCY,
    rematch_contacts_per_s: Math.round(rematch.contacts / (rematch.elapsedMs / 1000)),
    precision: Number(precision.toFixed(4)),
    recall: Number(recall.toFixed(4)),
    f1: Number(f1.toFixed(4)),
    ambiguous_share: Number((outcomes.ambiguous / SUPPORTERS).toFixed(4)),
    rematch_changed: rematch.changedContactIds.length,
    import_load_ms: imported.timings.loadMs,
    import_index_ms: imported.timings.indexMs,
    ...Object.fromEntries(
      Object.entries(rematch.timings).map(([stage, ms]) => [`rematch_${stage.replace(/\W+/g, '_')}_ms`, ms]),
    ),
  };
  const targets: Record<string, Target> = {
    import_rows_per_s: { min: 50_000 },
    matches_per_s: { min: 1_000 },
    rematch_contacts_per_s: { min: 10_000 },
    precision: { min: 0.995 },
    recall: { min: 0.95 },
  };
  const met = await reportBench('voterfile', figures, targets);
  process.exitCode = met ? 0 : 1;
} finally {
  await handle.close();
  if (values.keep) process.stderr.write(`kept the database: ${url.toString()} and the files: ${dir}\n`);
  else {
    await admin.query(`drop database if exists ${dbName} with (force)`);
    await rm(dir, { recursive: true, force: true });
  }
  await admin.end();
}
