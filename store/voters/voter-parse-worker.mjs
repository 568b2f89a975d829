// The entry of a voter import's worker thread: a worker does not inherit the TypeScript loader that `bin/enrich.js`
// registers (or that tsx and vitest set up), so it registers tsx itself before loading the worker's code.
import { register } from 'tsx/esm/api';

register();
await import('./voter-parse-worker.ts');
