#!/usr/bin/env node
// The `enrich` command runs the JavaScript that `npm run build` writes to dist/ (`npm run setup` builds it), so
// a call starts Node and its command's modules, and compiles nothing. `npm run enrich:src` runs the sources.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const main = new URL('../dist/enrich.js', import.meta.url);
if (existsSync(main)) {
  await import(main.href);
} else {
  process.stderr.write('enrich: dist/ is missing: run `npm run build` (or `npm run setup`)\n');
  process.exitCode = 1;
}
