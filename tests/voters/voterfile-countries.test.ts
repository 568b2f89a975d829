import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LookupError } from '../../activities/providers/lookup-error.js';
import type { ProviderAnswer } from '../../activities/providers/provider.js';
import { createVoterfileProvider, matchVoter, voterLookupKeys } from '../../activities/providers/voterfile.js';
import { decodeText } from '../../domain/decode-text.js';
import { contactKeyFor } from '../../domain/contact-key.js';
import { buildEnrichContactInput } from '../../client/start-enrichment.js';
import type { Config } from '../../config.js';
import { countryOfAddress } from '../../schemas/address-country.js';
import type { LookupInput } from '../../schemas/lookup.js';
import type { Signup } from '../../schemas/signup.js';
import { upsertContact } from '../../store/contacts.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { importVoterFile, type VoterFileReject } from '../../store/voters/import-voter-file.js';
import { rematchVoters } from '../../store/voters/rematch-voters.js';
import { NCVOTER_MAPPING, parseVoterFileMapping, VoterFileError } from '../../store/voters/voter-file-format.js';
import { matchVoterInDatabase } from '../../store/voters/voter-lookups.js';
import { withVoterTables } from '../../store/voters/voter-tables.js';
import { stageOneInput } from '../../workflows/lookup-plan.js';
import { testConfig } from '../support/test-config.js';
import { STORE_BACKENDS } from '../support/store-backends.js';

/** A French liste électorale as a mapping reads it (docs/voter-file.md, *Other layouts*): `;`, day-first dates, every row in FR. */
const FRENCH_MAPPING = {
  delimiter: ';',
  dateFormat: 'DD/MM/YYYY',
  state: 'FR',
  country: 'FR',
  columns: {
    voterId: 'ine',
    lastName: 'nom',
    firstName: 'prenoms',
    birthDate: 'date_naissance',
    street: 'adresse',
    zip: 'code_postal',
    city: 'commune',
    precinct: 'bureau_vote',
  },
};

const FAMILY_NAMES = [
  'BERNARD',
  'THOMAS',
  'PETIT',
  'ROBERT',
  'RICHARD',
  'DURAND',
  'MOREAU',
  'LAURENT',
  'SIMON',
  'LEROY',
  'ROUX',
  'DAVID',
  'BERTRAND',
  'MOREL',
  'FOURNIER',
  'GIRARD',
  'BONNET',
  'DUPONT',
  'LAMBERT',
  'FONTAINE',
  'ROUSSEAU',
  'VINCENT',
  'MULLER',
  'FAURE',
  'ANDRÉ',
  'MERCIER',
  'BLANC',
  'GUÉRIN',
  'BOYER',
  'GARNIER',
  'CHEVALIER',
  'LEGRAND',
  'GAUTHIER',
  'GARCIA',
  'PERRIN',
  'ROBIN',
  'CLÉMENT',
  'MORIN',
  'NICOLAS',
  'HENRY',
];
const GIVEN_NAMES = [
  'JEAN',
  'MARIE',
  'PIERRE',
  'NATHALIE',
  'ISABELLE',
  'PHILIPPE',
  'SYLVIE',
  'ALAIN',
  'CATHERINE',
  'NICOLAS',
  'SANDRINE',
  'CHRISTOPHE',
  'VALÉRIE',
  'STÉPHANE',
  'SOPHIE',
  'LAURENT',
  'CÉLINE',
  'JULIEN',
  'AURÉLIE',
  'THOMAS',
  'ÉMILIE',
  'ANTOINE',
  'CHLOÉ',
  'LUCAS',
  'MANON',
];
const COMMUNES = [
  ['80000', 'AMIENS'],
  ['75011', 'PARIS'],
  ['69003', 'LYON'],
  ['13001', 'MARSEILLE'],
  ['33000', 'BORDEAUX'],
  ['59000', 'LILLE'],
  ['31000', 'TOULOUSE'],
  ['44000', 'NANTES'],
] as const;
const STREETS = [
  'RUE DE LA PAIX',
  'RUE VICTOR HUGO',
  'AVENUE JEAN JAURÈS',
  'PLACE DE LA RÉPUBLIQUE',
  'BOULEVARD PASTEUR',
];

/** 1,000 other voters (common French names across eight communes), so names and places are as rare as in a real list. */
const OTHER_VOTERS = Array.from({ length: FAMILY_NAMES.length * GIVEN_NAMES.length }, (_, i) => {
  const [postalCode, commune] = COMMUNES[(i * 7 + Math.floor(i / FAMILY_NAMES.length)) % COMMUNES.length]!;
  const born = `${String(1 + (i % 28)).padStart(2, '0')}/${String(1 + (i % 12)).padStart(2, '0')}/${1940 + ((i * 13) % 65)}`;
  const given = GIVEN_NAMES[Math.floor(i / FAMILY_NAMES.length)]!;
  return `${200000000 + i};${FAMILY_NAMES[i % FAMILY_NAMES.length]};${given};${born};${1 + (i % 90)} ${STREETS[i % STREETS.length]};${postalCode};${commune};${String(i % 20).padStart(4, '0')}`;
});

/** UTF-8, accents as the mairie writes them; two HÉLÈNE LEFÈVREs in Amiens (one written without accents). */
const FRENCH_LIST = [
  'ine;nom;prenoms;date_naissance;adresse;code_postal;commune;bureau_vote',
  '100000001;LEFÈVRE;HÉLÈNE MARIE;14/03/1979;12 RUE DES LILAS;80000;AMIENS;0012',
  '100000002;LEFEVRE;HELENE;02/11/1952;3 PLACE GAMBETTA;80000;AMIENS;0003',
  '100000003;MARTIN;CAMILLE;21/06/1990;8 BOULEVARD DU PORT;80000;AMIENS;0007',
  '100000004;GARÇON;FRANÇOIS XAVIER;09/09/1985;27 RUE OBERKAMPF;75011;PARIS;1104',
  '100000005;DUBOIS;ÉLODIE;30/01/1971;5 ALLÉE DES CHÊNES;69003;LYON;0301',
  ...OTHER_VOTERS,
  '',
].join('\n');

const helene: Signup = {
  email: 'helene.lefevre@example.fr',
  givenName: 'Hélène',
  familyName: 'Lefèvre',
  birthYear: 1979,
  postalAddress: { lines: ['12 rue des Lilas'], postalCode: '80000', locality: 'Amiens', country: 'FR' },
};
/** Typed without accents, a commune and no code postal, and no country: JURISDICTION=FR makes it French. */
const francois: Signup = {
  email: 'francois.garcon@example.fr',
  givenName: 'Francois',
  familyName: 'Garcon',
  postalAddress: { locality: 'Paris' },
};
/** `bd` for `BOULEVARD`, a country-less code postal: matched on name and code postal. */
const camille: Signup = {
  email: 'camille.martin@example.fr',
  givenName: 'Camille',
  familyName: 'Martin',
  postalAddress: { lines: ['8 bd du Port'], postalCode: '80000', locality: 'Amiens' },
};
const SIGNUPS = [helene, francois, camille];

describe('the voter file of a French organisation (VOTERFILE_COUNTRIES=FR, JURISDICTION=FR) on Postgres', () => {
  let testDb: TestDatabase;
  let handle: DatabaseHandle;
  const frConfig = testConfig({ JURISDICTION: 'FR', VOTERFILE_COUNTRIES: 'FR' });

  /** The voter-file input the workflow plans for this signup, from the input the client builds with this configuration. */
  const plannedInput = (config: Config, signup: Signup): LookupInput | undefined => {
    const input = buildEnrichContactInput(
      config,
      contactKeyFor(signup.email, config.pseudonymKey),
      signup,
      new Date('2026-11-01T12:00:00Z'),
    );
    return stageOneInput('voterfile', input.contactKey, input.signup, { voterfileCountries: input.voterfileCountries });
  };
  const lookup = (input: LookupInput): Promise<ProviderAnswer | LookupError> =>
    createVoterfileProvider(handle.db, frConfig.voterfile)
      .lookup(input)
      .catch((err: unknown) => {
        if (err instanceof LookupError) return err;
        throw err;
      });
  const voterOf = (answer: ProviderAnswer | LookupError) => {
    if (answer instanceof LookupError) throw answer;
    expect(answer.outcome).toBe('matched');
    return answer.observations[0]?.value as {
      voterId: string;
      precinct: string;
      matchScore: number;
      scoreBreakdown: Record<string, { level: string }>;
    };
  };

  beforeAll(async () => {
    testDb = await createTestDatabase();
    handle = await openDatabase({ url: testDb.url, pgliteDir: 'unused', poolSize: 4 });
    await migrateToLatest(handle.db);
    for (const signup of SIGNUPS) {
      const id = contactKeyFor(signup.email, frConfig.pseudonymKey);
      await upsertContact(handle.db, { id, workflowId: `enrich-contact:${id}`, signup });
    }
    const rejects: VoterFileReject[] = [];
    const result = await importVoterFile({
      db: handle.db,
      postgresUrl: testDb.url,
      source: 'liste-electorale.csv',
      format: 'csv',
      mapping: parseVoterFileMapping(JSON.stringify(FRENCH_MAPPING)),
      text: decodeText(Readable.from([Buffer.from(FRENCH_LIST, 'utf8')]), { encoding: 'utf-8' }),
      onReject: (r) => void rejects.push(r),
    });
    expect(rejects).toEqual([]);
    expect(result).toMatchObject({ rows: 1005, voters: 1005, rejected: 0, missingColumns: [] });
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  it('matches Hélène Lefèvre to her registration by folded name, code postal, street and birth year, not her namesake', async () => {
    const input = plannedInput(frConfig, helene);
    expect(input).toMatchObject({
      givenName: 'Hélène',
      familyName: 'Lefèvre',
      birthYear: 1979,
      postalAddress: { postalCode: '80000' },
    });
    const voter = voterOf(await lookup(input!));
    expect(voter).toMatchObject({ voterId: '100000001', precinct: '0012' });
    expect(voter.matchScore).toBeGreaterThanOrEqual(frConfig.voterfile.highThreshold);
    // `Hélène` = `HÉLÈNE MARIE` and `Lefèvre` = `LEFÈVRE` once folded; `12 rue des Lilas` in 80000 = the registered address.
    expect(voter.scoreBreakdown).toMatchObject({
      firstName: { level: 'exact' },
      lastName: { level: 'exact' },
      address: { level: 'exact' },
      birthYear: { level: 'exact' },
    });
  });

  it('matches a signup typed without accents or a country by its commune alone', async () => {
    const input = plannedInput(frConfig, francois);
    expect(input?.postalAddress).toEqual({ locality: 'Paris', country: 'FR' });
    expect(voterOf(await lookup(input!))).toMatchObject({
      voterId: '100000004',
      precinct: '1104',
      scoreBreakdown: { firstName: { level: 'exact' }, lastName: { level: 'exact' }, address: { level: 'city' } },
    });
  });

  it('matches a country-less five-digit code postal as French when JURISDICTION=FR', async () => {
    const input = plannedInput(frConfig, camille);
    expect(input?.postalAddress).toMatchObject({ postalCode: '80000', country: 'FR' });
    // Today `bd` is not read as `BOULEVARD` (the street-type words are American), so the name and code postal carry it.
    expect(voterOf(await lookup(input!))).toMatchObject({ voterId: '100000003' });
  });

  it('plans no French lookup with the default VOTERFILE_COUNTRIES (US), as before the setting', () => {
    const usDefault = testConfig({});
    expect(plannedInput(usDefault, helene)).toBeUndefined();
    expect(plannedInput(testConfig({ JURISDICTION: 'FR' }), francois)).toBeUndefined();
    // Without JURISDICTION a country-less five-digit code is taken for a US ZIP: FR alone does not look it up.
    expect(plannedInput(testConfig({ VOTERFILE_COUNTRIES: 'FR' }), camille)).toBeUndefined();
  });

  it('records the list as French', async () => {
    const file = await withVoterTables(handle.db)
      .selectFrom('voter_imports')
      .select('country')
      .where('state', '=', 'active')
      .executeTakeFirstOrThrow();
    expect(file.country).toBe('FR');
  });

  it('rematches a French contact against the list and skips a US one whose ZIP is one of its codes postaux', async () => {
    const elodie: Signup = {
      email: 'elodie.dubois@example.fr',
      givenName: 'Élodie',
      familyName: 'Dubois',
      birthYear: 1971,
      postalAddress: { lines: ['5 allée des Chênes'], postalCode: '69003', locality: 'Lyon', country: 'FR' },
    };
    // JEAN BERNARD, born 1940, is on the list at 1 RUE DE LA PAIX, 80000 AMIENS; this Jean Bernard lives in a US ZIP 80000.
    const jean: Signup = {
      email: 'jean.bernard@example.com',
      givenName: 'Jean',
      familyName: 'Bernard',
      birthYear: 1940,
      postalAddress: { lines: ['1 Rue de la Paix'], postalCode: '80000', country: 'US' },
    };
    const keys = voterLookupKeys({ contactKey: 'x', ...jean })!;
    const thresholds = { high: frConfig.voterfile.highThreshold, low: frConfig.voterfile.lowThreshold };
    // Without its country the name and code would be taken for the French voter's.
    expect((await matchVoter(withVoterTables(handle.db), keys, thresholds, undefined)).decision.outcome).toBe(
      'matched',
    );
    const ids = {
      elodie: contactKeyFor(elodie.email, frConfig.pseudonymKey),
      jean: contactKeyFor(jean.email, frConfig.pseudonymKey),
    };
    for (const [id, signup] of [
      [ids.elodie, elodie],
      [ids.jean, jean],
    ] as const)
      await upsertContact(handle.db, { id, workflowId: `enrich-contact:${id}`, signup });

    const result = await rematchVoters(handle.db, { postgresUrl: testDb.url, thresholds });
    // Hélène, François and Camille keep the voters their lookups matched; Jean is skipped (his country is not the list's).
    expect(result).toMatchObject({ skipped: 1, changes: { new_match: 1, dropped: 0 } });
    expect(result.changedContactIds).toEqual([ids.elodie]);
    const { rows } = await sql<{ contact_id: string; state: string; voter_id: string | null }>`
      select contact_id, state, voter_id from voter_matches where contact_id in (${ids.elodie}, ${ids.jean})`.execute(
      handle.db,
    );
    expect(rows).toEqual([{ contact_id: ids.elodie, state: 'matched', voter_id: '100000005' }]);
    const { rows: keyed } = await sql<{
      contact_id: string;
    }>`select contact_id from voter_contact_keys where contact_id = ${ids.jean}`.execute(handle.db);
    expect(keyed).toEqual([]);
  });
});

describe('the country of a voter file mapping', () => {
  it('is upper-cased, US when not named, and refused when not an ISO 3166-1 alpha-2 code', () => {
    const columns = { voterId: 'id', lastName: 'nom' };
    expect(parseVoterFileMapping(JSON.stringify({ country: ' fr ', columns })).country).toBe('FR');
    expect(parseVoterFileMapping(JSON.stringify({ columns })).country).toBeUndefined();
    expect(NCVOTER_MAPPING.country).toBe('US');
    for (const country of ['France', 'F', 'F1', 33]) {
      const parse = () => parseVoterFileMapping(JSON.stringify({ ...FRENCH_MAPPING, country }));
      expect(parse).toThrow(VoterFileError);
      expect(parse).toThrow(/^the mapping's country: /);
    }
  });
});

describe.each(STORE_BACKENDS)('a US voter file and French signups (VOTERFILE_COUNTRIES=US,FR) on $name', ({ open }) => {
  let handle: DatabaseHandle;
  let url: string | undefined;
  let cleanup: () => Promise<void>;
  const config = testConfig({ VOTERFILE_COUNTRIES: 'US,FR' });
  const thresholds = { high: config.voterfile.highThreshold, low: config.voterfile.lowThreshold };
  const idOf = (signup: Signup) => contactKeyFor(signup.email, config.pseudonymKey);
  /** The demo file's PRIYA RAMAN (508 NINTH ST, 27705) and VIKRAM RAMAN (2204 ERWIN RD, 27705). */
  const priya: Signup = {
    email: 'priya.primary@example.com',
    givenName: 'Priya',
    familyName: 'Raman',
    birthYear: 1991,
    postalAddress: { lines: ['508 Ninth St'], postalCode: '27705', locality: 'Durham', region: 'NC', country: 'US' },
  };
  const vikram: Signup = {
    email: 'vikram.raman@example.com',
    givenName: 'Vikram',
    familyName: 'Raman',
    birthYear: 1988,
    postalAddress: { lines: ['2204 Erwin Rd'], postalCode: '27705', locality: 'Durham', region: 'NC', country: 'US' },
  };
  /** A Frenchwoman named as the demo file's RENÉE BÉLANGER (born 1969, ZIP 27511), her code postal that ZIP. */
  const renee: Signup = {
    email: 'renee.belanger@example.fr',
    givenName: 'Renée',
    familyName: 'Bélanger',
    birthYear: 1969,
    postalAddress: { postalCode: '27511', locality: 'Évreux', country: 'FR' },
  };
  const plannedInput = (signup: Signup): LookupInput => {
    const input = buildEnrichContactInput(config, idOf(signup), signup, new Date('2026-11-01T12:00:00Z'));
    return stageOneInput('voterfile', input.contactKey, input.signup, {
      voterfileCountries: input.voterfileCountries,
    })!;
  };

  beforeAll(async () => {
    ({ handle, url, cleanup } = await open());
    await migrateToLatest(handle.db);
    for (const signup of [priya, vikram, renee])
      await upsertContact(handle.db, { id: idOf(signup), workflowId: `enrich-contact:${idOf(signup)}`, signup });
    await importVoterFile({
      db: handle.db,
      postgresUrl: url,
      source: 'ncvoter-demo.txt',
      format: 'ncvoter',
      mapping: NCVOTER_MAPPING,
      text: decodeText(createReadStream('demo/data/ncvoter-demo.txt'), { encoding: 'utf-8' }),
    });
  });
  afterAll(async () => {
    await cleanup?.();
  });

  const matchOf = async (signup: Signup) =>
    (
      await sql<{ state: string; voter_id: string | null; import_id: string | null }>`
        select state, voter_id, import_id::text as import_id from voter_matches where contact_id = ${idOf(signup)}`.execute(
        handle.db,
      )
    ).rows[0];

  it("gives a French signup no match, though its name and code postal are a US voter's name and ZIP", async () => {
    const file = await withVoterTables(handle.db)
      .selectFrom('voter_imports')
      .select(['id', 'country'])
      .where('state', '=', 'active')
      .executeTakeFirstOrThrow();
    expect(file.country).toBe('US');
    const input = plannedInput(renee);
    expect(input.postalAddress).toMatchObject({ postalCode: '27511', country: 'FR' });
    const keys = voterLookupKeys(input)!;
    const voters = withVoterTables(handle.db);
    // The JavaScript reference: without the country (unknown) the two would be taken for one person.
    const unknown = (await matchVoter(voters, keys, thresholds, undefined)).decision;
    expect(unknown.outcome).toBe('matched');
    expect((await matchVoter(voters, keys, thresholds, countryOfAddress(input.postalAddress))).decision).toEqual({
      outcome: 'no_match',
      ranked: [],
    });

    const answer = await createVoterfileProvider(handle.db, config.voterfile).lookup(input);
    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    // Recorded as a lookup with no candidate is: no match, against the active file.
    expect(await matchOf(renee)).toEqual({ state: 'no_match', voter_id: null, import_id: String(file.id) });
  });

  it('still matches a US signup, with its country or without one', async () => {
    const answer = await createVoterfileProvider(handle.db, config.voterfile).lookup(plannedInput(priya));
    expect(answer.outcome).toBe('matched');
    expect(await matchOf(priya)).toMatchObject({ state: 'matched', voter_id: 'DU132018' });
    const keys = voterLookupKeys(plannedInput(priya))!;
    const inDatabase = await matchVoterInDatabase(
      withVoterTables(handle.db),
      idOf(priya),
      keys,
      thresholds,
      'lookup',
      undefined,
    );
    expect(inDatabase).toMatchObject({ outcome: 'matched', recorded: { facts: { voterId: 'DU132018' } } });
  });

  it('rematches US contacts against the US file and skips the French one', async () => {
    const result = await rematchVoters(handle.db, { postgresUrl: url, thresholds });
    // Priya keeps her voter; Vikram is matched; Renée is skipped and keeps her no match.
    expect(result).toMatchObject({ skipped: 1, changes: { new_match: 1, dropped: 0 } });
    expect(result.changedContactIds).toEqual([idOf(vikram)]);
    expect(await matchOf(vikram)).toMatchObject({ state: 'matched' });
    expect(await matchOf(renee)).toMatchObject({ state: 'no_match' });
    const { rows } = await sql<{ contact_id: string }>`select contact_id from voter_contact_keys`.execute(handle.db);
    expect(rows.map((r) => r.contact_id)).toEqual([idOf(vikram)]);
  });

  it('drops the US contacts matched before once a French list replaces the file, as when their keys are gone', async () => {
    await importVoterFile({
      db: handle.db,
      postgresUrl: url,
      source: 'liste-electorale.csv',
      format: 'csv',
      mapping: parseVoterFileMapping(JSON.stringify(FRENCH_MAPPING)),
      text: decodeText(Readable.from([Buffer.from(FRENCH_LIST, 'utf8')]), { encoding: 'utf-8' }),
    });
    const result = await rematchVoters(handle.db, { postgresUrl: url, thresholds });
    // Priya and Vikram are skipped (their voters left with the US file); Renée is considered: not on the list.
    expect(result).toMatchObject({
      contacts: 3,
      skipped: 2,
      matched: 0,
      noMatch: 3,
      changes: { new_match: 0, dropped: 2 },
    });
    expect(result.changedContactIds).toEqual([idOf(priya), idOf(vikram)].sort());
    expect(await matchOf(priya)).toMatchObject({ state: 'no_match', voter_id: null });
    expect(await matchOf(vikram)).toMatchObject({ state: 'no_match', voter_id: null });
    const { rows } = await sql<{ contact_id: string }>`select contact_id from voter_contact_keys`.execute(handle.db);
    expect(rows.map((r) => r.contact_id)).toEqual([idOf(renee)]);
  });
});
