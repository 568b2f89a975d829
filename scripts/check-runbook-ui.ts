/**
 * Walks the operator runbook (docs/operations.md) in the real Temporal Web UI, as a new operator would, with headless
 * Chromium: find the flagged contact, read the `status` query, send `retryLookups` as an update and as a signal,
 * reset the run, download its history and replay it. Each step is checked against the server, not the screen.
 *
 *   npx tsx scripts/check-runbook-ui.ts            (needs Chromium: `apt-get install chromium`, or CHROME_PATH)
 *
 * It starts its own `enrich dev --demo` stack (Web UI included) on free ports in a temporary folder. Exit 0 when
 * every step worked; otherwise exit 1, naming the step, with a screenshot next to the temporary folder's path.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import puppeteer, { type Page } from 'puppeteer-core';
import { dataConverterFor } from '../client/codec/data-converter.js';
import { startDevStack } from '../dev/start-dev-stack.js';
import { startEnrichment } from '../client/start-enrichment.js';
import { waitForSettled } from '../client/wait-for-settled.js';
import { createLogger } from '../logger.js';
import { freePort } from '../tests/support/free-port.js';

const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';
const REPLAY_SCRIPT = fileURLToPath(new URL('./replay-history.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
/** The demo supporter whose Gravatar always answers 500: flagged, and flagged again after every retry. */
const FLAGGED_EMAIL = 'fiona.flaky@example.org';

const dir = await mkdtemp(join(tmpdir(), 'enrich-runbook-'));
const env: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? dir,
  PGLITE_DIR: join(dir, 'pglite'),
  TEMPORAL_DB_FILE: join(dir, 'temporal.db'),
  TEMPORAL_PORT: String(await freePort()),
  TEMPORAL_UI_PORT: String(await freePort()),
  // A real port, not 0: the UI is told where the codec endpoint is before the API listens.
  API_PORT: String(await freePort()),
  PSEUDONYM_KEY: 'runbook-check-pseudonym-key-0123456789',
  // Quick failures, and a workflow that stays open (waiting an hour for its next scheduled retry).
  PROVIDER_GRAVATAR_MAX_ATTEMPTS: '2',
  RETRY_INITIAL_INTERVAL_MS: '100',
  RETRY_MAXIMUM_INTERVAL_MS: '200',
  LOOKUP_RETRY_SCHEDULE: '1h',
  LOG_LEVEL: 'error',
};
const stack = await startDevStack({ env, demo: true, logger: createLogger('error', 'runbook'), headless: false });
const connection = await Connection.connect({ address: stack.temporalAddress });
const client = new Client({
  connection,
  namespace: stack.config.temporal.namespace,
  dataConverter: dataConverterFor(stack.config),
});
const browser = await puppeteer.launch({ executablePath: CHROME, args: ['--no-sandbox'], headless: true });
const page = await browser.newPage();
await page.setViewport({ width: 1400, height: 1000 });
const ui = `${stack.uiUrl!}/namespaces/${stack.config.temporal.namespace}`;

let step = 'start';
const passed: string[] = [];
async function check(name: string, run: () => Promise<string>): Promise<void> {
  step = name;
  const detail = await run();
  passed.push(name);
  process.stdout.write(`ok  ${name}: ${detail}\n`);
}

/** Clicks the first visible element matching `xpath` (the UI keeps hidden copies of its menus for small screens). */
async function click(target: Page, xpath: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const handle of await target.$$(`::-p-xpath(${xpath})`)) {
      if (await handle.isVisible()) return handle.click();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`nothing visible matches ${xpath}`);
}
const button = (text: string) => `//button[contains(normalize-space(.),"${text}")]`;
const inDialog = (xpath: string) => `//*[local-name()="dialog" or @role="dialog"]${xpath}`;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The names of the events of a run's history, read from the server. */
async function eventTypes(workflowId: string, runId?: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')) ?? '');
}

/** Opens More Actions → `action` and fills the dialog: picks `option` from its first list, types `data` if given. */
async function moreActions(action: string, option: string, data?: string): Promise<void> {
  await click(page, button('More Actions'));
  await click(page, `//*[@role="menuitem"][contains(normalize-space(.),"${action}")]`);
  await click(page, inDialog('//button[@aria-haspopup="true"]'));
  await click(page, inDialog(`//li[@role="option"][starts-with(normalize-space(.),"${option}")]`));
  if (data !== undefined) {
    await click(page, inDialog('//*[@role="textbox"]'));
    await page.keyboard.type(data);
    // Leaving the editor reformats its JSON, which moves the buttons: do it before aiming at one.
    await page.evaluate('document.activeElement?.blur()');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Presses the open dialog's `label` button once the UI has validated the form and enabled it. */
async function submitDialog(label: string): Promise<void> {
  const enabled = inDialog(`//button[contains(normalize-space(.),"${label}")][not(@disabled)]`);
  await click(page, enabled);
  // The dialog closes once the server has taken the request.
  // (Browser code as strings: this program is type-checked without the DOM library.)
  await page.waitForFunction("![...document.querySelectorAll('dialog')].some((d) => d.open)", { timeout: 60_000 });
}

let exitCode = 0;
try {
  const started = await startEnrichment(client, stack.config, {
    email: FLAGGED_EMAIL,
    consent: { socialProfiles: true, at: new Date().toISOString(), noticeVersion: 'runbook' },
  });
  const workflowId = started.workflowId;
  const firstRunId = (await client.workflow.getHandle(workflowId).describe()).runId;
  const settled = await waitForSettled(client, workflowId);
  if (settled.status !== 'flagged') throw new Error(`expected the demo contact to be flagged, it is ${settled.status}`);
  const gravatar = stack.demo!.gravatar;
  const runPage = (runId: string, tab: string) => `${ui}/workflows/${encodeURIComponent(workflowId)}/${runId}/${tab}`;

  await check('1. find flagged contacts', async () => {
    await page.goto(`${ui}/workflows?query=${encodeURIComponent('EnrichmentStatus="flagged"')}`, {
      waitUntil: 'domcontentloaded',
    });
    await page.waitForSelector(`::-p-xpath(//a[contains(@href,"${encodeURIComponent(workflowId)}")])`, {
      timeout: 30_000,
    });
    return 'the filtered list shows the contact';
  });

  await check('2. read the status query', async () => {
    await page.goto(runPage(firstRunId, 'query'), { waitUntil: 'domcontentloaded' });
    // The tab first asks the workflow which queries it has, through a worker: it can take a while.
    await click(page, button('Run Query'), 60_000);
    await page.waitForFunction("document.body.innerText.includes('ProviderUnavailable')", { timeout: 30_000 });
    const text = String(await page.evaluate('document.body.innerText'));
    if (!text.includes('"flagged"') || !text.includes('gravatar answered HTTP 500'))
      throw new Error('the status answer lacks the flagged status or the error');
    return 'status "flagged", gravatar ProviderUnavailable, "gravatar answered HTTP 500"';
  });

  await check('3a. send the retryLookups update', async () => {
    const before = gravatar.requests();
    await page.goto(runPage(firstRunId, 'history'), { waitUntil: 'domcontentloaded' });
    await moreActions('Send an Update', 'retryLookups', '{"providers": ["gravatar"]}');
    await submitDialog('Submit');
    await waitFor(
      'the update to complete',
      async () =>
        (await eventTypes(workflowId, firstRunId)).includes('workflowExecutionUpdateCompletedEventAttributes') ||
        undefined,
    );
    return `update completed; gravatar asked ${gravatar.requests() - before} more time(s)`;
  });

  await check('3b. send the retryLookups signal', async () => {
    const before = gravatar.requests();
    await page.goto(runPage(firstRunId, 'history'), { waitUntil: 'domcontentloaded' });
    await moreActions('Send a Signal', 'retryLookups', '{}');
    await submitDialog('Submit');
    await waitFor(
      'the signal',
      async () =>
        (await eventTypes(workflowId, firstRunId)).includes('workflowExecutionSignaledEventAttributes') || undefined,
    );
    await waitFor('the signalled retry to reach Gravatar', () =>
      Promise.resolve(gravatar.requests() > before ? true : undefined),
    );
    return `signal received; gravatar asked again`;
  });

  let resetRunId = '';
  await check('4. reset to the first workflow task', async () => {
    await page.goto(runPage(firstRunId, 'history'), { waitUntil: 'domcontentloaded' });
    // "The first workflow task": the first WorkflowTaskCompleted event, as `--type FirstWorkflowTask` picks.
    const events = (await client.workflow.getHandle(workflowId, firstRunId).fetchHistory()).events ?? [];
    const first = events.find((e) => e.workflowTaskCompletedEventAttributes)!.eventId!.toString();
    await moreActions('Reset', `${first} - WorkflowTaskCompleted`);
    await click(page, inDialog('//input[@id="reset-reason"]'));
    await page.keyboard.type('runbook check');
    await page.evaluate('document.activeElement?.blur()');
    await new Promise((r) => setTimeout(r, 500));
    await submitDialog('Confirm');
    resetRunId = await waitFor('the reset run', async () => {
      const latest = (await client.workflow.getHandle(workflowId).describe()).runId;
      return latest !== firstRunId ? latest : undefined;
    });
    const old = await client.workflow.getHandle(workflowId, firstRunId).describe();
    const again = await waitForSettled(client, workflowId);
    if (again.status !== 'flagged') throw new Error(`the reset run settled ${again.status}`);
    return `first run ${old.status.name}, the new run settled ${again.status}`;
  });

  await check('5. download the history and replay it', async () => {
    const downloads = join(dir, 'downloads');
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    await page.goto(runPage(resetRunId, 'history'), { waitUntil: 'domcontentloaded' });
    await click(page, button('Download'));
    // The dialog offers Encoded (for SDK replayers, the default), Decoded and Human Readable.
    await click(page, inDialog(button('Download')));
    const file = await waitFor('the downloaded file', async () =>
      (await readdir(downloads).catch(() => [])).find((f) => f.endsWith('.json')),
    );
    const replay = await promisify(execFile)(TSX, [REPLAY_SCRIPT, join(downloads, file)], {
      env: { ...process.env, ...env },
    }).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(`the downloaded history does not replay: ${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    return replay.stdout.trim();
  });
} catch (err) {
  exitCode = 1;
  const shot = join(tmpdir(), `runbook-${step.replace(/\W+/g, '-')}.png`);
  await page.screenshot({ path: shot }).catch(() => undefined);
  process.stderr.write(
    `FAILED at "${step}": ${err instanceof Error ? err.message : String(err)}\n(screenshot: ${shot})\n`,
  );
} finally {
  await browser.close();
  await connection.close();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
process.stdout.write(`${passed.length} of 6 runbook steps work in the Web UI\n`);
process.exit(exitCode);
