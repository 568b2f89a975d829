import type { Config } from '../../config.js';
import { readDevStackInfo } from '../../dev/dev-stack-file.js';

/** A running HTTP API a command can go through instead of opening Temporal or the database itself. */
export interface RunningApi {
  url: string;
  /** Bearer token for reads (`API_TOKEN`). */
  apiToken?: string;
  /** Bearer token for `POST /v1/signups` (`SIGNUP_TOKEN`). */
  signupToken?: string;
}

/**
 * The API a command should use: `API_URL` with the tokens configured beside it; else, while `enrich dev` holds the
 * embedded database, the dev stack's API with the tokens it made up (dev-stack.json); else none. Going through the
 * API spares a short-lived command the Temporal client (loading it is most of a signup's start-up time) and lets
 * the API apply what only it sees, such as the suppression list.
 */
export async function runningApi(config: Config): Promise<RunningApi | undefined> {
  if (config.api.url)
    return { url: config.api.url, apiToken: config.api.apiToken, signupToken: config.api.signupToken };
  if (config.database.url) return undefined;
  const dev = await readDevStackInfo(config.database.pgliteDir);
  return dev ? { url: dev.apiUrl, apiToken: dev.apiToken, signupToken: dev.signupToken } : undefined;
}
