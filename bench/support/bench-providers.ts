import type { DemoServer } from '../../demo/servers/demo-server.js';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { startGravatarDemo } from '../../demo/servers/gravatar-server.js';
import type { ProviderLimit } from '../../demo/servers/limit-enforcer.js';
import type { ProviderName } from '../../schemas/providers.js';
import type { Signup } from '../../schemas/signup.js';

/** A demo provider started for a benchmark, enforcing `limit` the way the real provider enforces its own. */
export interface BenchProvider {
  name: ProviderName;
  server: DemoServer;
  limit: ProviderLimit;
}

/**
 * Limits scaled down from the real ones (per hour, per minute) so a run takes about a minute, but with the same
 * shape: a sliding window of several seconds, which the Temporal server's start-up burst must not break.
 */
export const BENCH_LIMITS: Partial<Record<ProviderName, ProviderLimit>> = {
  gravatar: { max: 60, windowMs: 10_000 },
  github: { max: 50, windowMs: 10_000 },
};

/** Synthetic supporters who consented to social lookups; nobody the demo providers know, so each lookup is one request. */
export function benchSignups(count: number): Signup[] {
  return Array.from({ length: count }, (_, i) => ({
    email: `bench-${i}@example.org`,
    givenName: 'Bench',
    familyName: `Person${i}`,
    consent: { socialProfiles: true, at: '2026-11-01T00:00:00.000Z', noticeVersion: 'bench' },
  }));
}

export async function startBenchProviders(): Promise<BenchProvider[]> {
  const gravatarLimit = BENCH_LIMITS.gravatar!;
  const githubLimit = BENCH_LIMITS.github!;
  return [
    { name: 'gravatar', limit: gravatarLimit, server: await startGravatarDemo({ entries: [], limit: gravatarLimit }) },
    { name: 'github', limit: githubLimit, server: await startGithubDemo({ entries: [], limit: githubLimit }) },
  ];
}
