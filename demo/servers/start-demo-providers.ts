/**
 * Starts every demo provider from the data files: what `enrich dev --demo` and the integration tests point the
 * providers at. Each server speaks its real API (paths, status codes, headers, JSON) from `demo/data/`.
 */
import type { HttpProviderName } from '../../schemas/providers.js';
import { startBanDemo } from './ban-server.js';
import { startBlueskyDemo } from './bluesky-server.js';
import { startCensusDemo } from './census-server.js';
import { DEFAULT_DATA_DIR, loadGithubEntries, loadGravatarEntries } from './demo-data.js';
import type { DemoServer, ListenOptions } from './demo-server.js';
import { startFecDemo } from './fec-server.js';
import { startGithubDemo } from './github-server.js';
import { startGravatarDemo } from './gravatar-server.js';
import { startMastodonDemo } from './mastodon-server.js';
import { loadBanEntries, loadCensusEntries, loadFecEntries } from './records-demo-data.js';
import { loadBlueskyEntries, loadMastodonEntries } from './social-demo-data.js';

export interface DemoProvidersOptions {
  host?: string | undefined;
  /** 0 or absent = a random free port. */
  ports?: Partial<Record<HttpProviderName, number | undefined>> | undefined;
  /** Folder holding the data files; defaults to `demo/data/`. */
  dataDir?: string | undefined;
}

/** One server per HTTP provider; the voter file is local and has none (demo/data/ncvoter-demo.txt is imported instead). */
export type DemoProviders = Record<HttpProviderName, DemoServer> & { close(): Promise<void> };

/** How to load each provider's demo data and start its server. */
const DEMO_STARTERS: Record<
  HttpProviderName,
  (dataDir: string) => Promise<(listen: ListenOptions) => Promise<DemoServer>>
> = {
  gravatar: async (dir) => {
    const entries = await loadGravatarEntries(dir);
    return (listen) => startGravatarDemo({ entries, ...listen });
  },
  github: async (dir) => {
    const entries = await loadGithubEntries(dir);
    return (listen) => startGithubDemo({ entries, ...listen });
  },
  mastodon: async (dir) => {
    const entries = await loadMastodonEntries(dir);
    return (listen) => startMastodonDemo({ entries, ...listen });
  },
  bluesky: async (dir) => {
    const entries = await loadBlueskyEntries(dir);
    return (listen) => startBlueskyDemo({ entries, ...listen });
  },
  fec: async (dir) => {
    const entries = await loadFecEntries(dir);
    return (listen) => startFecDemo({ entries, ...listen });
  },
  census: async (dir) => {
    const entries = await loadCensusEntries(dir);
    return (listen) => startCensusDemo({ entries, ...listen });
  },
  ban: async (dir) => {
    const entries = await loadBanEntries(dir);
    return (listen) => startBanDemo({ entries, ...listen });
  },
};

export async function startDemoProviders(opts: DemoProvidersOptions = {}): Promise<DemoProviders> {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  const names = Object.keys(DEMO_STARTERS) as HttpProviderName[];
  // Load every file before starting anything, so bad data never leaves a server running.
  const starters = await Promise.all(names.map((name) => DEMO_STARTERS[name](dataDir)));
  const started: Array<[HttpProviderName, DemoServer]> = [];
  const closeAll = async () => {
    await Promise.all(started.map(([, server]) => server.close()));
  };
  try {
    for (const [i, name] of names.entries()) {
      started.push([name, await starters[i]!({ host: opts.host, port: opts.ports?.[name] })]);
    }
  } catch (error) {
    await closeAll(); // e.g. a port is taken: don't leak the servers already started
    throw error;
  }
  return { ...(Object.fromEntries(started) as Record<HttpProviderName, DemoServer>), close: closeAll };
}

/**
 * The environment that points every provider at its demo server. The demo FEC server gets a key of its own (it
 * accepts any): with DEMO_KEY it announces api.data.gov's 30 an hour, which the client obeys, and the demo's
 * supporters are more than that; a real key is never sent to a demo server either.
 */
export function demoProviderEnv(demo: DemoProviders): Record<string, string> {
  const names = Object.keys(DEMO_STARTERS) as HttpProviderName[];
  return {
    ...Object.fromEntries(names.map((name) => [`PROVIDER_${name.toUpperCase()}_BASE_URL`, demo[name].url])),
    // Set explicitly: the FEC client never falls back to DEMO_KEY by itself.
    FEC_API_KEY: 'demo-personal-key',
  };
}
