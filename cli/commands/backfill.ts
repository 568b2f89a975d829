import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { backfill, backfillSummary, type BackfillFormat, type BackfillResult } from '../backfill/backfill.js';
import { CSV_SOURCES, CsvHeaderError } from '../backfill/column-aliases.js';
import { CsvInputError } from '../backfill/csv-rows.js';
import { createProgressBar } from '../backfill/progress-bar.js';
import { RejectsFileError } from '../backfill/rejects-file.js';
import { backfillClient, temporalStarter } from '../backfill/temporal-starter.js';
import { temporalAddress } from '../../client/temporal-client.js';
import { startUnlessOptedOut } from '../../client/list-opt-outs.js';
import type { Signup } from '../../schemas/signup.js';
import type { ListStatus } from '../../schemas/list-status.js';
import type { StartEnrichmentResult } from '../../client/start-enrichment.js';
import { openStore } from '../../store/open-store.js';
import { migrateToLatest } from '../../store/migrate.js';
import type { DatabaseHandle } from '../../store/open-database.js';
import { readDevStackInfo } from '../../dev/dev-stack-file.js';
import { CommandError } from './command-error.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Starts in flight at once unless `--concurrency` says otherwise. */
export const DEFAULT_BACKFILL_CONCURRENCY = 16;

/** The options as commander hands them over (strings and flags), validated here. */
export interface BackfillCommandOptions {
  concurrency?: string;
  dryRun?: boolean;
  rejects?: string;
  reenrich?: boolean;
  json?: boolean;
  from?: string;
}

const OptionsSchema = z.object({
  concurrency: z.coerce.number().int().min(1).max(1000).default(DEFAULT_BACKFILL_CONCURRENCY),
  dryRun: z.boolean().default(false),
  rejects: z.string().min(1).optional(),
  reenrich: z.boolean().default(false),
  json: z.boolean().default(false),
  from: z.enum(CSV_SOURCES, { error: `must be one of ${CSV_SOURCES.join(', ')}` }).optional(),
});

/**
 * The store the backfill records list opt-outs in and checks the suppression list against: Postgres when
 * `DATABASE_URL` is set, else the embedded database, unless a running `enrich dev` holds it (then none: opted-out
 * rows are still not started, only not recorded).
 */
async function openGateStore(config: Config): Promise<DatabaseHandle | undefined> {
  if (!config.database.url && (await readDevStackInfo(config.database.pgliteDir))) return undefined;
  const database = await openStore(config, undefined, 4);
  if (database.embedded) await migrateToLatest(database.db);
  return database;
}

const FORMAT_BY_EXTENSION: Record<string, BackfillFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

/** The input stream and, for a file, its size (the progress bar's 100%). `-` is stdin. */
async function openInput(
  file: string,
): Promise<{ input: NodeJS.ReadableStream & AsyncIterable<Buffer>; size?: number; format?: BackfillFormat }> {
  if (file === '-') return { input: process.stdin };
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new CommandError(`backfill: cannot read ${file} (${err.code ?? err.message})`);
  });
  if (!info.isFile()) throw new CommandError(`backfill: ${file} is not a file`);
  return {
    input: createReadStream(file, { highWaterMark: 64 * 1024 }),
    size: info.size,
    format: FORMAT_BY_EXTENSION[extname(file).toLowerCase()],
  };
}

function humanSummary(result: BackfillResult, dryRun: boolean): string {
  const seconds = result.elapsedMs / 1000;
  const what = `${result.rows} rows (${result.format}, ${result.encoding}) in ${seconds.toFixed(1)} s`;
  if (dryRun) return `backfill (dry run): ${what}: ${result.valid} valid, ${result.rejected} rejected; nothing started`;
  const figures = `${result.started} started, ${result.existing} existing, ${result.rejected} rejected, ${result.suppressed} suppressed`;
  return `backfill: ${what}: ${figures}${result.notStarted ? `, ${result.notStarted} NOT started` : ''}`;
}

/**
 * `enrich backfill <file.csv|file.jsonl|->`: starts enrichment for every valid row (see `backfill/backfill.ts`).
 * Prints the summary on stdout (one JSON object with `--json`) and a progress bar on stderr when it is a terminal.
 * Ctrl-C stops reading, lets starts in flight finish, prints the summary and exits 1; a second Ctrl-C quits at
 * once. Exit 1 too when any valid row was not started, naming how many: re-running the same command resumes.
 */
export async function runBackfill(
  config: Config,
  file: string,
  rawOptions: BackfillCommandOptions,
): Promise<BackfillResult> {
  const parsed = OptionsSchema.safeParse(rawOptions);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CommandError(`backfill: --${issue?.path.join('.') ?? 'option'}: ${issue?.message ?? 'invalid'}`);
  }
  const options = parsed.data;
  const { input, size, format } = await openInput(file);

  const client = options.dryRun ? undefined : backfillClient(temporalAddress(config), config);
  const database = options.dryRun ? undefined : await openGateStore(config);
  const plain = client ? temporalStarter(client, config, undefined, { reenrich: options.reenrich }) : undefined;
  const start =
    client && plain && database
      ? (signup: Signup, statuses: readonly ListStatus[]): Promise<StartEnrichmentResult> =>
          startUnlessOptedOut({ db: database.db, temporal: client, config }, signup, statuses, 'backfill', plain)
      : plain;

  const controller = new AbortController();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) process.exit(130);
    controller.abort();
    process.stderr.write('\nbackfill: stopping after the starts in flight (Ctrl-C again to quit at once)…\n');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const bar = createProgressBar(process.stderr, size);

  let result: BackfillResult;
  try {
    result = await backfill({
      input,
      format,
      concurrency: options.concurrency,
      dryRun: options.dryRun,
      rejectsPath: options.rejects,
      start,
      honoursStatuses: database !== undefined,
      from: options.from,
      signal: controller.signal,
      onProgress: (p) => bar.update(p),
    });
  } catch (err) {
    if (err instanceof CsvHeaderError || err instanceof CsvInputError || err instanceof RejectsFileError) {
      throw new CommandError(`backfill: ${err.message}`);
    }
    throw err;
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await client?.connection.close();
    await database?.close();
    if (input === process.stdin) process.stdin.destroy();
  }

  process.stdout.write(
    options.json ? `${JSON.stringify(backfillSummary(result))}\n` : `${humanSummary(result, options.dryRun)}\n`,
  );
  if (result.interrupted) {
    const notStarted = result.notStarted ? ` (${result.notStarted} of them valid but not started)` : '';
    throw new CommandError(
      `backfill: interrupted after ${result.rows} rows${notStarted}; re-run the same command to resume`,
    );
  }
  if (result.notStarted > 0) {
    throw new CommandError(
      `backfill: ${result.notStarted} valid row(s) were not started: Temporal did not acknowledge (${result.startError ?? 'unknown error'}); re-run the same command to start them`,
    );
  }
  return result;
}

/** `enrich backfill <file>`: see {@link runBackfill}. */
export function register(program: Command, context: CliContext): void {
  program
    .command('backfill <file>')
    .description('start enrichment for every valid row of a CSV or JSONL file (- for stdin); re-running resumes')
    .option('--concurrency <n>', 'starts in flight at once', String(DEFAULT_BACKFILL_CONCURRENCY))
    .option('--dry-run', 'validate every row and write the rejects file, start nothing')
    .option('--rejects <file>', 'write bad rows there as CSV: line,reason')
    .option(
      '--reenrich',
      'start a new enrichment for supporters whose enrichment has finished (running ones are left alone)',
    )
    .option('--json', 'print the final summary as one JSON object: {rows, started, existing, rejected, suppressed}')
    .option(
      '--from <export>',
      'read the CSV as a nationbuilder or actionnetwork export (default: told by its header, else generic)',
    )
    .action(async (file: string, opts: BackfillCommandOptions) => {
      await runBackfill(context.config, file, opts);
    });
}
