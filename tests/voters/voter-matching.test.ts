import { describe, expect, it } from 'vitest';
import { levenshtein } from '../../domain/voter-matching/levenshtein.js';
import { areNicknames, nicknameRows } from '../../domain/voter-matching/nicknames.js';
import {
  familyNameKey,
  foldWords,
  givenNameKey,
  localityKey,
  matchKeys,
  streetKeys,
  supporterMatchKeys,
  zip5,
  type MatchKeys,
} from '../../domain/voter-matching/normalise.js';
import { phoneticCode } from '../../domain/voter-matching/phonetic.js';
import {
  addressLevel,
  birthYearLevel,
  decideMatch,
  firstNameLevel,
  lastNameLevel,
  scoreCandidate,
  type CandidateFrequencies,
} from '../../domain/voter-matching/score.js';
import {
  MAX_VOTES_LISTED,
  roundedBreakdown,
  voterObservationValue,
} from '../../domain/voter-matching/voter-observation.js';

const keys = (person: Parameters<typeof matchKeys>[0]): MatchKeys => matchKeys(person);

describe('voter match keys', () => {
  it('folds accents, case and punctuation the same way on both sides', () => {
    expect(foldWords('  Chloé  O’Neil-Dubois ')).toEqual(['chloe', 'oneil', 'dubois']);
    expect(foldWords('MUÑOZ')).toEqual(['munoz']);
    expect(foldWords('Strauß Łukasz')).toEqual(['strauss', 'lukasz']);
    expect(foldWords('')).toEqual([]);
  });

  it('keeps the first given name and joins family names without a generational suffix', () => {
    expect(givenNameKey('Mary Ann')).toBe('mary');
    expect(givenNameKey('J. Robert')).toBe('j');
    expect(familyNameKey('De La Cruz')).toBe(familyNameKey('DELACRUZ'));
    expect(familyNameKey('Smith Jr.')).toBe('smith');
    expect(familyNameKey('Jr')).toBe('jr');
  });

  it('splits an address line into house number and street core', () => {
    expect(streetKeys('482 W Market St')).toEqual({ houseNumber: '482', streetCore: 'market' });
    expect(streetKeys('482  MARKET STREET  APT 2')).toEqual({ houseNumber: '482', streetCore: 'market' });
    expect(streetKeys('508 Ninth St')).toEqual(streetKeys('508 9TH ST'));
    expect(streetKeys('2214-B Park Rd # 4')).toEqual({ houseNumber: '2214', streetCore: 'park' });
    expect(streetKeys('100 Avenue Rd')).toEqual({ houseNumber: '100', streetCore: 'avenue rd' });
    expect(streetKeys('14 rue Paul Bert')).toEqual({ houseNumber: '14', streetCore: 'rue paul bert' });
    expect(streetKeys('PO Box 12')).toEqual({ streetCore: 'po box 12' });
    expect(streetKeys(undefined)).toEqual({});
  });

  it('reads ZIP5 and localities', () => {
    expect(zip5('27705-1234')).toBe('27705');
    expect(zip5('2770')).toBeUndefined();
    expect(localityKey('Saint  Paul')).toBe('st paul');
    expect(localityKey('  ')).toBeUndefined();
  });

  it('needs a given name, a family name and a ZIP or locality to match a supporter', () => {
    expect(supporterMatchKeys({ givenName: 'Dana', familyName: 'Ruiz', postalCode: '43201' })).toBeDefined();
    expect(supporterMatchKeys({ givenName: 'Dana', familyName: 'Ruiz', locality: 'Columbus' })).toBeDefined();
    expect(supporterMatchKeys({ givenName: 'Dana', familyName: 'Ruiz' })).toBeUndefined();
    expect(supporterMatchKeys({ familyName: 'Ruiz', postalCode: '43201' })).toBeUndefined();
  });
});

describe('phoneticCode', () => {
  it('gives names that sound alike the same code', () => {
    expect(phoneticCode('smith')).toBe(phoneticCode('smyth'));
    expect(phoneticCode('catherine')).toBe(phoneticCode('kathryn'));
    expect(phoneticCode('gonzalez')).toBe(phoneticCode('gonsales'));
    expect(phoneticCode('knight')).toBe(phoneticCode('night'));
    expect(phoneticCode('philips')).toBe(phoneticCode('fillips'));
    expect(phoneticCode('browne')).toBe(phoneticCode('brown'));
  });

  it('keeps different names apart and handles the empty name', () => {
    expect(phoneticCode('smith')).not.toBe(phoneticCode('jones'));
    expect(phoneticCode('ruiz')).not.toBe(phoneticCode('ramos'));
    expect(phoneticCode('')).toBe('');
    expect(phoneticCode('abernathy')).toMatch(/^A/);
    expect(phoneticCode('abcdefghijklmnopqrstuvwxyz').length).toBeLessThanOrEqual(6);
  });
});

describe('nicknames and edit distance', () => {
  it('knows common nicknames both ways, and a name is not its own nickname', () => {
    expect(areNicknames('bill', 'william')).toBe(true);
    expect(areNicknames('william', 'bill')).toBe(true);
    expect(areNicknames('terry', 'terrence')).toBe(true);
    expect(areNicknames('al', 'alexander')).toBe(true);
    expect(areNicknames('bill', 'robert')).toBe(false);
    expect(areNicknames('bill', 'bill')).toBe(false);
    expect(nicknameRows().filter((r) => r.name === 'al').length).toBeGreaterThan(2);
  });

  it('computes Levenshtein distance as fuzzystrmatch does', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('smith', 'smiht')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });
});

const FREQ: CandidateFrequencies = {
  population: 1_000_000,
  firstName: 5_000,
  lastName: 2_000,
  zip: 20_000,
  locality: 60_000,
};

describe('scoreCandidate', () => {
  const dana = keys({
    givenName: 'Dana',
    familyName: 'Ruiz',
    street: '1187 Neil Ave',
    postalCode: '43201',
    locality: 'Columbus',
    birthYear: 1988,
  });

  it('names the level of each comparison', () => {
    const voter = (p: Parameters<typeof matchKeys>[0]) =>
      keys({
        givenName: 'Dana',
        familyName: 'Ruiz',
        street: '1187 Neil Ave',
        postalCode: '43201',
        locality: 'Columbus',
        birthYear: 1988,
        ...p,
      });
    expect(firstNameLevel(dana, voter({}))).toBe('exact');
    expect(firstNameLevel(keys({ givenName: 'Bill' }), keys({ givenName: 'William' }))).toBe('nickname');
    expect(firstNameLevel(keys({ givenName: 'Ann' }), keys({ givenName: 'Mary', middleName: 'Ann' }))).toBe('middle');
    expect(firstNameLevel(dana, voter({ givenName: 'Dona' }))).toBe('typo');
    expect(firstNameLevel(dana, voter({ givenName: 'D' }))).toBe('initial');
    expect(firstNameLevel(dana, voter({ givenName: 'Maria' }))).toBe('mismatch');
    expect(firstNameLevel(keys({}), voter({}))).toBe('unknown');
    expect(lastNameLevel(dana, voter({ familyName: 'Ruis' }))).toBe('typo');
    expect(lastNameLevel(dana, voter({ familyName: 'Rodriguez' }))).toBe('mismatch');
    expect(addressLevel(dana, voter({}))).toBe('exact');
    expect(addressLevel(dana, voter({ street: '1190 Neil Ave' }))).toBe('street');
    expect(addressLevel(dana, voter({ street: '12 High St' }))).toBe('zip');
    expect(addressLevel(dana, voter({ street: '12 High St', postalCode: '43215' }))).toBe('city');
    expect(addressLevel(dana, voter({ street: '12 High St', postalCode: '44113', locality: 'Cleveland' }))).toBe(
      'none',
    );
    expect(addressLevel(keys({ givenName: 'Dana' }), voter({}))).toBe('unknown');
    expect(birthYearLevel(dana, voter({ birthYear: 1989 }))).toBe('near');
    expect(birthYearLevel(dana, voter({ birthYear: 1970 }))).toBe('mismatch');
    expect(birthYearLevel(dana, voter({ birthYear: undefined }))).toBe('unknown');
  });

  it('adds evidence per field, weighting a rare family name above a common one', () => {
    const same = keys({
      givenName: 'Dana',
      familyName: 'Ruiz',
      street: '1187 Neil Ave',
      postalCode: '43201',
      locality: 'Columbus',
      birthYear: 1988,
    });
    const rare = scoreCandidate(dana, same, { ...FREQ, lastName: 20 });
    const common = scoreCandidate(dana, same, { ...FREQ, lastName: 8_000 });
    expect(rare.lastName.weight).toBeGreaterThan(common.lastName.weight);
    expect(rare.logOdds).toBeCloseTo(
      rare.prior + rare.firstName.weight + rare.lastName.weight + rare.address.weight + rare.birthYear.weight,
      10,
    );
    expect(rare.prior).toBeCloseTo(-Math.log2(1_000_000), 10);
    const elsewhere = scoreCandidate(
      dana,
      keys({
        givenName: 'Dana',
        familyName: 'Ruiz',
        street: '9 Elm St',
        postalCode: '44113',
        locality: 'Cleveland',
        birthYear: 1961,
      }),
      FREQ,
    );
    expect(elsewhere.address.weight).toBeLessThan(0);
    expect(elsewhere.birthYear.weight).toBeLessThan(0);
  });
});

describe('decideMatch', () => {
  const dana = keys({
    givenName: 'Dana',
    familyName: 'Ruiz',
    street: '1187 Neil Ave',
    postalCode: '43201',
    birthYear: 1988,
  });
  const candidate = (id: string, person: Parameters<typeof matchKeys>[0]) => ({
    candidate: id,
    breakdown: scoreCandidate(dana, keys(person), FREQ),
  });
  const thresholds = { high: 0.97, low: 0.5 };

  it('matches one clear candidate above the high threshold', () => {
    const decision = decideMatch(
      [
        candidate('A', {
          givenName: 'Dana',
          familyName: 'Ruiz',
          street: '1187 Neil Ave',
          postalCode: '43201',
          birthYear: 1988,
        }),
      ],
      thresholds,
      (c) => c,
    );
    expect(decision.outcome).toBe('matched');
    expect(decision.best?.probability).toBeGreaterThan(0.99);
  });

  it('sends two candidates that fit equally well to review, tied ones in a stable order', () => {
    const twin = {
      givenName: 'Dana',
      familyName: 'Ruiz',
      street: '1187 Neil Ave',
      postalCode: '43201',
      birthYear: 1988,
    };
    const decision = decideMatch([candidate('B', twin), candidate('A', twin)], thresholds, (c) => c);
    expect(decision.outcome).toBe('ambiguous');
    expect(decision.ranked.map((r) => r.candidate)).toEqual(['A', 'B']);
    expect(decision.ranked[0]!.probability).toBeCloseTo(0.5, 3);
  });

  it('sends one candidate between the thresholds to review, and answers no match below the low one', () => {
    const between = decideMatch(
      [
        candidate('A', {
          givenName: 'Dana',
          familyName: 'Ruiz',
          street: '5 Oak St',
          postalCode: '43201',
          birthYear: 1988,
        }),
      ],
      { high: 0.999999, low: 0.5 },
      (c) => c,
    );
    expect(between.outcome).toBe('ambiguous');
    const weak = decideMatch(
      [
        candidate('A', {
          givenName: 'Maria',
          familyName: 'Ruiz',
          street: '5 Oak St',
          postalCode: '43201',
          birthYear: 1950,
        }),
      ],
      thresholds,
      (c) => c,
    );
    expect(weak.outcome).toBe('no_match');
    expect(decideMatch([], thresholds, (c: string) => c).outcome).toBe('no_match');
  });
});

describe('voterObservationValue', () => {
  const facts = {
    voterId: 'AA100001',
    status: 'active',
    party: 'DEM',
    precinct: '01-25',
    registrationDate: '2012-03-14',
    districts: { congressional: '04' },
    county: 'DURHAM',
  };

  it('lists votes newest first, at most twenty, and says when no history was loaded', () => {
    const votes = Array.from({ length: 25 }, (_, i) => ({
      date: `${2000 + i}-11-05`,
      election: `${2000 + i} GENERAL`,
      method: 'IN-PERSON',
      party: null,
    }));
    const value = voterObservationValue(facts, votes, 0.99876, null);
    expect(value.voteCount).toBe(25);
    expect((value.votes as Array<{ date: string }>)[0]!.date).toBe('2024-11-05');
    expect(value.votes).toHaveLength(MAX_VOTES_LISTED);
    expect(value.matchScore).toBe(0.9988);
    expect(value).not.toHaveProperty('scoreBreakdown');
    const unknown = voterObservationValue(
      facts,
      null,
      1,
      roundedBreakdown(
        scoreCandidate(keys({ givenName: 'A', familyName: 'B' }), keys({ givenName: 'A', familyName: 'B' }), FREQ),
      ),
    );
    expect(unknown).not.toHaveProperty('votes');
    expect(unknown.scoreBreakdown).toMatchObject({ firstName: { level: 'exact' }, lastName: { level: 'exact' } });
  });
});
