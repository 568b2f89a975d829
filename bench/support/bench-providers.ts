import { startBanDemo } from '../../demo/servers/ban-server.js';
import { startBlueskyDemo } from '../../demo/servers/bluesky-server.js';
import { startCensusDemo } from '../../demo/servers/census-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { startFecDemo } from '../../demo/servers/fec-server.js';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { gravatarHash, startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { ProviderLimit } from '../../demo/servers/limit-enforcer.js';
import { startMastodonDemo } from '../../demo/servers/mastodon-server.js';
import type { HttpProviderName } from '../../schemas/providers.js';
import type { Signup } from '../../schemas/signup.js';

/** A demo provider started for a benchmark, enforcing `limits` the way the real provider enforces its own. */
export interface BenchProvider {
  name: HttpProviderName;
  server: DemoServer;
  limits: readonly ProviderLimit[];
}

/**
 * Limits with the real shapes, each provider in a 1 s and a 60 s window at once, both counting every path (as the
 * issue's nastier fakes did): the per-second one is where the Temporal server's start-up burst matters most, the
 * per-minute one where the steady rate does, and each binds somewhere (the 60 s window for Gravatar, GitHub,
 * Mastodon, FEC and Census; the 1 s window for Bluesky and BAN). They are low enough that one 2-core machine running
 * the server, three workers and Postgres keeps every queue backlogged (fidelity is only measurable where demand
 * exceeds the limit), and stage 2 (Mastodon, Bluesky) runs slower than Gravatar, which feeds it.
 */
export const BENCH_LIMITS: Record<HttpProviderName, readonly ProviderLimit[]> = {
  gravatar: [
    { max: 10, windowMs: 1000 },
    { max: 150, windowMs: 60_000 },
  ],
  // Two requests per lookup (every bench supporter is found): a search, then the user.
  github: [
    { max: 16, windowMs: 1000 },
    { max: 300, windowMs: 60_000 },
  ],
  mastodon: [
    { max: 8, windowMs: 1000 },
    { max: 130, windowMs: 60_000 },
  ],
  bluesky: [
    { max: 6, windowMs: 1000 },
    { max: 150, windowMs: 60_000 },
  ],
  fec: [
    { max: 5, windowMs: 1000 },
    { max: 75, windowMs: 60_000 },
  ],
  census: [
    { max: 5, windowMs: 1000 },
    { max: 75, windowMs: 60_000 },
  ],
  ban: [
    { max: 4, windowMs: 1000 },
    { max: 200, windowMs: 60_000 },
  ],
};

/** `PROVIDER_<NAME>_LIMITS` for a bench provider's windows (`10/1s,150/60s`), as an operator declares a plan. */
export function limitsVariable(limits: readonly ProviderLimit[]): string {
  return limits.map((limit) => `${limit.max}/${limit.windowMs / 1000}s`).join(',');
}

const email = (i: number) => `bench-${i}@example.org`;

/**
 * Synthetic supporters who consented: half with a US address (Census, FEC), half French (BAN), each with a
 * Gravatar profile whose verified Mastodon and Bluesky accounts send stage 2 to those providers too. Nobody else
 * knows them, so every other lookup is exactly one request.
 */
export function benchSignups(count: number): Signup[] {
  return Array.from({ length: count }, (_, i) => ({
    email: email(i),
    givenName: 'Bench',
    familyName: `Person${i}`,
    postalAddress:
      i % 2 === 0
        ? { lines: [`${100 + i} Main St`], locality: 'Raleigh', region: 'NC', postalCode: '27601', country: 'US' }
        : { lines: [`${i} rue de la Paix`], locality: 'Paris', postalCode: '75002', country: 'FR' },
    consent: { socialProfiles: true, at: '2026-11-01T00:00:00.000Z', noticeVersion: 'bench' },
  }));
}

function gravatarEntries(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    email: email(i),
    profile: {
      hash: gravatarHash(email(i)),
      display_name: `Bench Person${i}`,
      profile_url: `https://gravatar.com/bench${i}`,
      avatar_url: `https://0.gravatar.com/avatar/${gravatarHash(email(i))}`,
      verified_accounts: [
        {
          service_type: 'mastodon',
          service_label: 'Mastodon',
          url: `https://bench.example.net/@user${i}`,
          is_hidden: false,
        },
        {
          service_type: 'bluesky',
          service_label: 'Bluesky',
          url: `https://bsky.app/profile/user${i}.bench.example`,
          is_hidden: false,
        },
      ],
    },
  }));
}

/** The GitHub user whose public email is bench supporter `i`'s: each stage-1 GitHub lookup then sends two requests. */
function githubEntries(count: number) {
  return Array.from({ length: count }, (_, i) => ({
    email: email(i),
    user: {
      login: `bench-person-${i}`,
      id: 10_000 + i,
      html_url: `https://github.com/bench-person-${i}`,
      type: 'User',
      name: `Bench Person${i}`,
      email: email(i),
    },
  }));
}

/**
 * Starts every HTTP provider's demo server for `contacts` bench supporters. With `enforceLimits` (the default) each
 * refuses and counts requests over {@link BENCH_LIMITS}, every path of it together; without, they answer everything
 * at once (latency and throughput benches, where the queues are not meant to throttle). With `githubKnown`, GitHub
 * finds every supporter (two requests per lookup); otherwise nobody, as for the other providers.
 */
export async function startBenchProviders(
  contacts: number,
  { enforceLimits = true, githubKnown = false } = {},
): Promise<BenchProvider[]> {
  type Windows = { limit?: ProviderLimit; limits?: readonly ProviderLimit[] };
  const start = async (
    name: HttpProviderName,
    starter: (windows: Windows) => Promise<DemoServer>,
  ): Promise<BenchProvider> => {
    // The longest window is also what the servers' rate-limit headers announce, as a real provider's would.
    const sorted = [...BENCH_LIMITS[name]].sort((a, b) => b.windowMs - a.windowMs);
    const windows: Windows = enforceLimits ? { limit: sorted[0]!, limits: sorted.slice(1) } : {};
    return { name, limits: BENCH_LIMITS[name], server: await starter(windows) };
  };
  return Promise.all([
    start('gravatar', (w) => startGravatarDemo({ entries: gravatarEntries(contacts), ...w })),
    start('github', (w) => startGithubDemo({ entries: githubKnown ? githubEntries(contacts) : [], ...w })),
    start('mastodon', (w) => startMastodonDemo({ entries: [], ...w })),
    start('bluesky', (w) => startBlueskyDemo({ entries: [], ...w })),
    start('fec', (w) => startFecDemo({ entries: [], ...w })),
    start('census', (w) => startCensusDemo({ entries: [], ...w })),
    start('ban', (w) => startBanDemo({ entries: [], ...w })),
  ]);
}
