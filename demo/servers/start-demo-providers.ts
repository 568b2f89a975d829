/**
 * Starts both demo providers from the data files: what `enrich dev --demo`
 * and the integration tests point their Gravatar and GitHub clients at.
 */
import { DEFAULT_DATA_DIR, loadGithubEntries, loadGravatarEntries } from './demo-data.js';
import type { DemoServer } from './demo-server.js';
import { startGithubDemo } from './github-server.js';
import { startGravatarDemo } from './gravatar-server.js';

export interface DemoProvidersOptions {
  host?: string | undefined;
  /** 0 or absent = a random free port. */
  ports?: { gravatar?: number | undefined; github?: number | undefined } | undefined;
  /** Folder holding `gravatar.json` and `github.json`; defaults to `demo/data/`. */
  dataDir?: string | undefined;
}

export interface DemoProviders {
  gravatar: DemoServer;
  github: DemoServer;
  close(): Promise<void>;
}

export async function startDemoProviders(opts: DemoProvidersOptions = {}): Promise<DemoProviders> {
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  // Load both files before starting anything, so bad data never leaves a server running.
  const [gravatarEntries, githubEntries] = await Promise.all([
    loadGravatarEntries(dataDir),
    loadGithubEntries(dataDir),
  ]);
  const gravatar = await startGravatarDemo({ entries: gravatarEntries, host: opts.host, port: opts.ports?.gravatar });
  let github: DemoServer;
  try {
    github = await startGithubDemo({ entries: githubEntries, host: opts.host, port: opts.ports?.github });
  } catch (error) {
    await gravatar.close(); // e.g. the GitHub port is taken: don't leak the first server
    throw error;
  }
  return {
    gravatar,
    github,
    close: async () => {
      await Promise.all([gravatar.close(), github.close()]);
    },
  };
}
