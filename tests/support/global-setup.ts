import { execFileSync } from 'node:child_process';

/**
 * Once per test run, before any file: build dist/ from the sources under test, since tests run the real `enrich`
 * binary (bin/enrich.js runs dist/) and workers load dist/'s workflow bundle. A stale dist/ would test old code.
 */
export default function buildDistOnce(): void {
  execFileSync('node_modules/.bin/tsx', ['scripts/build.ts'], { stdio: ['ignore', 'ignore', 'inherit'] });
}
