import { sql, type Kysely, type QueryExecutorProvider } from 'kysely';

/** Selection columns copied from the record, each with the record path it comes from. */
const TEXT_COLUMNS: Array<[column: string, path: string]> = [
  ['occupation', '{work,occupation}'],
  ['employer', '{work,employer}'],
  ['postal_code', '{location,postalCode}'],
  ['locality', '{location,locality}'],
  ['region', '{location,region}'],
  ['country', '{location,country}'],
  ['congressional', '{location,districts,congressional}'],
  ['state_upper', '{location,districts,stateUpper}'],
  ['state_lower', '{location,districts,stateLower}'],
  ['county', '{location,districts,county}'],
  ['precinct', '{voter,precinct}'],
  ['party', '{voter,party}'],
  ['voter_status', '{voter,status}'],
];

/** Matched by equality: a plain index on the case-folded value. */
const EQUALITY_INDEXED = [
  'postal_code',
  'region',
  'country',
  'congressional',
  'state_upper',
  'state_lower',
  'county',
  'precinct',
  'party',
  'voter_status',
];
/** Also searched by substring (`work.occupation~physician`): a trigram index, which serves equality too. */
const TRIGRAM_INDEXED = ['occupation', 'employer', 'locality'];

/**
 * The fields segments select on, as indexed columns beside the record (which stays the source of truth; the
 * store rewrites them with every record): text columns hold the record's value as is and are matched
 * case-insensitively through indexes on `lower(...)`; `networks` holds the profiles' networks, lower-cased;
 * `restricted_fields` names the fields decided by restricted (FEC) data. Existing records are copied over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const added = TEXT_COLUMNS.map(([column]) => sql`add column ${sql.id(column)} text`);
  await sql`
    alter table contacts
      ${sql.join(added)},
      add column networks text[] not null default '{}',
      add column restricted_fields text[] not null default '{}'
  `.execute(db);

  for (const column of EQUALITY_INDEXED) {
    await sql`create index ${sql.id(`contacts_${column}_idx`)} on contacts (lower(${sql.id(column)}))`.execute(db);
  }
  for (const column of TRIGRAM_INDEXED) {
    await sql`create index ${sql.id(`contacts_${column}_trgm_idx`)} on contacts using gin (lower(${sql.id(column)}) gin_trgm_ops)`.execute(
      db,
    );
  }
  await sql`create index contacts_networks_idx on contacts using gin (networks)`.execute(db);

  await backfillRecordColumns(db);
}

/**
 * Fills the selection columns of every stored record, as `updateContactRecord` does for new ones. Exported so the
 * tests can check that both agree.
 */
export async function backfillRecordColumns(db: QueryExecutorProvider): Promise<void> {
  const assignments = TEXT_COLUMNS.map(([column, path]) => sql`${sql.id(column)} = record #>> ${sql.lit(path)}`);
  await sql`
    update contacts set
      ${sql.join(assignments)},
      networks = coalesce((
        select array_agg(distinct lower(p ->> 'network') collate "C" order by lower(p ->> 'network') collate "C")
        from jsonb_array_elements(case when jsonb_typeof(record -> 'profiles') = 'array' then record -> 'profiles' else '[]'::jsonb end) as p
        where p ->> 'network' is not null
      ), '{}'),
      restricted_fields = coalesce((
        select array_agg(f order by f collate "C") from (
          select 'donations' as f where jsonb_typeof(record -> 'donations') = 'object'
          union
          select key from jsonb_each(case when jsonb_typeof(record -> 'provenance') = 'object' then record -> 'provenance' else '{}'::jsonb end)
          where key <> 'profiles' and value -> 0 ->> 'provider' = 'fec'
        ) as restricted
      ), '{}')
    where record is not null
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of [...EQUALITY_INDEXED, ...TRIGRAM_INDEXED]) {
    await sql`drop index if exists ${sql.id(`contacts_${column}_idx`)}`.execute(db);
    await sql`drop index if exists ${sql.id(`contacts_${column}_trgm_idx`)}`.execute(db);
  }
  await sql`drop index if exists contacts_networks_idx`.execute(db);
  const dropped = [...TEXT_COLUMNS.map(([column]) => column), 'networks', 'restricted_fields'].map(
    (column) => sql`drop column ${sql.id(column)}`,
  );
  await sql`alter table contacts ${sql.join(dropped)}`.execute(db);
}
