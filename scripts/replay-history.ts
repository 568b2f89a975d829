/**
 * Replays downloaded workflow histories on the current workflow code and says whether each still replays.
 *
 *   npx tsx scripts/replay-history.ts run.json [more.json …]
 *
 * A history comes from the Web UI (Download) or `temporal workflow show --workflow-id <id> --output json`.
 * Exit 0 when every history replays, 1 when one does not (the error names the first divergence).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../worker/start-workers.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: npx tsx scripts/replay-history.ts <history.json> [...]\n');
  process.exit(1);
}
const histories = await Promise.all(
  files.map(async (file) => ({ workflowId: basename(file), history: JSON.parse(await readFile(file, 'utf8')) as unknown })),
);
let failed = 0;
for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
  if (result.error) failed += 1;
  process.stdout.write(`${result.error ? 'DIVERGES' : 'replays '}  ${result.workflowId}${result.error ? `: ${String(result.error)}` : ''}\n`);
}
process.exitCode = failed ? 1 : 0;
