/**
 * `npx tsx scripts/make-demo-zones.ts`: the demo's zone picture (issue #21). Appends to the demo voter file and its
 * history some 2,000 invented Durham County voters in 27 precincts (a 5×5 grid, 01–25, of 60–160 voters whose party
 * leans change west to east and whose turnout changes with the row, and two small ones, 26 and 27, that the report
 * merges), with their votes in the six elections of the demo history; and writes
 * `demo/data/demo-precincts.geojson`, invented boundaries for the grid (jittered shared edges, property `zone`). The
 * names are invented and none is a demo supporter's; the ZIP codes (27703, 27712, 27713) are ones no supporter gives,
 * so the voter matching of the demo supporters is unchanged. Deterministic; run once (it refuses to append twice).
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { NCVHIS_COLUMNS, NCVOTER_COLUMNS } from '../store/voters/voter-file-format.js';

const VOTERS = 'demo/data/ncvoter-demo.txt';
const HISTORY = 'demo/data/ncvhis-demo.txt';
const BOUNDARIES = 'demo/data/demo-precincts.geojson';
const ID_PREFIX = 'DZ';

let seed = 20261207;
function random(): number {
  // mulberry32
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const SURNAMES = [
  'ASHGROVE',
  'BRAMBLEY',
  'CALDERWOOD',
  'DUNMORE',
  'ELDERFIELD',
  'FARNSWORTH',
  'GLENHAVEN',
  'HOLLINS',
  'IVERSLEY',
  'JUNIPERO',
  'KESTREL',
  'LARKSPUR',
  'MOORCROFT',
  'NETHERBY',
  'OAKHURST',
  'PEMBERLY',
  'QUILLON',
  'RAVENSCAR',
  'SEDGEWICK',
  'THORNBURY',
  'UPLANDER',
  'VALEMONT',
  'WHITLOCKE',
  'YARROWAY',
];
const GIVEN = [
  'ARDEN',
  'BLYTHE',
  'CORIN',
  'DESMA',
  'EMLYN',
  'FENWAY',
  'GARLAND',
  'HESPER',
  'ISOLDE',
  'JORAH',
  'KEATON',
  'LORCAN',
  'MIRABEL',
  'NOLAN',
  'ORLA',
  'PERRIN',
  'QUINLAN',
  'ROWAN',
  'SABLE',
  'TAMSIN',
  'ULRIC',
  'VESNA',
  'WYNN',
];
const STREETS = ['HOLLOWAY ST', 'ALSTON AVE', 'MINERAL SPRINGS RD', 'PLEASANT DR', 'WELLONS VILLAGE DR', 'SHERRON RD'];
const ZIPS = ['27703', '27712', '27713'];

/** The demo history's elections, with how much of a precinct's turnout each draws. */
const ELECTIONS: Array<[label: string, desc: string, weight: number]> = [
  ['11/05/2024', '11/05/2024 GENERAL', 1],
  ['03/05/2024', '03/05/2024 PRIMARY', 0.45],
  ['11/07/2023', '11/07/2023 MUNICIPAL', 0.3],
  ['11/08/2022', '11/08/2022 GENERAL', 0.8],
  ['05/17/2022', '05/17/2022 PRIMARY', 0.35],
  ['11/03/2020', '11/03/2020 GENERAL', 1],
];

const GRID = 5;
const precinct = (n: number) => String(n).padStart(2, '0');

function partyFor(column: number): string {
  const dem = 0.22 + 0.13 * column;
  const x = random();
  if (x < dem) return 'DEM';
  if (x < dem + (1 - dem) * 0.62) return 'REP';
  return x < 0.97 ? 'UNA' : 'LIB';
}

const quoted = (values: string[]) => `${values.map((v) => `"${v}"`).join('\t')}\r\n`;

function voterRow(template: string[], id: string, n: number, p: string, party: string): string {
  const row = [...template];
  const set = (column: string, value: string) => (row[NCVOTER_COLUMNS.indexOf(column as never)] = value);
  const street = `${100 + Math.floor(random() * 4800)}  ${pick(STREETS)}`;
  const zip = pick(ZIPS);
  const birth = 1940 + Math.floor(random() * 65);
  for (const [column, value] of Object.entries({
    voter_reg_num: String(300000 + n).padStart(12, '0'),
    ncid: id,
    last_name: pick(SURNAMES),
    first_name: pick(GIVEN),
    middle_name: '',
    res_street_address: street,
    zip_code: zip,
    mail_addr1: street,
    mail_zipcode: zip,
    registr_dt: `0${1 + Math.floor(random() * 9)}/1${Math.floor(random() * 9)}/20${10 + Math.floor(random() * 14)}`,
    party_cd: party,
    birth_year: String(birth),
    age_at_year_end: String(2025 - birth),
    precinct_abbrv: p,
    precinct_desc: `PRECINCT ${p}`,
    vtd_abbrv: p,
    vtd_desc: `VTD ${p}`,
  }))
    set(column, value);
  return quoted(row);
}

function historyRow(id: string, regNum: string, p: string, [label, desc]: (typeof ELECTIONS)[number]): string {
  const values: Record<string, string> = {
    county_id: '32',
    county_desc: 'DURHAM',
    voter_reg_num: regNum,
    election_lbl: label,
    election_desc: desc,
    voting_method: random() < 0.5 ? 'ABSENTEE ONESTOP' : 'IN-PERSON',
    pct_label: p,
    pct_description: `PRECINCT ${p}`,
    ncid: id,
    voted_county_id: '32',
    voted_county_desc: 'DURHAM',
    vtd_label: p,
    vtd_description: `VTD ${p}`,
  };
  return quoted(NCVHIS_COLUMNS.map((c) => values[c] ?? ''));
}

/** The lattice the precincts share: 3 sub-steps a cell, interior points jittered, around east Durham. */
function lattice(): Array<Array<[number, number]>> {
  const steps = GRID * 3;
  const [west, south, width, height] = [-78.96, 35.93, 0.15, 0.12];
  return Array.from({ length: steps + 1 }, (_, i) =>
    Array.from({ length: steps + 1 }, (_, j) => {
      const edge = i === 0 || j === 0 || i === steps || j === steps;
      const jitter = () => (edge ? 0 : (random() - 0.5) * 0.45);
      return [
        Number((west + ((j + jitter()) * width) / steps).toFixed(5)),
        Number((south + ((i + jitter()) * height) / steps).toFixed(5)),
      ];
    }),
  );
}

/** A grid cell's ring, counter-clockwise (RFC 7946), along the lattice points of its edges. */
function cellRing(points: Array<Array<[number, number]>>, row: number, column: number): Array<[number, number]> {
  const [i0, j0] = [row * 3, column * 3];
  const ring: Array<[number, number]> = [];
  for (let k = 0; k < 3; k++) ring.push(points[i0]![j0 + k]!);
  for (let k = 0; k < 3; k++) ring.push(points[i0 + k]![j0 + 3]!);
  for (let k = 3; k > 0; k--) ring.push(points[i0 + 3]![j0 + k]!);
  for (let k = 3; k > 0; k--) ring.push(points[i0 + k]![j0]!);
  ring.push(ring[0]!);
  return ring;
}

const voterText = await readFile(VOTERS, 'latin1');
if (voterText.includes(`"${ID_PREFIX}`)) throw new Error(`${VOTERS} already has the zone voters`);
const lines = voterText.split('\r\n');
const template = lines
  .find((l) => l.startsWith('"32"\t"DURHAM"'))!
  .split('\t')
  .map((v) => v.slice(1, -1));

let voterRows = '';
let historyRows = '';
let n = 0;
const sizes = [...Array.from({ length: GRID * GRID }, (_, k) => 60 + ((k * 37) % 100)), 30, 22];
for (const [k, size] of sizes.entries()) {
  const [row, column] = k < GRID * GRID ? [Math.floor(k / GRID), k % GRID] : [2, 2];
  const turnout = 0.3 + 0.11 * ((row + 2 * column) % 5);
  for (let v = 0; v < size; v++, n++) {
    const id = `${ID_PREFIX}${String(100000 + n)}`;
    voterRows += voterRow(template, id, n, precinct(k + 1), partyFor(column));
    for (const election of ELECTIONS)
      if (random() < turnout * election[2])
        historyRows += historyRow(id, String(300000 + n).padStart(12, '0'), precinct(k + 1), election);
  }
}
await appendFile(VOTERS, Buffer.from(voterRows, 'latin1'));
await appendFile(HISTORY, historyRows);

const points = lattice();
const features = Array.from({ length: GRID * GRID }, (_, k) => ({
  type: 'Feature',
  properties: { zone: `DURHAM:${precinct(k + 1)}`, name: `Precinct ${precinct(k + 1)} (invented)` },
  geometry: { type: 'Polygon', coordinates: [cellRing(points, Math.floor(k / GRID), k % GRID)] },
}));
await writeFile(BOUNDARIES, `${JSON.stringify({ type: 'FeatureCollection', features })}\n`);
process.stdout.write(`${n} voters, ${historyRows.split('\r\n').length - 1} votes, ${features.length} precincts\n`);
