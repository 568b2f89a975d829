/**
 * Replays downloaded workflow histories on the current workflow code and says whether each still replays.
 *
 *   npx tsx scripts/replay-history.ts run.json [more.json …]
 *
 * A history comes from the Web UI (Download) or `temporal workflow show --workflow-id <id> --output json`.
 * Exit 0 when every history replays, 1 when one does not (the error names the first divergence).
 * Payloads are decrypted with the keys of the environment (PAYLOAD_KEYS, else derived from PSEUDONYM_KEY), as the
 * workers do: run it with the workers' environment.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker } from '@temporalio/worker';
import { dataConverterFor } from '../client/codec/data-converter.js';
import { loadConfig } from '../config.js';
import { WORKFLOWS_PATH } from '../worker/start-workers.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: npx tsx scripts/replay-history.ts <history.json> [...]\n');
  process.exit(1);
}
const histories = await Promise.all(
  files.map(async (file) => ({
    workflowId: basename(file),
    history: JSON.parse(await readFile(file, 'utf8')) as unknown,
  })),
);
let failed = 0;
for await (const result of Worker.runReplayHistories(
  { workflowsPath: WORKFLOWS_PATH, dataConverter: dataConverterFor(loadConfig(process.env)) },
  histories,
)) {
  if (result.error) failed += 1;
  process.stdout.write(
    `${result.error ? 'DIVERGES' : 'replays '}  ${result.workflowId}${result.error ? `: ${String(result.error)}` : ''}\n`,
  );
}
process.exitCode = failed ? 1 : 0;
