import type { GithubDemoEntry } from '../../demo/servers/github-server.js';
import { gravatarHash, type GravatarDemoEntry } from '../../demo/servers/gravatar-server.js';
import type { Fault } from '../../demo/servers/faults.js';
import type { Signup } from '../../schemas/signup.js';

/**
 * Synthetic supporters for the fault tests, and what the Gravatar and GitHub demo servers know about them. Four
 * shapes repeat so that every path of the pipeline is walked by a few contacts:
 *
 * - `i % 4 == 0`: a Gravatar profile (with a verified GitHub account) and a GitHub user with that public email;
 * - `i % 4 == 1`: a Gravatar profile whose verified GitHub account has no public email, so GitHub is found in
 *   stage 2, by login;
 * - `i % 4 == 2`: a GitHub user only;
 * - `i % 4 == 3`: nobody knows them (both lookups `no_match`).
 *
 * With `flagged`, every tenth supporter (`i % 10 == 7`) gets a Gravatar reply that breaks the schema on every
 * request: a non-retryable failure, so they end `flagged` however often the lookup is retried.
 */
export interface FaultSupporters {
  signups: Signup[];
  gravatar: GravatarDemoEntry[];
  github: GithubDemoEntry[];
  /** The same supporters as a backfill CSV (same fields as `signups`, so both ways of starting give one record). */
  csv: string;
  /** How many are expected to end `flagged` in a run without faults. */
  flaggedCount: number;
}

export interface FaultSupportersOptions {
  /** Makes the emails of one data set unlike another's (default `fault`). */
  prefix?: string;
  /** Every tenth supporter's Gravatar reply is malformed on every request (see above). */
  flagged?: boolean;
  /** A transient fault to attach to the supporter's Gravatar entry (every supporter gets an entry when given). */
  gravatarFault?: (i: number) => Fault | undefined;
  /** A transient fault to attach to the supporter's GitHub entry (every supporter gets an entry when given). */
  githubFault?: (i: number) => Fault | undefined;
}

export const FAULT_SIGNUP_SOURCE = 'fault-test';

const isFlagged = (i: number, options: FaultSupportersOptions) => Boolean(options.flagged) && i % 10 === 7;

export function faultSupporters(count: number, options: FaultSupportersOptions = {}): FaultSupporters {
  const prefix = options.prefix ?? 'fault';
  const email = (i: number) => `${prefix}-${i}@example.org`;
  const login = (i: number) => `${prefix}-person-${i}`;
  const signups: Signup[] = [];
  const gravatar: GravatarDemoEntry[] = [];
  const github: GithubDemoEntry[] = [];
  let flaggedCount = 0;

  for (let i = 0; i < count; i++) {
    const shape = i % 4;
    signups.push({
      email: email(i),
      givenName: 'Fault',
      familyName: `Person${i}`,
      source: FAULT_SIGNUP_SOURCE,
      consent: { socialProfiles: true },
    });

    const gravatarFault = options.gravatarFault?.(i);
    if (isFlagged(i, options)) {
      flaggedCount++;
      gravatar.push({ email: email(i), fault: { kind: 'malformed' } });
    } else if (shape === 0 || shape === 1) {
      gravatar.push({ email: email(i), profile: gravatarProfile(email(i), i, login(i)), fault: gravatarFault });
    } else if (gravatarFault) {
      // No profile: the fault fires, then the supporter is simply not found.
      gravatar.push({ email: email(i), fault: gravatarFault });
    }

    const githubFault = options.githubFault?.(i);
    if (shape === 0 || shape === 2) {
      github.push({ email: email(i), user: githubUser(i, login(i), email(i)), fault: githubFault });
    } else if (shape === 1) {
      // No public email: the search by email misses; `/users/<login>` (stage 2) finds them.
      github.push({ email: email(i), user: githubUser(i, login(i), null), fault: githubFault });
    } else if (githubFault) {
      github.push({ email: email(i), fault: githubFault });
    }
  }

  const header = 'email,first_name,last_name,source,consent_social';
  const rows = signups.map((s) => [s.email, s.givenName, s.familyName, s.source, 'true'].join(','));
  return { signups, gravatar, github, csv: `${[header, ...rows].join('\n')}\n`, flaggedCount };
}

function gravatarProfile(email: string, i: number, githubLogin: string): object {
  const hash = gravatarHash(email);
  return {
    hash,
    display_name: `Fault Person${i}`,
    profile_url: `https://gravatar.com/${githubLogin}`,
    avatar_url: `https://0.gravatar.com/avatar/${hash}`,
    avatar_alt_text: '',
    location: 'Raleigh, NC',
    description: `Volunteer number ${i}.`,
    job_title: i % 3 === 0 ? 'Organizer' : 'Canvasser',
    company: `Riverside Org ${i % 5}`,
    verified_accounts: [
      { service_type: 'github', service_label: 'GitHub', url: `https://github.com/${githubLogin}`, is_hidden: false },
    ],
  };
}

function githubUser(i: number, githubLogin: string, publicEmail: string | null): object {
  const id = 7_000_000 + i;
  return {
    login: githubLogin,
    id,
    node_id: `MDQ6VXNlcj${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    html_url: `https://github.com/${githubLogin}`,
    type: 'User',
    site_admin: false,
    name: `Fault Person${i}`,
    company: `@riverside-org-${i % 5}`,
    blog: '',
    location: 'Raleigh, NC',
    email: publicEmail,
    hireable: null,
    bio: i % 2 === 0 ? `Writes code for campaign number ${i}` : null,
    twitter_username: i % 8 === 0 ? `faultperson${i}` : null,
    public_repos: i,
    followers: 2 * i,
    following: 1,
    created_at: '2015-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}
