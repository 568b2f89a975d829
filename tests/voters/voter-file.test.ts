import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVoterfileProvider, matchVoter, voterLookupKeys } from '../../activities/providers/voterfile.js';
import { LookupError } from '../../activities/providers/lookup-error.js';
import { decodeText, type DecodeState } from '../../domain/decode-text.js';
import { countryOfAddress } from '../../schemas/address-country.js';
import type { ProviderAnswer } from '../../activities/providers/provider.js';
import { upsertContact } from '../../store/contacts.js';
import { migrateToLatest } from '../../store/migrate.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { importVoterFile, type VoterFileReject } from '../../store/voters/import-voter-file.js';
import { rematchVoters } from '../../store/voters/rematch-voters.js';
import {
  NCVOTER_COLUMNS,
  NCVOTER_MAPPING,
  parseVoterFileMapping,
  VoterFileError,
} from '../../store/voters/voter-file-format.js';
import { findVoterReview, matchVoterInDatabase } from '../../store/voters/voter-lookups.js';
import { withVoterTables } from '../../store/voters/voter-tables.js';
import { STORE_BACKENDS } from '../support/store-backends.js';

const DEMO_VOTERS = 'demo/data/ncvoter-demo.txt';
const DEMO_HISTORY = 'demo/data/ncvhis-demo.txt';
const THRESHOLDS = { highThreshold: 0.97, lowThreshold: 0.5 };

interface DemoSupporter {
  email: string;
  given_name: string;
  family_name: string;
  address: string;
  postal_code: string;
  locality: string;
  region: string;
  country: string;
  birth_year: string;
}

const contactKey = (email: string) =>
  email
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .padEnd(64, '0')
    .slice(0, 64);

/** The demo's French supporters: not the US file's country, so the rematch skips them (their lookups answer no match). */
const frenchContacts = (supporters: DemoSupporter[]) =>
  new Set(supporters.filter((s) => s.country === 'FR').map((s) => contactKey(s.email)));

/** The demo voter file with rows edited, dropped (edit returns null) or added, as Latin-1 text. */
async function editedDemoFile(
  edit: (row: Record<string, string>) => Record<string, string> | null,
  added: Array<Record<string, string>> = [],
): Promise<string> {
  const lines = (await readFile(DEMO_VOTERS)).toString('latin1').split('\r\n').filter(Boolean);
  const header = lines[0]!;
  const rows = lines.slice(1).flatMap((line) => {
    const values = line.slice(1, -1).split('"\t"');
    if (values.length !== NCVOTER_COLUMNS.length) return [line];
    const row = Object.fromEntries(NCVOTER_COLUMNS.map((c, i) => [c, values[i]!]));
    const edited = edit(row);
    return edited ? [NCVOTER_COLUMNS.map((c) => `"${edited[c] ?? ''}"`).join('\t')] : [];
  });
  for (const row of added) rows.push(NCVOTER_COLUMNS.map((c) => `"${row[c] ?? ''}"`).join('\t'));
  return [header, ...rows, ''].join('\r\n');
}

const textOf = (content: string | Buffer, state: DecodeState = { encoding: 'utf-8' }) =>
  decodeText(Readable.from([Buffer.from(content as string, 'latin1')]), state);

describe.each(STORE_BACKENDS)('voter file on $name', ({ open }) => {
  let handle: DatabaseHandle;
  let url: string | undefined;
  let cleanup: () => Promise<void>;
  let supporters: DemoSupporter[];
  const lookup = async (s: DemoSupporter): Promise<ProviderAnswer | LookupError> => {
    const provider = createVoterfileProvider(handle.db, THRESHOLDS);
    const input = {
      contactKey: contactKey(s.email),
      email: s.email,
      givenName: s.given_name,
      familyName: s.family_name,
      birthYear: Number(s.birth_year),
      postalAddress: {
        lines: [s.address],
        locality: s.locality,
        postalCode: s.postal_code,
        region: s.region,
        country: s.country,
      },
    };
    return provider.lookup(input).catch((err: unknown) => {
      if (err instanceof LookupError) return err;
      throw err;
    });
  };
  const importDemo = (text: AsyncIterable<string>, rejects: VoterFileReject[] = [], history = true) =>
    importVoterFile({
      db: handle.db,
      postgresUrl: url,
      source: 'ncvoter-demo.txt',
      format: 'ncvoter',
      mapping: NCVOTER_MAPPING,
      text,
      history: history
        ? { source: 'ncvhis-demo.txt', text: decodeText(createReadStream(DEMO_HISTORY), { encoding: 'utf-8' }) }
        : undefined,
      onReject: (r) => void rejects.push(r),
      batchSize: 7,
    });

  beforeAll(async () => {
    ({ handle, url, cleanup } = await open());
    await migrateToLatest(handle.db);
    supporters = parse<DemoSupporter>(await readFile('demo/supporters.csv'), { columns: true });
    for (const s of supporters) {
      await upsertContact(handle.db, {
        id: contactKey(s.email),
        workflowId: `enrich-contact:${contactKey(s.email)}`,
        signup: {
          email: s.email.toLowerCase(),
          givenName: s.given_name,
          familyName: s.family_name,
          birthYear: Number(s.birth_year),
          postalAddress: {
            lines: [s.address],
            locality: s.locality,
            postalCode: s.postal_code,
            region: s.region,
            country: s.country,
          },
        },
      });
    }
  });
  afterAll(async () => cleanup());

  it('imports the Latin-1 demo file, rejecting bad rows with their line and never stopping', async () => {
    const state: DecodeState = { encoding: 'utf-8' };
    const rejects: VoterFileReject[] = [];
    const result = await importDemo(decodeText(createReadStream(DEMO_VOTERS), state), rejects);
    expect(state.encoding).toBe('latin-1');
    expect(result).toMatchObject({
      rows: 2809,
      voters: 2806,
      rejected: 3,
      duplicates: 1,
      historyRows: 5584,
      historyRejected: 0,
      missingColumns: [],
    });
    expect(rejects.map((r) => [r.line, r.reason])).toEqual([
      [13, 'has 6 fields, the header has 67'],
      [31, 'no voter id (ncid)'],
      [58, 'voter id DU132018 again (first on line 4); the first row is kept'],
    ]);
    const { rows } = await sql<{
      first_name: string;
      last_norm: string;
      last_phonetic: string;
      registration_date: string | null;
      districts: Record<string, string>;
    }>`
      select first_name, last_norm, last_phonetic, to_char(registration_date, 'YYYY-MM-DD') as registration_date, districts
        from voters where voter_id in ('AN559101', 'CW775090') order by voter_id`.execute(handle.db);
    expect(rows[0]).toMatchObject({
      first_name: 'JOSÉ',
      last_norm: 'munoz',
      districts: expect.objectContaining({ congressional: '11' }),
    });
    expect(rows[1]!.registration_date).toBeNull(); // `##/##/####` in the file
    const { rows: leftovers } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_tables where tablename like '%\_load\_%'`.execute(handle.db);
    expect(leftovers[0]!.n).toBe(0);
  });

  it('matches demo supporters exactly, through typos, nicknames and a move, with the score breakdown and votes', async () => {
    const expected: Record<string, string> = {
      'priya.primary@example.com': 'DU132018',
      'stella.slow@example.com': 'EH401577', // STELA in the file
      'keisha.brown@example.com': 'BY114230', // BROWNE in the file
      'terry.twice@example.org': 'DU127701', // TERRY for Terrence
      'walter.nash@example.com': 'CZ300418', // WALT for Walter
      'zoe.harris@example.net': 'BN220476', // another street in the same ZIP
      'arjun.mehta@example.net': 'EH561930', // 141 for 114
      'devon.price@example.com': 'EH388540', // the other Devon Price is 33 years older
      'rosa.retry@example.org': 'EH402211',
    };
    for (const [email, voterId] of Object.entries(expected)) {
      const answer = await lookup(supporters.find((s) => s.email === email)!);
      expect(answer, email).not.toBeInstanceOf(LookupError);
      const { outcome, observations } = answer as ProviderAnswer;
      expect(outcome, email).toBe('matched');
      expect(observations).toHaveLength(1);
      expect(observations[0]).toMatchObject({ field: 'voter', value: { voterId } });
      expect(observations[0]!.confidence).toBeGreaterThanOrEqual(0.97);
    }
    const rosa = (await lookup(supporters.find((s) => s.email === 'rosa.retry@example.org')!)) as ProviderAnswer;
    const value = rosa.observations[0]!.value as {
      status: string;
      party: string;
      registrationDate: string;
      districts: object;
      votes: Array<{ date: string }>;
      voteCount: number;
      scoreBreakdown: object;
    };
    expect(value).toMatchObject({
      status: 'active',
      party: 'DEM',
      registrationDate: '2008-06-12',
      districts: { congressional: '02', stateSenate: '16' },
    });
    expect(value.scoreBreakdown).toMatchObject({
      firstName: { level: 'exact' },
      lastName: { level: 'exact' },
      address: { level: 'exact' },
      birthYear: { level: 'exact' },
    });
    const dates = value.votes.map((v) => v.date);
    expect(new Set(dates).size).toBe(dates.length); // the same election under two method labels counts once
    expect(dates).toContain('2022-11-08');
    expect(value.voteCount).toBe(dates.length);
  });

  it('flags the ambiguous pair with both candidates kept for review, and answers no match for the rest', async () => {
    const jamal = supporters.find((s) => s.email === 'jamal.wright@example.net')!;
    const answer = await lookup(jamal);
    expect(answer).toBeInstanceOf(LookupError);
    expect((answer as LookupError).type).toBe('AmbiguousMatch');
    expect((answer as LookupError).retryable).toBe(false);
    const review = await findVoterReview(handle.db as never, contactKey(jamal.email));
    expect((review?.candidates as Array<{ voterId: string }>).map((c) => c.voterId).sort()).toEqual([
      'BY131508',
      'BY131655',
    ]);
    for (const email of [
      'omar.haddad@example.net',
      'fiona.flaky@example.org',
      'dana.ruiz@example.org',
      'jules.martin@example.org',
    ]) {
      expect(await lookup(supporters.find((s) => s.email === email)!), email).toEqual({
        outcome: 'no_match',
        observations: [],
      });
    }
    const bare = createVoterfileProvider(handle.db, THRESHOLDS).lookup({
      contactKey: contactKey('x@example.org'),
      email: 'x@example.org',
      familyName: 'Ruiz',
    });
    await expect(bare).rejects.toMatchObject({ type: 'InvalidInput' });
  });

  it('decides and scores each lookup in the database as the JavaScript model does, misspelt family names included', async () => {
    const voters = withVoterTables(handle.db);
    const thresholds = { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold };
    // Each supporter as signed up, and again with two letters of the family name swapped (most then sound
    // different: stage two, the ZIP's similar names, has to find them).
    const cases = supporters.flatMap((s) => {
      const f = s.family_name;
      const swapped = f.length > 3 ? f.slice(0, 1) + f[2] + f[1] + f.slice(3) : f;
      return [s, { ...s, family_name: swapped }];
    });
    const outcomes = new Set<string>();
    for (const s of cases) {
      const postalAddress = {
        lines: [s.address],
        locality: s.locality,
        postalCode: s.postal_code,
        region: s.region,
        country: s.country,
      };
      const keys = voterLookupKeys({
        contactKey: contactKey(s.email),
        email: s.email,
        givenName: s.given_name,
        familyName: s.family_name,
        birthYear: Number(s.birth_year),
        postalAddress,
      })!;
      const country = countryOfAddress(postalAddress);
      const reference = (await matchVoter(voters, keys, thresholds, country)).decision;
      const inDatabase = await matchVoterInDatabase(voters, contactKey(s.email), keys, thresholds, 'lookup', country);
      const label = `${s.email} as ${s.family_name}`;
      outcomes.add(reference.outcome);
      expect(inDatabase.outcome, label).toBe(reference.outcome);
      if (inDatabase.outcome === 'matched' && reference.outcome === 'matched') {
        expect(inDatabase.recorded.facts.voterId, label).toBe(reference.best.candidate.voterId);
        expect(inDatabase.probability, label).toBeCloseTo(reference.best.probability, 12);
        expect(inDatabase.breakdown, label).toEqual(reference.best.breakdown);
      }
      if (inDatabase.outcome === 'ambiguous' && reference.outcome === 'ambiguous') {
        expect(inDatabase.probabilityTopTwo, label).toBeCloseTo(reference.probabilityTopTwo, 12);
        const best = reference.ranked.slice(0, inDatabase.candidates.length);
        expect(
          inDatabase.candidates.map((c) => c.voterId),
          label,
        ).toEqual(best.map((c) => c.candidate.voterId));
        inDatabase.candidates.forEach((c, i) => {
          expect(c.probability, label).toBeCloseTo(best[i]!.probability, 12);
          expect(c.breakdown, label).toEqual(best[i]!.breakdown);
        });
      }
    }
    expect([...outcomes].sort()).toEqual(['ambiguous', 'matched', 'no_match']);
  });

  it('rematches every contact in SQL with the same decisions and scores as the lookups', async () => {
    for (const s of supporters) await lookup(s);
    const before = await sql<{ contact_id: string; state: string; voter_id: string | null; score: number | null }>`
      select contact_id, state, voter_id, score from voter_matches order by contact_id`.execute(handle.db);
    const unchanged = await rematchVoters(handle.db, {
      postgresUrl: url,
      thresholds: { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold },
    });
    // The six French supporters are not the (US) file's: the lookups answered no match, the rematch skips them.
    const french = frenchContacts(supporters);
    expect(french.size).toBe(6);
    expect(unchanged).toMatchObject({
      contacts: 44,
      matched: 18,
      ambiguous: 1,
      noMatch: 25,
      changes: { new_match: 0, moved: 0, updated: 0, dropped: 0, other_voter: 0 },
    });
    expect(unchanged.changedContactIds).toEqual([]);
    // Forget every decision: the set-based rematch decides everyone afresh, as the lookups did.
    await sql`delete from voter_matches`.execute(handle.db);
    const fresh = await rematchVoters(handle.db, {
      postgresUrl: url,
      thresholds: { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold },
      pageSize: 7,
    });
    expect(fresh.changes.new_match).toBe(18);
    const after = await sql<{ contact_id: string; state: string; voter_id: string | null; score: number | null }>`
      select contact_id, state, voter_id, score from voter_matches order by contact_id`.execute(handle.db);
    const considered = before.rows.filter((r) => !french.has(r.contact_id));
    expect(after.rows.map((r) => [r.contact_id, r.state, r.voter_id])).toEqual(
      considered.map((r) => [r.contact_id, r.state, r.voter_id]),
    );
    after.rows.forEach((r, i) => expect(r.score ?? 0).toBeCloseTo(considered[i]!.score ?? 0, 9));
  });

  it('keys a contact again when its signup changed since the last rematch, and no other', async () => {
    const thresholds = { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold };
    const dana = contactKey('dana.ruiz@example.org');
    const rosa = contactKey('rosa.retry@example.org');
    const { rows: keyed } = await sql<{
      n: number;
    }>`select count(*)::int as n from voter_contact_keys where signup_hash is not null`.execute(handle.db);
    expect(keyed[0]!.n).toBeGreaterThan(0);
    const { rows: original } = await sql<{ signup: unknown }>`select signup from contacts where id = ${dana}`.execute(
      handle.db,
    );
    // Dana's signup now reads as Rosa's: her stored keys no longer fit it, so the rematch keys her again and matches.
    await sql`update contacts set signup = (select signup from contacts where id = ${rosa}) where id = ${dana}`.execute(
      handle.db,
    );
    const changed = await rematchVoters(handle.db, { postgresUrl: url, thresholds });
    expect(changed.changes.new_match).toBe(1);
    expect(changed.changedContactIds).toEqual([dana]);
    const { rows: keys } = await sql<{
      last_norm: string;
    }>`select last_norm from voter_contact_keys where contact_id = ${dana}`.execute(handle.db);
    expect(keys).toEqual([{ last_norm: 'delgado' }]);
    // Put back as it was, decided afresh.
    await sql`update contacts set signup = ${JSON.stringify(original[0]!.signup)}::jsonb where id = ${dana}`.execute(
      handle.db,
    );
    await sql`delete from voter_matches where contact_id = ${dana}`.execute(handle.db);
    const back = await rematchVoters(handle.db, { postgresUrl: url, thresholds });
    expect(back).toMatchObject({ contacts: 44, matched: 18, ambiguous: 1, noMatch: 25 });
  });

  it('swaps in next month’s file atomically and records moves, drops and new matches as observations', async () => {
    const next = await editedDemoFile(
      (row) => {
        if (row.ncid === 'DU140937') return null; // Grace left the rolls
        if (row.ncid === 'DU132018') return { ...row, res_street_address: '77  ERWIN RD', precinct_abbrv: '05' }; // Priya moved
        if (row.ncid === 'CW775090') return { ...row, status_cd: 'R', voter_status_desc: 'REMOVED' }; // Emily removed
        if (row.ncid === 'EH402211') return { ...row, party_cd: 'UNA' }; // Rosa changed party
        return row;
      },
      [
        {
          county_id: '60',
          county_desc: 'MECKLENBURG',
          ncid: 'CW999001',
          last_name: 'HADDAD',
          first_name: 'OMAR',
          status_cd: 'A',
          res_street_address: '2214  PARK RD',
          res_city_desc: 'CHARLOTTE',
          state_cd: 'NC',
          zip_code: '28203',
          birth_year: '1976',
          party_cd: 'DEM',
          registr_dt: '01/15/2026',
        },
      ],
    );
    const imported = await importDemo(textOf(next), [], false);
    expect(imported.voters).toBe(2806);
    const { rows: active } = await sql<{
      id: string;
      state: string;
    }>`select id::text, state from voter_imports order by id`.execute(handle.db);
    expect(active.map((r) => r.state)).toEqual(['replaced', 'active']);
    // Without --history the votes already loaded stay.
    const { rows: votes } = await sql<{ n: number }>`select count(*)::int as n from voter_votes`.execute(handle.db);
    expect(votes[0]!.n).toBe(5584);

    const result = await rematchVoters(handle.db, {
      postgresUrl: url,
      thresholds: { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold },
    });
    expect(result.changes).toEqual({ new_match: 1, moved: 1, updated: 1, dropped: 2, other_voter: 0 });
    const omar = contactKey('omar.haddad@example.net');
    expect(result.changedContactIds).toContain(omar);
    const { rows: observations } = await sql<{
      contact_id: string;
      field: string;
      value: { kind?: string; voterId: string; status?: string };
    }>`
      select contact_id, field, value from observations where provider = 'voterfile' and workflow_id = 'voters-rematch'
         and run_id like ${`rematch:${imported.importId}:%`} order by id`.execute(handle.db);
    const changeOf = (email: string) =>
      observations.find((o) => o.contact_id === contactKey(email) && o.field === 'voter.change')?.value;
    expect(changeOf('omar.haddad@example.net')).toMatchObject({ kind: 'new_match', voterId: 'CW999001' });
    expect(changeOf('priya.primary@example.com')).toMatchObject({ kind: 'moved', voterId: 'DU132018' });
    expect(changeOf('grace.kim@example.com')).toMatchObject({ kind: 'dropped', voterId: 'DU140937' });
    expect(changeOf('emily.foster@example.net')).toMatchObject({ kind: 'dropped', voterId: 'CW775090' });
    expect(changeOf('rosa.retry@example.org')).toMatchObject({ kind: 'updated' });
    const graceVoter = observations.find(
      (o) => o.contact_id === contactKey('grace.kim@example.com') && o.field === 'voter',
    )?.value;
    expect(graceVoter).toMatchObject({ voterId: 'DU140937', status: 'dropped' });
    const { rows: lookups } = await sql<{
      outcome: string;
    }>`select outcome from lookups where contact_id = ${omar} and provider = 'voterfile'`.execute(handle.db);
    expect(lookups).toEqual([{ outcome: 'matched' }]);
    // A second rematch of the same file finds nothing new.
    const again = await rematchVoters(handle.db, {
      postgresUrl: url,
      thresholds: { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold },
    });
    expect(again.changedContactIds).toEqual([]);
  });

  it('leaves the live file untouched when an import cannot be read', async () => {
    const noNcid = 'county_id\tlast_name\tfirst_name\n1\tSMITH\tJOHN\n';
    await expect(importDemo(textOf(noNcid), [], false)).rejects.toBeInstanceOf(VoterFileError);
    const { rows } = await sql<{ state: string; n: number }>`
      select (select state from voter_imports order by id desc limit 1) as state, (select count(*)::int from voters) as n`.execute(
      handle.db,
    );
    expect(rows[0]).toEqual({ state: 'failed', n: 2806 });
    const { rows: leftovers } = await sql<{
      n: number;
    }>`select count(*)::int as n from pg_tables where tablename like '%\_load\_%'`.execute(handle.db);
    expect(leftovers[0]!.n).toBe(0);
  });

  it('finds a family name misspelt in the file through the ZIP’s similar names, and the rematch agrees', async () => {
    // DELVADO for DELGADO: one letter, another phonetic code (TLFT, not TLKT), so only the trigram stage finds Rosa.
    await importDemo(
      textOf(await editedDemoFile((row) => (row.ncid === 'EH402211' ? { ...row, last_name: 'DELVADO' } : row))),
      [],
      false,
    );
    const rosa = (await lookup(supporters.find((s) => s.email === 'rosa.retry@example.org')!)) as ProviderAnswer;
    expect(rosa.outcome).toBe('matched');
    expect(rosa.observations[0]).toMatchObject({
      value: { voterId: 'EH402211', scoreBreakdown: { lastName: { level: 'typo' } } },
    });
    const { rows: names } = await sql<{
      n: number;
    }>`select count(*)::int as n from voter_zip_names where zip5 = '27605' and name = 'delvado'`.execute(handle.db);
    expect(names[0]!.n).toBe(1);
    for (const s of supporters) await lookup(s);
    const before = await sql<{ contact_id: string; state: string; voter_id: string | null; score: number | null }>`
      select contact_id, state, voter_id, score from voter_matches order by contact_id`.execute(handle.db);
    await sql`delete from voter_matches`.execute(handle.db);
    const fresh = await rematchVoters(handle.db, {
      postgresUrl: url,
      thresholds: { high: THRESHOLDS.highThreshold, low: THRESHOLDS.lowThreshold },
    });
    expect(Object.keys(fresh.timings)).toEqual(expect.arrayContaining(['keys', 'scoring', 'decide', 'write']));
    const after = await sql<{ contact_id: string; state: string; voter_id: string | null; score: number | null }>`
      select contact_id, state, voter_id, score from voter_matches order by contact_id`.execute(handle.db);
    const french = frenchContacts(supporters);
    const considered = before.rows.filter((r) => !french.has(r.contact_id));
    expect(after.rows.map((r) => [r.contact_id, r.state, r.voter_id])).toEqual(
      considered.map((r) => [r.contact_id, r.state, r.voter_id]),
    );
    after.rows.forEach((r, i) => expect(r.score ?? 0).toBeCloseTo(considered[i]!.score ?? 0, 9));
    expect(after.rows.find((r) => r.contact_id === contactKey('rosa.retry@example.org'))).toMatchObject({
      state: 'matched',
      voter_id: 'EH402211',
    });
  });

  it('loads another layout through a JSON column mapping (an Ohio county file)', async () => {
    const mapping = parseVoterFileMapping(
      JSON.stringify({
        delimiter: ',',
        dateFormat: 'YYYY-MM-DD',
        state: 'OH',
        columns: {
          voterId: 'SOS_VOTERID',
          lastName: 'LAST_NAME',
          firstName: 'FIRST_NAME',
          middleName: 'MIDDLE_NAME',
          suffix: 'SUFFIX',
          birthDate: 'DATE_OF_BIRTH',
          registrationDate: 'REGISTRATION_DATE',
          status: 'VOTER_STATUS',
          party: 'PARTY_AFFILIATION',
          street: 'RESIDENTIAL_ADDRESS1',
          city: 'RESIDENTIAL_CITY',
          zip: 'RESIDENTIAL_ZIP',
          precinct: 'PRECINCT_CODE',
          county: 'COUNTY_NUMBER',
        },
        districts: {
          congressional: 'CONGRESSIONAL_DISTRICT',
          stateSenate: 'STATE_SENATE_DISTRICT',
          stateHouse: 'STATE_REPRESENTATIVE_DISTRICT',
        },
        statusValues: { ACTIVE: 'active', CONFIRMATION: 'inactive' },
      }),
    );
    const csv = [
      'SOS_VOTERID,COUNTY_NUMBER,LAST_NAME,FIRST_NAME,MIDDLE_NAME,SUFFIX,DATE_OF_BIRTH,REGISTRATION_DATE,VOTER_STATUS,PARTY_AFFILIATION,RESIDENTIAL_ADDRESS1,RESIDENTIAL_CITY,RESIDENTIAL_ZIP,PRECINCT_CODE,CONGRESSIONAL_DISTRICT,STATE_SENATE_DISTRICT,STATE_REPRESENTATIVE_DISTRICT',
      'OH0011102498,25,RUIZ,DANA,M,,1988-04-02,2010-09-14,ACTIVE,D,1187 NEIL AVE,COLUMBUS,43201,25-AAB,03,15,17',
      'OH0011102499,25,"LINDQVIST, SR",TOMAS,,,1969-01-30,1990-10-01,CONFIRMATION,,482 W MARKET ST,AKRON,44303,77-ACD,13,27,34',
      'OH0011102500,25,"BROKEN',
    ].join('\n');
    const rejects: VoterFileReject[] = [];
    const result = await importVoterFile({
      db: handle.db,
      postgresUrl: url,
      source: 'ohio.csv',
      format: 'csv',
      mapping,
      text: textOf(csv),
      onReject: (r) => void rejects.push(r),
    });
    expect(result).toMatchObject({ rows: 3, voters: 2, rejected: 1 });
    expect(rejects[0]).toMatchObject({ line: 4 });
    const dana = (await lookup(supporters.find((s) => s.email === 'dana.ruiz@example.org')!)) as ProviderAnswer;
    expect(dana.observations[0]).toMatchObject({
      value: {
        voterId: 'OH0011102498',
        party: 'D',
        registrationDate: '2010-09-14',
        districts: { congressional: '03' },
      },
    });
    const tomas = (await lookup(supporters.find((s) => s.email === 'tomas.lindqvist@example.net')!)) as ProviderAnswer;
    expect(tomas.observations[0]).toMatchObject({ value: { voterId: 'OH0011102499', status: 'inactive' } });
  });
});
