import { describe, expect, it } from 'vitest';
import { buildEnrichContactInput } from '../../client/start-enrichment.js';
import { loadConfig } from '../../config.js';
import type { EnrichContactInput } from '../../schemas/enrichment.js';
import type { ObservationInput } from '../../schemas/lookup.js';
import type { Signup } from '../../schemas/signup.js';
import {
  blueskyActor,
  fediverseAcct,
  STAGE_ONE,
  STAGE_TWO,
  stageOneInput,
  stageTwoInputs,
} from '../../workflows/lookup-plan.js';

const KEY = 'k'.repeat(64);
const EMAIL = 'dana.ruiz@example.org';
const usSignup: Signup = {
  email: EMAIL,
  givenName: 'Dana',
  familyName: 'Ruiz',
  postalAddress: { lines: ['12 Elm St'], locality: 'Columbus', region: 'OH', postalCode: '43215', country: 'US' },
};
const frSignup: Signup = {
  email: 'camille@example.fr',
  givenName: 'Camille',
  familyName: 'Martin',
  postalAddress: { lines: ['8 bd du Port'], locality: 'Amiens', postalCode: '80000', country: 'FR' },
};

describe('stageOneInput', () => {
  it('looks up social profiles by email alone', () => {
    expect(stageOneInput('gravatar', KEY, { email: EMAIL })).toEqual({ contactKey: KEY, email: EMAIL });
    expect(stageOneInput('github', KEY, { email: EMAIL })).toEqual({ contactKey: KEY, email: EMAIL });
  });

  it('gives each provider only what it uses: the email to Gravatar and GitHub alone, each geocoder its address parts', () => {
    const full: Signup = { ...usSignup, birthYear: 1988, phone: '+16145550100' };
    const { country: _country, ...usParts } = usSignup.postalAddress!;
    expect(stageOneInput('census', KEY, full)).toEqual({ contactKey: KEY, postalAddress: usParts });
    expect(stageOneInput('fec', KEY, full)).toEqual({
      contactKey: KEY,
      givenName: 'Dana',
      familyName: 'Ruiz',
      postalAddress: { postalCode: '43215' },
    });
    const { country: _fr, ...frParts } = frSignup.postalAddress!;
    expect(stageOneInput('ban', KEY, frSignup)).toEqual({ contactKey: KEY, postalAddress: frParts });
    for (const provider of ['census', 'ban', 'fec', 'voterfile'] as const) {
      for (const signup of [full, frSignup]) {
        expect(stageOneInput(provider, KEY, signup, { voterfileCountries: ['US', 'FR'] }) ?? {}).not.toHaveProperty(
          'email',
        );
      }
    }
  });

  it('geocodes a US address with the Census and a French one with the BAN, never the other way round', () => {
    expect(stageOneInput('census', KEY, usSignup)?.postalAddress).toMatchObject({ lines: ['12 Elm St'] });
    expect(stageOneInput('ban', KEY, usSignup)).toBeUndefined();
    expect(stageOneInput('ban', KEY, frSignup)?.postalAddress).toMatchObject({ lines: ['8 bd du Port'] });
    expect(stageOneInput('census', KEY, frSignup)).toBeUndefined();
  });

  it('treats an address with a US ZIP and no country as American', () => {
    const noCountry: Signup = { ...usSignup, postalAddress: { ...usSignup.postalAddress, country: undefined } };
    expect(stageOneInput('census', KEY, noCountry)).toBeDefined();
    expect(stageOneInput('fec', KEY, noCountry)).toBeDefined();
  });

  it('needs a street line for the Census, and a full name and ZIP for the FEC', () => {
    expect(
      stageOneInput('census', KEY, { ...usSignup, postalAddress: { postalCode: '43215', country: 'US' } }),
    ).toBeUndefined();
    expect(stageOneInput('fec', KEY, { ...usSignup, givenName: undefined })).toBeUndefined();
    expect(
      stageOneInput('fec', KEY, { ...usSignup, postalAddress: { ...usSignup.postalAddress, postalCode: 'K1A 0B1' } }),
    ).toBeUndefined();
    expect(stageOneInput('fec', KEY, usSignup)).toMatchObject({ givenName: 'Dana', familyName: 'Ruiz' });
  });

  it('matches the voter file on a full name and a US ZIP or locality, with the birth year when given', () => {
    const { region: _region, ...voterParts } = usSignup.postalAddress!;
    expect(stageOneInput('voterfile', KEY, { ...usSignup, birthYear: 1988 })).toEqual({
      contactKey: KEY,
      givenName: 'Dana',
      familyName: 'Ruiz',
      postalAddress: voterParts,
      birthYear: 1988,
    });
    // No birth year: none is passed (not even as undefined, which would not survive the history's JSON anyway).
    expect(stageOneInput('voterfile', KEY, usSignup)).not.toHaveProperty('birthYear');
    const localityOnly: Signup = { ...usSignup, postalAddress: { locality: 'Columbus', region: 'OH', country: 'US' } };
    expect(stageOneInput('voterfile', KEY, localityOnly)?.postalAddress).toEqual({
      locality: 'Columbus',
      country: 'US',
    });
  });

  it('skips the voter file without a full name, a ZIP or locality, or a US address', () => {
    expect(stageOneInput('voterfile', KEY, { ...usSignup, givenName: undefined })).toBeUndefined();
    expect(stageOneInput('voterfile', KEY, { ...usSignup, familyName: undefined })).toBeUndefined();
    expect(
      stageOneInput('voterfile', KEY, {
        ...usSignup,
        postalAddress: { lines: ['12 Elm St'], region: 'OH', country: 'US' },
      }),
    ).toBeUndefined();
    expect(stageOneInput('voterfile', KEY, { email: EMAIL, givenName: 'Dana', familyName: 'Ruiz' })).toBeUndefined();
    expect(stageOneInput('voterfile', KEY, frSignup)).toBeUndefined();
  });

  it('runs the voter file in stage 1, after the providers recorded histories already schedule', () => {
    expect(STAGE_ONE).toEqual(['gravatar', 'github', 'census', 'ban', 'fec', 'voterfile']);
    expect(STAGE_TWO).not.toContain('voterfile');
  });

  it('gives stage-2 providers nothing in stage 1', () => {
    expect(stageOneInput('mastodon', KEY, usSignup)).toBeUndefined();
    expect(stageOneInput('bluesky', KEY, usSignup)).toBeUndefined();
  });
});

describe('stageOneInput for the voter file, by VOTERFILE_COUNTRIES', () => {
  const AT = new Date('2026-11-01T12:00:00.000Z');
  const helene: Signup = {
    email: 'helene.lefevre@example.fr',
    givenName: 'Hélène',
    familyName: 'Lefèvre',
    birthYear: 1979,
    postalAddress: { lines: ['12 rue des Lilas'], locality: 'Amiens', postalCode: '80000', country: 'FR' },
  };
  const withoutCountry = (signup: Signup): Signup => ({
    ...signup,
    postalAddress: { ...signup.postalAddress, country: undefined },
  });
  /** The workflow's input as the client builds it from this environment, then its voter-file input as the workflow plans it. */
  const input = (env: Record<string, string>, signup: Signup) =>
    buildEnrichContactInput(loadConfig(env), KEY, signup, AT);
  const planned = (workflowInput: EnrichContactInput) =>
    stageOneInput('voterfile', workflowInput.contactKey, workflowInput.signup, {
      voterfileCountries: workflowInput.voterfileCountries,
    });

  it('records the countries in the workflow input: US by default', () => {
    expect(input({}, usSignup).voterfileCountries).toEqual(['US']);
    expect(input({ VOTERFILE_COUNTRIES: 'fr, us' }, usSignup).voterfileCountries).toEqual(['FR', 'US']);
  });

  it('looks up only US signups by default, as before the setting existed', () => {
    expect(planned(input({}, usSignup))).toMatchObject({ givenName: 'Dana', familyName: 'Ruiz' });
    expect(planned(input({}, helene))).toBeUndefined();
  });

  it('looks up a French signup, accents and code postal as typed, when FR is listed', () => {
    expect(planned(input({ VOTERFILE_COUNTRIES: 'FR' }, helene))).toEqual({
      contactKey: KEY,
      givenName: 'Hélène',
      familyName: 'Lefèvre',
      postalAddress: helene.postalAddress,
      birthYear: 1979,
    });
    // FR only: US signups are no longer looked up; both listed: both are.
    expect(planned(input({ VOTERFILE_COUNTRIES: 'FR' }, usSignup))).toBeUndefined();
    expect(planned(input({ VOTERFILE_COUNTRIES: 'US,FR' }, usSignup))).toBeDefined();
    expect(planned(input({ VOTERFILE_COUNTRIES: 'US,FR' }, helene))).toBeDefined();
    // A commune without a code postal is enough to block on.
    const communeOnly: Signup = { ...helene, postalAddress: { locality: 'Amiens', country: 'FR' } };
    expect(planned(input({ VOTERFILE_COUNTRIES: 'FR' }, communeOnly))?.postalAddress).toEqual(
      communeOnly.postalAddress,
    );
  });

  it('takes a signup without a country to be in JURISDICTION, else US when it has a five-digit ZIP', () => {
    const noCountry = withoutCountry(helene);
    // JURISDICTION=FR: the client gives the address FR before the workflow plans, so a French operator's signups match.
    const french = input({ JURISDICTION: 'FR', VOTERFILE_COUNTRIES: 'FR' }, noCountry);
    expect(french.signup.postalAddress?.country).toBe('FR');
    expect(planned(french)).toMatchObject({
      familyName: 'Lefèvre',
      postalAddress: { postalCode: '80000', country: 'FR' },
    });
    // Without JURISDICTION, a five-digit code and no country still counts as a US ZIP (as it always has).
    expect(planned(input({ VOTERFILE_COUNTRIES: 'FR' }, noCountry))).toBeUndefined();
    expect(planned(input({}, noCountry))).toMatchObject({ familyName: 'Lefèvre' });
    expect(planned(input({}, withoutCountry(usSignup)))).toMatchObject({ familyName: 'Ruiz' });
    // No country and no five-digit ZIP: no country to go by, so no lookup.
    expect(
      planned(input({ VOTERFILE_COUNTRIES: 'US,FR' }, { ...helene, postalAddress: { locality: 'Amiens' } })),
    ).toBeUndefined();
  });

  it('plans an input recorded before the setting existed as it did then: US signups only', () => {
    const recorded = (workflowInput: EnrichContactInput): EnrichContactInput => {
      const { voterfileCountries, ...before } = workflowInput;
      expect(voterfileCountries).toBeDefined();
      return before;
    };
    expect(recorded(input({ VOTERFILE_COUNTRIES: 'FR' }, usSignup))).not.toHaveProperty('voterfileCountries');
    expect(planned(recorded(input({ VOTERFILE_COUNTRIES: 'FR' }, usSignup)))).toMatchObject({ familyName: 'Ruiz' });
    expect(planned(recorded(input({ VOTERFILE_COUNTRIES: 'FR' }, helene)))).toBeUndefined();
    expect(planned(recorded(input({}, withoutCountry(usSignup))))).toMatchObject({ familyName: 'Ruiz' });
    expect(stageOneInput('voterfile', KEY, usSignup)).toEqual(
      stageOneInput('voterfile', KEY, usSignup, { voterfileCountries: ['US'] }),
    );
  });

  it('leaves the Census, the BAN and the FEC as they were, whatever the voter-file countries', () => {
    const frOnly = { voterfileCountries: ['FR'] };
    expect(stageOneInput('census', KEY, usSignup, frOnly)).toBeDefined();
    expect(stageOneInput('fec', KEY, usSignup, frOnly)).toBeDefined();
    expect(stageOneInput('fec', KEY, frSignup, frOnly)).toBeUndefined();
    expect(stageOneInput('ban', KEY, frSignup, { voterfileCountries: ['US'] })).toBeDefined();
  });
});

describe('profile URL parsing', () => {
  it('reads a fediverse URL as user@host', () => {
    expect(fediverseAcct('https://Mastodon.Example.net/@druiz')).toBe('druiz@mastodon.example.net');
    expect(fediverseAcct('https://mastodon.example.net/@druiz/')).toBe('druiz@mastodon.example.net');
    expect(fediverseAcct('https://mastodon.example.net/users/druiz')).toBeUndefined();
    expect(fediverseAcct('https://mastodon.example.net/@druiz@other.example')).toBeUndefined();
  });

  it('reads a Bluesky profile URL as its handle or DID', () => {
    expect(blueskyActor('https://bsky.app/profile/druiz.bsky.social')).toBe('druiz.bsky.social');
    expect(blueskyActor('https://bsky.app/profile/did:plc:abc123')).toBe('did:plc:abc123');
    expect(blueskyActor('https://example.org/profile/druiz')).toBeUndefined();
  });
});

describe('stageTwoInputs', () => {
  const profile = (
    network: string,
    handle: string,
    url: string,
    verified: boolean,
    confidence: number,
  ): ObservationInput => ({
    field: 'profiles',
    value: { network, handle, url, verified },
    confidence,
    fetchedAt: '2026-11-01T00:00:00.000Z',
  });

  it('follows the best-linked Mastodon and Bluesky accounts, carrying the link confidence', () => {
    const inputs = stageTwoInputs(
      KEY,
      [
        profile('mastodon', 'druiz@mastodon.example.net', 'https://mastodon.example.net/@druiz', true, 0.9),
        profile('mastodon', 'dana@other.example', 'https://other.example/@dana', false, 0.6),
        profile('bluesky', 'druiz.bsky.social', 'https://bsky.app/profile/druiz.bsky.social', true, 0.9),
        { field: 'name.display', value: 'Dana Ruiz', confidence: 0.9, fetchedAt: '2026-11-01T00:00:00.000Z' },
      ],
      { githubFound: true },
    );
    expect(inputs).toEqual({
      mastodon: { contactKey: KEY, handle: 'druiz@mastodon.example.net', linkConfidence: 0.9 },
      bluesky: { contactKey: KEY, handle: 'druiz.bsky.social', linkConfidence: 0.9 },
    });
  });

  it('looks up a verified GitHub account by login only when the email search found nothing', () => {
    const observed = [profile('github', 'gkim-designs', 'https://github.com/gkim-designs', true, 0.9)];
    expect(stageTwoInputs(KEY, observed, { githubFound: false }).github).toEqual({
      contactKey: KEY,
      handle: 'gkim-designs',
      linkConfidence: 0.9,
    });
    expect(stageTwoInputs(KEY, observed, { githubFound: true }).github).toBeUndefined();
    const unverified = [profile('github', 'someone', 'https://github.com/someone', false, 0.6)];
    expect(stageTwoInputs(KEY, unverified, { githubFound: false }).github).toBeUndefined();
  });

  it('finds nothing to follow in a profile-less stage 1', () => {
    expect(stageTwoInputs(KEY, [], { githubFound: false })).toEqual({});
  });
});
