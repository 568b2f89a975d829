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

/** A demo provider started for a benchmark, enforcing `limit` the way the real provider enforces its own. */
export interface BenchProvider {
  name: HttpProviderName;
  server: DemoServer;
  limit: ProviderLimit;
}

/**
 * Limits with the real shapes: sliding windows of several seconds (as per-minute and per-hour limits are), and
 * one per-second window (as BAN's 50/s), where the Temporal server's start-up burst matters most. They are low
 * enough that one 2-core machine running the server, three workers and Postgres keeps every queue backlogged:
 * fidelity is only measurable where demand exceeds the limit.
 */
export const BENCH_LIMITS: Record<HttpProviderName, ProviderLimit> = {
  gravatar: { max: 25, windowMs: 10_000 },
  github: { max: 25, windowMs: 10_000 },
  mastodon: { max: 20, windowMs: 10_000 },
  bluesky: { max: 20, windowMs: 10_000 },
  fec: { max: 12, windowMs: 10_000 },
  census: { max: 12, windowMs: 10_000 },
  ban: { max: 4, windowMs: 1_000 },
};

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
        { service_type: 'mastodon', service_label: 'Mastodon', url: `https://bench.example.net/@user${i}`, is_hidden: false },
        { service_type: 'bluesky', service_label: 'Bluesky', url: `https://bsky.app/profile/user${i}.bench.example`, is_hidden: false },
      ],
    },
  }));
}

/**
 * Starts every HTTP provider's demo server for `contacts` bench supporters. With `enforceLimits` (the default) each
 * refuses and counts requests over {@link BENCH_LIMITS}; without, they answer everything at once (latency and
 * throughput benches, where the queues are not meant to throttle).
 */
export async function startBenchProviders(contacts: number, { enforceLimits = true } = {}): Promise<BenchProvider[]> {
  const start = async (name: HttpProviderName, starter: (limit: ProviderLimit | undefined) => Promise<DemoServer>): Promise<BenchProvider> => ({
    name,
    limit: BENCH_LIMITS[name],
    server: await starter(enforceLimits ? BENCH_LIMITS[name] : undefined),
  });
  return Promise.all([
    start('gravatar', (limit) => startGravatarDemo({ entries: gravatarEntries(contacts), limit })),
    start('github', (limit) => startGithubDemo({ entries: [], limit })),
    start('mastodon', (limit) => startMastodonDemo({ entries: [], limit })),
    start('bluesky', (limit) => startBlueskyDemo({ entries: [], limit })),
    start('fec', (limit) => startFecDemo({ entries: [], limit })),
    start('census', (limit) => startCensusDemo({ entries: [], limit })),
    start('ban', (limit) => startBanDemo({ entries: [], limit })),
  ]);
}
