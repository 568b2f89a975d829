import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { SIGNUP_PROVIDER } from '../../domain/merge/build-contact-record.js';
import type { Database } from '../../store/database.js';
import { upsertContact } from '../../store/contacts.js';
import { insertObservations } from '../../store/observations.js';
import { importVoterFile } from '../../store/voters/import-voter-file.js';
import { NCVHIS_COLUMNS, NCVOTER_COLUMNS, NCVOTER_MAPPING } from '../../store/voters/voter-file-format.js';
import { keyOf, mergeStored } from '../record/segment-fixtures.js';

/*
 * The zone fixture, small enough to compute by hand (the expected figures are in zones-report.test.ts):
 *
 * elections, newest first: E1 11/05/2024 GENERAL, E2 03/05/2024 PRIMARY, E3 11/08/2022 GENERAL
 *
 * | zone     | voters | DEM | REP | UNA | LIB | voted E1 | E2 | E3 |
 * | ALPHA:01 |   60   |  30 |  20 |  10 |     |    45    | 15 | 30 |   (+2 removed voters, not counted)
 * | ALPHA:02 |   50   |  10 |  35 |   5 |     |    20    |  5 | 10 |
 * | ALPHA:03 |   30   |  15 |  15 |     |     |    30    |  0 |  0 |
 * | BETA:01  |   25   |     |     |     |  25 |     0    |  0 |  0 |
 *
 * Supporters: 12 matched in ALPHA:01 (DEM voters who voted E1 and E3, not E2; one is a physician), 3 in ALPHA:02
 * (REP voters who voted nowhere), 1 in ALPHA:03 (DEM, voted E1), and one not matched (no zone).
 */

export const ELECTIONS = [
  { label: '11/05/2024', desc: '11/05/2024 GENERAL' },
  { label: '03/05/2024', desc: '03/05/2024 PRIMARY' },
  { label: '11/08/2022', desc: '11/08/2022 GENERAL' },
];

interface FixtureVoter {
  id: string;
  county: string;
  precinct: string;
  party: string;
  status: string;
  /** Which of ELECTIONS (E1, E2, E3) the voter voted in. */
  voted: [boolean, boolean, boolean];
}

/** `count` voters of a zone and party; the first `e1`, `e2`, `e3` of them voted in each election. */
function voters(
  county: string,
  precinct: string,
  party: string,
  count: number,
  [e1, e2, e3]: [number, number, number],
  start: number,
): FixtureVoter[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${county.slice(0, 2)}${precinct}${party}${String(start + i).padStart(4, '0')}`,
    county,
    precinct,
    party,
    status: 'A',
    voted: [i < e1, i < e2, i < e3],
  }));
}

/** The voters as the table above gives them (the split of each election's voters among parties is arbitrary). */
export function fixtureVoters(): FixtureVoter[] {
  const removed = voters('ALPHA', '01', 'DEM', 2, [2, 2, 2], 900).map((v) => ({ ...v, status: 'R' }));
  return [
    // ALPHA:01: E1 30+10+5 = 45, E2 5+5+5 = 15, E3 20+5+5 = 30; DEM 0–19 voted E1 and E3, 25–29 E1 and E2
    ...voters('ALPHA', '01', 'DEM', 30, [30, 0, 20], 0).map((v, i) =>
      i >= 25 ? { ...v, voted: [true, true, false] as [boolean, boolean, boolean] } : v,
    ),
    ...voters('ALPHA', '01', 'REP', 20, [10, 5, 5], 0),
    ...voters('ALPHA', '01', 'UNA', 10, [5, 5, 5], 0),
    ...removed,
    // ALPHA:02: E1 5+15 = 20, E2 5, E3 10; REP 30–34 voted nowhere
    ...voters('ALPHA', '02', 'DEM', 10, [5, 5, 10], 0),
    ...voters('ALPHA', '02', 'REP', 35, [15, 0, 0], 0),
    ...voters('ALPHA', '02', 'UNA', 5, [0, 0, 0], 0),
    // ALPHA:03: everyone voted E1 only
    ...voters('ALPHA', '03', 'DEM', 15, [15, 0, 0], 0),
    ...voters('ALPHA', '03', 'REP', 15, [15, 0, 0], 0),
    ...voters('BETA', '01', 'LIB', 25, [0, 0, 0], 0),
  ];
}

const quoted = (values: string[]) => `${values.map((v) => `"${v}"`).join('\t')}\n`;

function voterFileText(list: FixtureVoter[]): string {
  const at = (name: string) => NCVOTER_COLUMNS.indexOf(name as (typeof NCVOTER_COLUMNS)[number]);
  let text = quoted([...NCVOTER_COLUMNS]);
  for (const [n, v] of list.entries()) {
    const row = NCVOTER_COLUMNS.map(() => '');
    row[at('county_desc')] = v.county;
    row[at('ncid')] = v.id;
    row[at('last_name')] = `VOTER${n}`;
    row[at('first_name')] = 'ZONE';
    row[at('status_cd')] = v.status;
    row[at('res_city_desc')] = v.county === 'ALPHA' ? 'ALPHAVILLE' : 'BETATOWN';
    row[at('state_cd')] = 'NC';
    row[at('zip_code')] = v.county === 'ALPHA' ? '27701' : '27702';
    row[at('party_cd')] = v.party;
    row[at('birth_year')] = '1970';
    row[at('precinct_abbrv')] = v.precinct;
    row[at('cong_dist_abbrv')] = v.county === 'ALPHA' ? '4' : '13';
    text += quoted(row);
  }
  return text;
}

function historyText(list: FixtureVoter[]): string {
  const at = (name: string) => NCVHIS_COLUMNS.indexOf(name as (typeof NCVHIS_COLUMNS)[number]);
  let text = quoted([...NCVHIS_COLUMNS]);
  for (const v of list) {
    v.voted.forEach((voted, e) => {
      if (!voted) return;
      const row = NCVHIS_COLUMNS.map(() => '');
      row[at('ncid')] = v.id;
      row[at('election_lbl')] = ELECTIONS[e]!.label;
      row[at('election_desc')] = ELECTIONS[e]!.desc;
      row[at('voting_method')] = 'IN-PERSON';
      text += quoted(row);
    });
  }
  return text;
}

const once = (text: string): AsyncIterable<string> => Readable.from([text]);

/** Imports the fixture's voter file and history. */
export async function importZoneFixture(db: Kysely<Database>, postgresUrl?: string): Promise<void> {
  const list = fixtureVoters();
  await importVoterFile({
    db,
    postgresUrl,
    source: 'zones-fixture.txt',
    format: 'ncvoter',
    mapping: NCVOTER_MAPPING,
    text: once(voterFileText(list)),
    history: { source: 'zones-fixture-history.txt', text: once(historyText(list)) },
  });
}

const run = { workflowId: 'enrich-contact:zones', runId: 'run-1' };

/** One supporter, merged, matched to `voterId` when given; `occupation` for filters, `point` for the map. */
export async function seedSupporter(
  db: Kysely<Database>,
  email: string,
  options: { voterId?: string; occupation?: string; point?: [lon: number, lat: number] } = {},
): Promise<string> {
  const id = keyOf(email);
  await upsertContact(db, { id, signup: { email }, workflowId: run.workflowId });
  const facts = [{ field: 'name.given', value: 'Zone', confidence: 1 }];
  if (options.occupation) facts.push({ field: 'work.occupation', value: options.occupation, confidence: 1 });
  await insertObservations(
    db,
    { contactId: id, provider: SIGNUP_PROVIDER, ...run },
    facts.map((f) => ({ ...f, fetchedAt: '2026-05-01T10:00:00.000Z' })),
  );
  if (options.point) {
    const [lon, lat] = options.point;
    await insertObservations(db, { contactId: id, provider: 'census', ...run }, [
      { field: 'location.lon', value: lon, confidence: 0.9, fetchedAt: '2026-05-01T10:00:00.000Z' },
      { field: 'location.lat', value: lat, confidence: 0.9, fetchedAt: '2026-05-01T10:00:00.000Z' },
    ]);
  }
  await mergeStored(db, id);
  if (options.voterId) {
    await sql`insert into voter_matches (contact_id, state, voter_id, score, decided_by)
              values (${id}, 'matched', ${options.voterId}, 0.99, 'lookup')`.execute(db);
  }
  return id;
}

/** The fixture's supporters (see the comment at the top). */
export async function seedZoneSupporters(db: Kysely<Database>): Promise<void> {
  for (let i = 0; i < 12; i++) {
    await seedSupporter(db, `alpha1-${i}@example.org`, {
      voterId: `AL01DEM${String(i).padStart(4, '0')}`,
      occupation: i === 0 ? 'Family Physician' : undefined,
      point: [-78.9 + i / 1000, 36.0],
    });
  }
  for (let i = 0; i < 3; i++)
    await seedSupporter(db, `alpha2-${i}@example.org`, { voterId: `AL02REP${String(30 + i).padStart(4, '0')}` });
  await seedSupporter(db, 'alpha3@example.org', { voterId: 'AL03DEM0000' });
  await seedSupporter(db, 'nowhere@example.org');
}
