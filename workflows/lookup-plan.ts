import { countryOfAddress, US_ZIP } from '../schemas/address-country.js';
import type { LookupInput, ObservationInput, Profile } from '../schemas/lookup.js';
import type { ProviderName } from '../schemas/providers.js';
import type { PostalAddress, Signup } from '../schemas/signup.js';

/**
 * Which provider looks a supporter up with what. Pure, so the workflow can decide without I/O and tests can
 * check every case. Stage 1 uses what the signup gave; stage 2 follows the accounts stage 1 found.
 */

// Appended, never reordered: a recorded run schedules stage 1 in this order, and its replay must too.
export const STAGE_ONE: readonly ProviderName[] = ['gravatar', 'github', 'census', 'ban', 'fec', 'voterfile'];
export const STAGE_TWO: readonly ProviderName[] = ['mastodon', 'bluesky', 'github'];

/**
 * Where the voter file is looked up when the workflow input does not say (`voterfileCountries` absent: runs
 * started before VOTERFILE_COUNTRIES existed), so their histories replay as recorded.
 */
export const DEFAULT_VOTERFILE_COUNTRIES: readonly string[] = ['US'];

/** What the workflow input decides about the plan (from configuration, recorded in the input). */
export interface StageOneOptions {
  /** The countries whose signups are looked up in the voter file; absent = {@link DEFAULT_VOTERFILE_COUNTRIES}. */
  voterfileCountries?: readonly string[] | undefined;
}

/** The signup's country (see {@link countryOfAddress}); undefined when unknown. */
function countryOf(signup: Signup): string | undefined {
  return countryOfAddress(signup.postalAddress);
}

function isUs(signup: Signup): boolean {
  return countryOf(signup) === 'US';
}

/** Whether the signup's country is one the voter file is looked up for. */
function inVoterfileCountries(signup: Signup, options: StageOneOptions): boolean {
  const country = countryOf(signup);
  return country !== undefined && (options.voterfileCountries ?? DEFAULT_VOTERFILE_COUNTRIES).includes(country);
}

/**
 * Only the named parts of an address, the ones a provider reads: every lookup input is kept in the workflow's
 * history (and in every continued run's input), so what a provider does not use is not given to it.
 */
function addressParts(address: PostalAddress, parts: readonly (keyof PostalAddress)[]): PostalAddress {
  const kept: PostalAddress = {};
  for (const part of parts) if (address[part] !== undefined) Object.assign(kept, { [part]: address[part] });
  return kept;
}

/**
 * The stage-1 input of a provider, or undefined when the signup lacks what it needs. Each provider gets what it
 * uses and nothing else: the email goes to Gravatar and GitHub only, the name to FEC and the voter file, and each
 * geocoder only the address parts it queries by (data minimisation, docs/privacy.md).
 */
export function stageOneInput(
  provider: ProviderName,
  contactKey: string,
  signup: Signup,
  options: StageOneOptions = {},
): LookupInput | undefined {
  const base = { contactKey };
  const address = signup.postalAddress;
  switch (provider) {
    case 'gravatar':
    case 'github':
      return { ...base, email: signup.email };
    case 'census':
      // The Census geocoder needs a street line and either a ZIP or a city and state.
      return isUs(signup) && address?.lines?.length && (address.postalCode || (address.locality && address.region))
        ? { ...base, postalAddress: addressParts(address, ['lines', 'locality', 'region', 'postalCode']) }
        : undefined;
    case 'ban':
      return address?.country === 'FR' && (address.lines?.length || address.locality)
        ? { ...base, postalAddress: addressParts(address, ['lines', 'postalCode', 'locality']) }
        : undefined;
    case 'fec':
      // FEC records carry no email: a full name and a US ZIP are the least that can tell donors apart.
      return isUs(signup) && signup.givenName && signup.familyName && US_ZIP.test(address?.postalCode ?? '')
        ? {
            ...base,
            givenName: signup.givenName,
            familyName: signup.familyName,
            postalAddress: addressParts(address!, ['postalCode']),
          }
        : undefined;
    case 'voterfile':
      // Matched in our own database against the imported voter file, for signups of the countries it covers: a
      // full name and a ZIP (or code postal) or locality to block on; the birth year, when given, tells namesakes
      // apart. The street helps the score.
      return inVoterfileCountries(signup, options) &&
        signup.givenName &&
        signup.familyName &&
        (address?.postalCode || address?.locality)
        ? {
            ...base,
            givenName: signup.givenName,
            familyName: signup.familyName,
            postalAddress: addressParts(address, ['lines', 'locality', 'postalCode', 'country']),
            ...(signup.birthYear !== undefined ? { birthYear: signup.birthYear } : {}),
          }
        : undefined;
    default:
      return undefined;
  }
}

/** A fediverse profile URL (`https://host/@user`) as the account's full address `user@host`. */
export function fediverseAcct(url: string): string | undefined {
  const match = /^https?:\/\/([^/?#]+)\/@([^/?#@]+)\/?$/i.exec(url.trim());
  return match ? `${match[2]}@${match[1]!.toLowerCase()}` : undefined;
}

/** A Bluesky profile URL (`https://bsky.app/profile/<handle or DID>`) as the handle or DID. */
export function blueskyActor(url: string): string | undefined {
  const match = /^https?:\/\/bsky\.app\/profile\/([^/?#]+)\/?$/i.exec(url.trim());
  return match?.[1];
}

interface Candidate {
  handle: string;
  confidence: number;
}

function best(candidates: Candidate[]): Candidate | undefined {
  return [...candidates].sort((a, b) => b.confidence - a.confidence || a.handle.localeCompare(b.handle))[0];
}

/**
 * Stage-2 inputs from what stage 1 observed: accounts on Mastodon and Bluesky linked from the supporter's
 * profiles, and a GitHub login when GitHub's email search found nothing but a verified link names the account.
 * The link's confidence travels with the handle; the email does not (each is looked up by its handle). Only the
 * best-linked account per provider is followed.
 */
export function stageTwoInputs(
  contactKey: string,
  observations: ObservationInput[],
  options: { githubFound: boolean },
): Partial<Record<ProviderName, LookupInput>> {
  const profiles = observations
    .filter((o) => o.field === 'profiles' && typeof o.value === 'object' && o.value !== null && !Array.isArray(o.value))
    .map((o) => ({ profile: o.value as unknown as Profile, confidence: o.confidence }));
  const candidates = (network: string, toHandle: (p: Profile) => string | undefined) =>
    profiles
      .filter(({ profile }) => profile.network.toLowerCase() === network)
      .map(({ profile, confidence }) => ({ handle: toHandle(profile), confidence }))
      .filter((c): c is Candidate => Boolean(c.handle));

  const inputs: Partial<Record<ProviderName, LookupInput>> = {};
  const add = (provider: ProviderName, candidate: Candidate | undefined) => {
    if (candidate) inputs[provider] = { contactKey, handle: candidate.handle, linkConfidence: candidate.confidence };
  };
  add(
    'mastodon',
    best(
      candidates(
        'mastodon',
        (p) => fediverseAcct(p.url) ?? (p.handle.includes('@') ? p.handle.replace(/^@/, '') : undefined),
      ),
    ),
  );
  add(
    'bluesky',
    best(candidates('bluesky', (p) => blueskyActor(p.url) ?? (p.handle.includes('.') ? p.handle : undefined))),
  );
  if (!options.githubFound) {
    const verified = profiles.filter(({ profile }) => profile.network.toLowerCase() === 'github' && profile.verified);
    add('github', best(verified.map(({ profile, confidence }) => ({ handle: profile.handle, confidence }))));
  }
  return inputs;
}
