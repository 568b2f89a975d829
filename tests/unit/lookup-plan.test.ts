import { describe, expect, it } from 'vitest';
import type { ObservationInput } from '../../schemas/lookup.js';
import type { Signup } from '../../schemas/signup.js';
import { blueskyActor, fediverseAcct, STAGE_ONE, STAGE_TWO, stageOneInput, stageTwoInputs } from '../../workflows/lookup-plan.js';

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

  it('geocodes a US address with the Census and a French one with the BAN, never the other way round', () => {
    expect(stageOneInput('census', KEY, usSignup)?.postalAddress).toEqual(usSignup.postalAddress);
    expect(stageOneInput('ban', KEY, usSignup)).toBeUndefined();
    expect(stageOneInput('ban', KEY, frSignup)?.postalAddress).toEqual(frSignup.postalAddress);
    expect(stageOneInput('census', KEY, frSignup)).toBeUndefined();
  });

  it('treats an address with a US ZIP and no country as American', () => {
    const noCountry: Signup = { ...usSignup, postalAddress: { ...usSignup.postalAddress, country: undefined } };
    expect(stageOneInput('census', KEY, noCountry)).toBeDefined();
    expect(stageOneInput('fec', KEY, noCountry)).toBeDefined();
  });

  it('needs a street line for the Census, and a full name and ZIP for the FEC', () => {
    expect(stageOneInput('census', KEY, { ...usSignup, postalAddress: { postalCode: '43215', country: 'US' } })).toBeUndefined();
    expect(stageOneInput('fec', KEY, { ...usSignup, givenName: undefined })).toBeUndefined();
    expect(stageOneInput('fec', KEY, { ...usSignup, postalAddress: { ...usSignup.postalAddress, postalCode: 'K1A 0B1' } })).toBeUndefined();
    expect(stageOneInput('fec', KEY, usSignup)).toMatchObject({ givenName: 'Dana', familyName: 'Ruiz' });
  });

  it('matches the voter file on a full name and a US ZIP or locality, with the birth year when given', () => {
    expect(stageOneInput('voterfile', KEY, { ...usSignup, birthYear: 1988 })).toEqual({
      contactKey: KEY,
      email: EMAIL,
      givenName: 'Dana',
      familyName: 'Ruiz',
      postalAddress: usSignup.postalAddress,
      birthYear: 1988,
    });
    // No birth year: none is passed (not even as undefined, which would not survive the history's JSON anyway).
    expect(stageOneInput('voterfile', KEY, usSignup)).not.toHaveProperty('birthYear');
    const localityOnly: Signup = { ...usSignup, postalAddress: { locality: 'Columbus', region: 'OH', country: 'US' } };
    expect(stageOneInput('voterfile', KEY, localityOnly)?.postalAddress).toEqual(localityOnly.postalAddress);
  });

  it('skips the voter file without a full name, a ZIP or locality, or a US address', () => {
    expect(stageOneInput('voterfile', KEY, { ...usSignup, givenName: undefined })).toBeUndefined();
    expect(stageOneInput('voterfile', KEY, { ...usSignup, familyName: undefined })).toBeUndefined();
    expect(stageOneInput('voterfile', KEY, { ...usSignup, postalAddress: { lines: ['12 Elm St'], region: 'OH', country: 'US' } })).toBeUndefined();
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
  const profile = (network: string, handle: string, url: string, verified: boolean, confidence: number): ObservationInput => ({
    field: 'profiles',
    value: { network, handle, url, verified },
    confidence,
    fetchedAt: '2026-11-01T00:00:00.000Z',
  });

  it('follows the best-linked Mastodon and Bluesky accounts, carrying the link confidence', () => {
    const inputs = stageTwoInputs(
      KEY,
      EMAIL,
      [
        profile('mastodon', 'druiz@mastodon.example.net', 'https://mastodon.example.net/@druiz', true, 0.9),
        profile('mastodon', 'dana@other.example', 'https://other.example/@dana', false, 0.6),
        profile('bluesky', 'druiz.bsky.social', 'https://bsky.app/profile/druiz.bsky.social', true, 0.9),
        { field: 'name.display', value: 'Dana Ruiz', confidence: 0.9, fetchedAt: '2026-11-01T00:00:00.000Z' },
      ],
      { githubFound: true },
    );
    expect(inputs).toEqual({
      mastodon: { contactKey: KEY, email: EMAIL, handle: 'druiz@mastodon.example.net', linkConfidence: 0.9 },
      bluesky: { contactKey: KEY, email: EMAIL, handle: 'druiz.bsky.social', linkConfidence: 0.9 },
    });
  });

  it('looks up a verified GitHub account by login only when the email search found nothing', () => {
    const observed = [profile('github', 'gkim-designs', 'https://github.com/gkim-designs', true, 0.9)];
    expect(stageTwoInputs(KEY, EMAIL, observed, { githubFound: false }).github).toEqual({
      contactKey: KEY,
      email: EMAIL,
      handle: 'gkim-designs',
      linkConfidence: 0.9,
    });
    expect(stageTwoInputs(KEY, EMAIL, observed, { githubFound: true }).github).toBeUndefined();
    const unverified = [profile('github', 'someone', 'https://github.com/someone', false, 0.6)];
    expect(stageTwoInputs(KEY, EMAIL, unverified, { githubFound: false }).github).toBeUndefined();
  });

  it('finds nothing to follow in a profile-less stage 1', () => {
    expect(stageTwoInputs(KEY, EMAIL, [], { githubFound: false })).toEqual({});
  });
});
