import { sql, type Kysely } from 'kysely';

/**
 * The voter file and what matching keeps about it. `voters`, `voter_votes` and `voter_name_counts` are the live
 * copy of the current file; `enrich voters import` builds the next copy beside them and swaps it in by renaming in
 * one transaction, so these empty tables are only what lookups see before the first import. Independent of every
 * other migration but 0001 (contacts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table voter_imports (
      id bigint generated always as identity primary key,
      source text not null,
      history_source text,
      format text not null,
      state text not null default 'loading' check (state in ('loading', 'active', 'replaced', 'failed')),
      rows integer not null default 0,
      rejected integer not null default 0,
      voters integer not null default 0,
      history_rows integer,
      error text,
      started_at timestamptz not null default now(),
      finished_at timestamptz
    )`.execute(db);
  await sql`create unique index voter_imports_one_active on voter_imports ((true)) where state = 'active'`.execute(db);

  await sql`
    create table voters (
      voter_id text not null primary key,
      source_line integer not null,
      first_name text not null,
      middle_name text,
      last_name text not null,
      name_suffix text,
      first_norm text not null,
      middle_norm text not null,
      last_norm text not null,
      last_phonetic text not null,
      birth_year smallint,
      house_number text,
      street_core text,
      res_address text,
      city text,
      city_norm text,
      state text,
      zip5 text,
      county text,
      status text,
      party text,
      precinct text,
      registration_date date,
      districts jsonb not null default '{}'
    )`.execute(db);
  await sql`create index voters_zip_block on voters (zip5, last_phonetic, last_norm)`.execute(db);
  await sql`create index voters_city_block on voters (city_norm, last_phonetic, last_norm)`.execute(db);
  await sql`create index voters_person_block on voters (last_phonetic, birth_year, first_norm)`.execute(db);

  await sql`
    create table voter_votes (
      voter_id text not null,
      election_date date,
      election text not null,
      method text,
      party text,
      source_line integer not null
    )`.execute(db);
  await sql`create index voter_votes_voter on voter_votes (voter_id, election_date)`.execute(db);

  await sql`
    create table voter_name_counts (
      kind text not null,
      name text not null,
      n integer not null,
      primary key (kind, name)
    )`.execute(db);
  await sql`create index voter_name_counts_trgm on voter_name_counts using gin (name gin_trgm_ops) where kind = 'last'`.execute(
    db,
  );

  await sql`
    create table voter_nicknames (
      name text not null,
      group_id integer not null,
      primary key (name, group_id)
    )`.execute(db);

  await sql`
    create table voter_contact_keys (
      contact_id text primary key references contacts (id) on delete cascade,
      first_norm text not null,
      middle_norm text not null,
      last_norm text not null,
      last_phonetic text not null,
      birth_year smallint,
      house_number text,
      street_core text,
      zip5 text,
      city_norm text,
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table voter_matches (
      contact_id text primary key references contacts (id) on delete cascade,
      state text not null check (state in ('matched', 'ambiguous', 'no_match')),
      voter_id text,
      score double precision,
      address_key text,
      precinct text,
      status text,
      party text,
      registration_date date,
      districts jsonb,
      import_id bigint,
      decided_by text not null,
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index voter_matches_voter on voter_matches (voter_id)`.execute(db);

  await sql`
    create table voter_match_reviews (
      contact_id text primary key references contacts (id) on delete cascade,
      import_id bigint,
      candidates jsonb not null,
      probability_top_two double precision not null,
      decided_by text not null,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'voter_match_reviews',
    'voter_matches',
    'voter_contact_keys',
    'voter_nicknames',
    'voter_name_counts',
    'voter_votes',
    'voters',
    'voter_imports',
  ]) {
    await sql`drop table if exists ${sql.table(table)}`.execute(db);
  }
}
