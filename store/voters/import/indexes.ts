import type { SqlSession } from '../sql-session.js';
import { ZIP_NAME_PARTITIONS } from '../voter-tables.js';
import type { RejectRow } from './load.js';
import { runOnSessions, statement, type IndexStep } from './run-on-sessions.js';
import type { LoadTables } from './stage.js';
import { turnoutSteps } from './turnout.js';

/*
 * Stage "index" of a voter import: the loaded tables' indexes, name counts, each ZIP's family names and the
 * planner's statistics, two at a time on Postgres (a second connection), each step as soon as what it reads is ready.
 */

/** The columns the ZIP blocking index carries besides its key: the voter id and the other match keys. */
const ZIP_BLOCK_INCLUDE = [
  'voter_id',
  'first_norm',
  'middle_norm',
  'birth_year',
  'house_number',
  'street_core',
  'city_norm',
];

/**
 * The columns queries filter and join `voters` by: the only ones whose statistics the planner needs, so the only
 * ones ANALYZE samples after an import (autovacuum fills in the rest later).
 */
const ANALYZED_COLUMNS = ['voter_id', 'zip5', 'city_norm', 'last_phonetic', 'last_norm', 'birth_year', 'first_norm'];

/**
 * How many partitions `voter_zip_names` gets: about one per 4,000 voters (some 1,300 names each, a few ZIPs), at
 * most ZIP_NAME_PARTITIONS. A trigram search reads every posting list of its partition's index, so it costs in
 * proportion to the partition: at a million voters, 250 partitions make the rematch's trigram stage a third faster
 * than 50. Fewer, larger partitions for a small file: the planner reads a partition of a few hundred names
 * sequentially (a trigram comparison per name, ten times the cost of the index) rather than through its index.
 */
const zipNamePartitions = (rows: number) => Math.max(1, Math.min(ZIP_NAME_PARTITIONS, Math.round(rows / 4_000)));

/**
 * `voter_zip_names`' next copy: partitioned by a hash of the ZIP, its partitions named after the import (they keep
 * their names when the table is renamed at the swap, and go with it when it is dropped).
 */
function createZipNamesSql(table: string, id: string, partitions: number): string[] {
  return [
    `create table ${table} (zip5 text collate "C" not null, name text collate "C" not null, phonetic text collate "C" not null) partition by hash (zip5)`,
    ...Array.from(
      { length: partitions },
      (_, i) =>
        `create table voter_zip_names_${id}_p${i} partition of ${table} for values with (modulus ${partitions}, remainder ${i})`,
    ),
  ];
}

/** Each ZIP's distinct family names, with their phonetic code. */
const fillZipNamesSql = (tables: LoadTables) => `insert into ${tables.zipNames} (zip5, name, phonetic)
              select distinct zip5, last_norm, last_phonetic from ${tables.voters} where zip5 is not null`;

/**
 * The name counts, in one pass over the voters (grouping sets): how many voters have each first name, family name
 * (with its phonetic code), ZIP and locality.
 */
function createCountsSql(counts: string, voters: string): string {
  return `create table ${counts} as
    select kind, name, n, phonetic from (
      select case when grouping(first_norm) = 0 then 'first' when grouping(last_norm) = 0 then 'last'
                  when grouping(zip5) = 0 then 'zip' else 'city' end as kind,
             coalesce(first_norm, last_norm, zip5, city_norm) as name, count(*)::int as n,
             case when grouping(last_norm) = 0 then last_phonetic end as phonetic
        from ${voters}
       group by grouping sets ((first_norm), (last_norm, last_phonetic), (zip5), (city_norm))) c
     where name is not null and name <> ''`;
}

/** Every repeat of a voter id after its first row, deleted: its line, the id, and the line of its first row. */
const deleteRepeatsSql = (table: string) => `with ranked as (
       select ctid as row_id, source_line, min(source_line) over (partition by voter_id) as first_line,
              row_number() over (partition by voter_id order by source_line) as nth
         from ${table})
     delete from ${table} t using ranked r where t.ctid = r.row_id and r.nth > 1
     returning t.source_line as line, t.voter_id, r.first_line`;

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';

/**
 * Builds the unique index on `voter_id` that becomes the primary key. Voter ids are unique in a well-formed file,
 * so the first try normally succeeds; when it does not, every repeat of an id after its first row is deleted and
 * rejected, and it tries again. Returns how many rows were rejected so.
 */
async function addVoterIdIndex(session: SqlSession, table: string, id: string, reject: RejectRow): Promise<number> {
  const add = `create unique index voters_${id}_pkey on ${table} (voter_id)`;
  try {
    await session.query(add);
    return 0;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const removed = await session.query<{ line: number; voter_id: string; first_line: number }>(deleteRepeatsSql(table));
  removed.sort((a, b) => a.line - b.line);
  for (const row of removed)
    await reject(row.line, `voter id ${row.voter_id} again (first on line ${row.first_line}); the first row is kept`);
  await session.query(add);
  return removed.length;
}

export interface IndexInput {
  id: string;
  tables: LoadTables;
  /** Voter rows read (for the ZIP names' partitions). */
  rows: number;
  withHistory: boolean;
  /** Told about each repeat of a voter id. */
  reject: RejectRow;
}

/**
 * The steps. The voter id's unique index comes first: a voter id seen twice keeps its first row, and the others are
 * rejected, before anything is counted. It becomes the primary key at the swap (a unique index builds beside the
 * others; adding the constraint directly would lock them out). `duplicates` is told how many were rejected so.
 */
function indexSteps(
  { id, tables, rows, withHistory, reject }: IndexInput,
  duplicates: (count: number) => void,
): IndexStep[] {
  return [
    { name: 'voter id', run: async (on) => duplicates(await addVoterIdIndex(on, tables.voters, id, reject)) },
    // The ZIP block carries every other column a candidate is scored on, so the block is read from the index
    // alone (the rows are all-visible from the load): most candidates of a lookup or a rematch come through it.
    statement(
      'zip block',
      `create index voters_${id}_zip_block on ${tables.voters} (zip5, last_phonetic, last_norm) include (${ZIP_BLOCK_INCLUDE.join(', ')})`,
    ),
    statement('name counts', createCountsSql(tables.counts, tables.voters), ['voter id']),
    statement(
      'locality block',
      `create index voters_${id}_city_block on ${tables.voters} (city_norm, last_phonetic, last_norm)`,
    ),
    statement(
      'person block',
      `create index voters_${id}_person_block on ${tables.voters} (last_phonetic, birth_year, first_norm)`,
    ),
    statement(
      'name counts key',
      `alter table ${tables.counts} add constraint voter_name_counts_${id}_pkey primary key (kind, name)`,
      ['name counts'],
    ),
    statement(
      'family name trigrams',
      `create index voter_name_counts_${id}_trgm on ${tables.counts} using gin (name gin_trgm_ops) where kind = 'last'`,
      ['name counts'],
    ),
    {
      name: 'zip names',
      run: async (on) => {
        for (const create of createZipNamesSql(tables.zipNames, id, zipNamePartitions(rows))) await on.query(create);
        await on.query(fillZipNamesSql(tables));
      },
      after: ['voter id'],
    },
    statement(
      'zip name trigrams',
      `create index voter_zip_names_${id}_trgm on ${tables.zipNames} using gin (name gin_trgm_ops)`,
      ['zip names'],
    ),
    statement('analyze voters', `analyze ${tables.voters} (${ANALYZED_COLUMNS.join(', ')})`, ['voter id']),
    statement('analyze name counts', `analyze ${tables.counts}`, ['name counts key', 'family name trigrams']),
    ...(withHistory
      ? [
          statement('votes index', `create index voter_votes_${id}_voter on ${tables.votes} (voter_id, election_date)`),
          statement('analyze votes', `analyze ${tables.votes}`, ['votes index']),
        ]
      : []),
    ...turnoutSteps(tables, withHistory, 'voter id'),
  ];
}

/**
 * Stage "index": runs the steps on `sessions` (the import's own and, on Postgres, a second one); returns each step's
 * time and how many voter rows were rejected as repeats of a voter id.
 */
export async function buildIndexes(
  sessions: SqlSession[],
  input: IndexInput,
): Promise<{ steps: Record<string, number>; duplicates: number }> {
  let duplicates = 0;
  const steps = await runOnSessions(
    sessions,
    indexSteps(input, (count) => (duplicates = count)),
  );
  return { steps, duplicates };
}
