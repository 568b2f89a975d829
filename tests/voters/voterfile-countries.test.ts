import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LookupError } from '../../activities/providers/lookup-error.js';
import type { ProviderAnswer } from '../../activities/providers/provider.js';
import { createVoterfileProvider } from '../../activities/providers/voterfile.js';
import { decodeText } from '../../client/backfill/decode-text.js';
import { contactKeyFor } from '../../client/contact-key.js';
import { buildEnrichContactInput } from '../../client/start-enrichment.js';
import type { Config } from '../../config.js';
import type { LookupInput } from '../../schemas/lookup.js';
import type { Signup } from '../../schemas/signup.js';
import { upsertContact } from '../../store/contacts.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../store/open-database.js';
import { importVoterFile, type VoterFileReject } from '../../store/voters/import-voter-file.js';
import { parseVoterFileMapping } from '../../store/voters/voter-file-format.js';
import { stageOneInput } from '../../workflows/lookup-plan.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { testConfig } from '../support/test-config.js';

/** A French liste électorale as a mapping reads it (README, *Voter file*): `;`, day-first dates, every row in FR. */
const FRENCH_MAPPING = {
  delimiter: ';',
  dateFormat: 'DD/MM/YYYY',
  state: 'FR',
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

const FAMILY_NAMES = ['BERNARD', 'THOMAS', 'PETIT', 'ROBERT', 'RICHARD', 'DURAND', 'MOREAU', 'LAURENT', 'SIMON', 'LEROY', 'ROUX', 'DAVID',
  'BERTRAND', 'MOREL', 'FOURNIER', 'GIRARD', 'BONNET', 'DUPONT', 'LAMBERT', 'FONTAINE', 'ROUSSEAU', 'VINCENT', 'MULLER', 'FAURE', 'ANDRÉ',
  'MERCIER', 'BLANC', 'GUÉRIN', 'BOYER', 'GARNIER', 'CHEVALIER', 'LEGRAND', 'GAUTHIER', 'GARCIA', 'PERRIN', 'ROBIN', 'CLÉMENT', 'MORIN',
  'NICOLAS', 'HENRY'];
const GIVEN_NAMES = ['JEAN', 'MARIE', 'PIERRE', 'NATHALIE', 'ISABELLE', 'PHILIPPE', 'SYLVIE', 'ALAIN', 'CATHERINE', 'NICOLAS', 'SANDRINE',
  'CHRISTOPHE', 'VALÉRIE', 'STÉPHANE', 'SOPHIE', 'LAURENT', 'CÉLINE', 'JULIEN', 'AURÉLIE', 'THOMAS', 'ÉMILIE', 'ANTOINE', 'CHLOÉ', 'LUCAS', 'MANON'];
const COMMUNES = [['80000', 'AMIENS'], ['75011', 'PARIS'], ['69003', 'LYON'], ['13001', 'MARSEILLE'], ['33000', 'BORDEAUX'], ['59000', 'LILLE'],
  ['31000', 'TOULOUSE'], ['44000', 'NANTES']] as const;
const STREETS = ['RUE DE LA PAIX', 'RUE VICTOR HUGO', 'AVENUE JEAN JAURÈS', 'PLACE DE LA RÉPUBLIQUE', 'BOULEVARD PASTEUR'];

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
const francois: Signup = { email: 'francois.garcon@example.fr', givenName: 'Francois', familyName: 'Garcon', postalAddress: { locality: 'Paris' } };
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
    const input = buildEnrichContactInput(config, contactKeyFor(signup.email, config.pseudonymKey), signup, new Date('2026-11-01T12:00:00Z'));
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
    return answer.observations[0]?.value as { voterId: string; precinct: string; matchScore: number; scoreBreakdown: Record<string, { level: string }> };
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
    expect(input).toMatchObject({ givenName: 'Hélène', familyName: 'Lefèvre', birthYear: 1979, postalAddress: { postalCode: '80000' } });
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
});
