import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * While `enrich dev` holds the embedded database, other commands reach the data through its API. This file, next
 * to the PGlite folder and readable only by its owner, says where the API is and which token it takes.
 */
export interface DevStackInfo {
  pid: number;
  apiUrl: string;
  apiToken: string;
  signupToken: string;
}

export function devStackFile(pgliteDir: string): string {
  return join(dirname(pgliteDir), 'dev-stack.json');
}

export async function writeDevStackInfo(pgliteDir: string, info: DevStackInfo): Promise<void> {
  await writeFile(devStackFile(pgliteDir), JSON.stringify(info, null, 2), { mode: 0o600 });
}

export async function removeDevStackInfo(pgliteDir: string): Promise<void> {
  await rm(devStackFile(pgliteDir), { force: true });
}

/** The running dev stack's details, or undefined when none is running (a stale file of a dead process is ignored). */
export async function readDevStackInfo(pgliteDir: string): Promise<DevStackInfo | undefined> {
  try {
    const info = JSON.parse(await readFile(devStackFile(pgliteDir), 'utf8')) as DevStackInfo;
    process.kill(info.pid, 0);
    return info;
  } catch {
    return undefined;
  }
}
