import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import pLimit from 'p-limit';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { RetryLookupsRequest } from '../../schemas/enrichment.js';
import type { Database } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { importVoterFile, type ImportVoterFileResult } from '../../store/voters/import-voter-file.js';
import { rematchVoters, type RematchResult } from '../../store/voters/rematch-voters.js';
import {
  NCVOTER_MAPPING,
  parseVoterFileMapping,
  VoterFileError,
  type VoterFileMapping,
} from '../../store/voters/voter-file-format.js';
import type { MatchThresholds } from '../../domain/voter-matching/score.js';
import { decodeText, type DecodeState } from '../../domain/decode-text.js';
import { openRejectsFile, RejectsFileError, type RejectsFile } from '../backfill/rejects-file.js';
import { readDevStackInfo } from '../../dev/dev-stack-file.js';
import { openStore } from '../../store/open-store.js';
import { CommandError } from './command-error.js';
import { createTemporalClient, temporalAddress } from '../../client/temporal-client.js';
import { retryLookupsSignal } from '../../workflows/enrich-contact.js';
import { enrichContactWorkflowId } from '../../schemas/ids.js';
import { FlaggedProvidersKey } from '../../workflows/search-attributes.js';
import { remergeContactIds, type RemergeResult } from './remerge.js';
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';

export const VOTER_FILE_FORMATS = ['ncvoter', 'csv'] as const;

/** `enrich voters import` options as commander hands them over, validated here. */
export interface VotersImportOptions {
  format?: string;
  mapping?: string;
  history?: string;
  rejects?: string;
  json?: boolean;
}

const ImportOptionsSchema = z.object({
  format: z.enum(VOTER_FILE_FORMATS, { error: 'must be ncvoter or csv' }),
  mapping: z.string().min(1).optional(),
  history: z.string().min(1).optional(),
  rejects: z.string().min(1).optional(),
  json: z.boolean().default(false),
});

/** `enrich voters rematch` options. */
export interface VotersRematchOptions {
  high?: string;
  low?: string;
  json?: boolean;
  /** `--no-notify` sets it false: open enrichments flagged on the voter file are not signalled. */
  notify?: boolean;
}

const RematchOptionsSchema = z.object({
  high: z.coerce.number().gt(0).max(1).optional(),
  low: z.coerce.number().gt(0).max(1).optional(),
  json: z.boolean().default(false),
  notify: z.boolean().default(true),
});

function parseOptions<T>(command: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new CommandError(`voters ${command}: --${issue?.path.join('.') || 'option'}: ${issue?.message ?? 'invalid'}`);
}

/** A file's bytes as text: UTF-8, or Latin-1 (Windows-1252) from the first byte that is not UTF-8, in constant memory. */
async function openText(
  command: string,
  path: string,
): Promise<{ text: AsyncIterable<string>; decoding: DecodeState }> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new CommandError(`voters ${command}: cannot read ${path} (${err.code ?? err.message})`);
  });
  if (!info.isFile()) throw new CommandError(`voters ${command}: ${path} is not a file`);
  const decoding: DecodeState = { encoding: 'utf-8' };
  return { text: decodeText(createReadStream(path, { highWaterMark: 256 * 1024 }), decoding), decoding };
}

/**
 * The store for a bulk command. The embedded database may be open in one process only, so a running `enrich dev`
 * must be stopped first (or DATABASE_URL set); its schema is brought up to date here, as the other commands do.
 */
async function openBulkStore(command: string, config: Config) {
  if (!config.database.url && (await readDevStackInfo(config.database.pgliteDir))) {
    throw new CommandError(
      `voters ${command}: enrich dev holds the embedded database in ${config.database.pgliteDir}; stop it first, or set DATABASE_URL`,
    );
  }
  const database = await openStore(config, undefined, 2);
  if (database.embedded) await migrateToLatest(database.db);
  return database;
}

async function readMapping(
  format: (typeof VOTER_FILE_FORMATS)[number],
  path: string | undefined,
): Promise<VoterFileMapping> {
  if (path === undefined) {
    if (format === 'csv')
      throw new CommandError(
        'voters import: --format csv needs --mapping FILE (a JSON column mapping; see docs/voter-file.md, "Other layouts")',
      );
    return NCVOTER_MAPPING;
  }
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CommandError(`voters import: cannot read the mapping ${path} (${err.code ?? err.message})`);
  });
  try {
    return parseVoterFileMapping(text);
  } catch (err) {
    throw new CommandError(`voters import: ${path}: ${(err as Error).message}`);
  }
}

/** What `enrich voters import` prints: one line, or one JSON object with `--json`. */
export function formatImport(result: ImportVoterFileResult & { encoding: string }, json: boolean): string {
  if (json) return `${JSON.stringify(result)}\n`;
  const seconds = result.timings.totalMs / 1000;
  const rate = Math.round(result.rows / Math.max(seconds, 0.001));
  const history =
    result.historyRows === null ? '' : `; history: ${result.historyRows} votes, ${result.historyRejected} rejected`;
  const missing = result.missingColumns.length
    ? `\n  columns not in the file (left empty): ${result.missingColumns.join(', ')}`
    : '';
  return `voters import: ${result.rows} rows (${result.encoding}) in ${seconds.toFixed(1)} s (${rate} rows/s): ${result.voters} voters live, ${result.rejected} rejected (${result.duplicates} duplicate ids)${history}; import ${result.importId}${missing}\n`;
}

/**
 * `enrich voters import FILE --format ncvoter|csv [--mapping FILE] [--history FILE] [--rejects FILE]`: loads a voter
 * file as the current one (see store/voters/import-voter-file.ts). Bad rows go to the rejects file as
 * `line,reason` (a history row's reason starts with `history:`); they never stop the load.
 */
export async function runVotersImport(config: Config, file: string, raw: VotersImportOptions): Promise<string> {
  const options = parseOptions('import', ImportOptionsSchema, raw);
  const mapping = await readMapping(options.format, options.mapping);
  if (options.history && !mapping.history)
    throw new CommandError('voters import: --history needs a "history" layout in the mapping');
  const voters = await openText('import', file);
  const history = options.history ? await openText('import', options.history) : undefined;
  let rejects: RejectsFile | undefined;
  if (options.rejects) {
    rejects = await openRejectsFile(options.rejects).catch((err: unknown) => {
      throw new CommandError(`voters import: ${(err as Error).message}`);
    });
  }
  const database = await openBulkStore('import', config);
  const progress = process.stderr.isTTY && !options.json;
  try {
    const result = await importVoterFile({
      db: database.db,
      postgresUrl: config.database.url,
      source: basename(file),
      format: options.format,
      mapping,
      text: voters.text,
      history: history && options.history ? { source: basename(options.history), text: history.text } : undefined,
      onReject: (r) => rejects?.write(r.line, r.file === 'history' ? `history: ${r.reason}` : r.reason),
      onProgress: progress ? (p) => process.stderr.write(`\r${p.file}: ${p.rows} rows read`) : undefined,
    });
    if (progress) process.stderr.write('\n');
    await rejects?.close();
    return formatImport({ ...result, encoding: voters.decoding.encoding }, options.json);
  } catch (err) {
    await rejects?.close().catch(() => undefined);
    if (err instanceof VoterFileError || err instanceof RejectsFileError)
      throw new CommandError(`voters import: ${err.message}`);
    throw err;
  } finally {
    await database.close();
  }
}

/** What `enrich voters rematch` did: the rematch, then the re-merge of the records it changed. */
export type VotersRematchResult = RematchResult & { remerged: RemergeResult };

/** What telling the open enrichments came to: how many were signalled, and a warning when some or all were not. */
export interface RematchNotifyOutcome {
  /** Open enrichments flagged on `voterfile`, among the contacts the rematch changed, signalled to re-run that lookup. */
  notified: number;
  /** Why open enrichments may still be flagged on `voterfile` in Temporal, naming what to run instead. */
  warning?: string;
}

/** What `enrich voters rematch` reports. */
export type VotersRematchReport = VotersRematchResult & RematchNotifyOutcome;

/** What `enrich voters rematch` prints. */
export function formatRematch(result: VotersRematchReport, json: boolean): string {
  if (json) return `${JSON.stringify({ ...result, changedContactIds: undefined })}\n`;
  const c = result.changes;
  const seconds = result.elapsedMs / 1000;
  return [
    `voters rematch: ${result.contacts} contacts against import ${result.importId ?? '(none)'} in ${seconds.toFixed(1)} s (${Math.round(result.contacts / Math.max(seconds, 0.001))} contacts/s)`,
    `  now: ${result.matched} matched, ${result.ambiguous} ambiguous (kept for review), ${result.noMatch} no match, ${result.skipped} without enough to match on`,
    `  changed: ${c.new_match} new matches, ${c.moved} moved, ${c.updated} updated, ${c.dropped} dropped from the rolls, ${c.other_voter} matched another voter`,
    `  ${result.changedContactIds.length} contacts have new observations or a new voterfile outcome: ${result.remerged.examined} records re-merged, ${result.remerged.changed} changed`,
    `  notified: ${result.notified} open enrichments flagged on voterfile, signalled to re-run that lookup against this file`,
    ...(result.warning ? [`warning: ${result.warning}`] : []),
    '',
  ].join('\n');
}

/**
 * Re-matches every contact against the current voter file in set-based SQL (store/voters/rematch-voters.ts), then
 * re-merges the records of the contacts it changed, as `enrich remerge` would: a new match, a move or a drop shows
 * in `voter`, and a resolved ambiguity unflags the contact. The thresholds default to the lookup's own
 * (VOTERFILE_HIGH_THRESHOLD / VOTERFILE_LOW_THRESHOLD), so both decide alike. With the database's postgres:// URL the
 * rematch scores on two connections at once (see rematchVoters).
 */
export async function rematchAndRemerge(
  db: Kysely<Database>,
  thresholds: MatchThresholds,
  postgresUrl?: string,
): Promise<VotersRematchResult> {
  const result = await rematchVoters(db, { thresholds, postgresUrl });
  const remerged = await remergeContactIds(db, result.changedContactIds);
  return { ...result, remerged };
}

/**
 * Open enrichments whose voter-file lookup failed (AmbiguousMatch): usually a handful, however many contacts a
 * rematch changes, so they are listed from visibility and intersected with the changed contacts.
 */
export const OPEN_FLAGGED_ON_VOTERFILE_QUERY =
  'WorkflowType = "enrichContact" AND ExecutionStatus = "Running" AND FlaggedProviders = "voterfile"';

/** Signals in flight at once when notifying open enrichments. */
export const DEFAULT_NOTIFY_CONCURRENCY = 10;

const RETRY_VOTERFILE: RetryLookupsRequest = { providers: ['voterfile'] };

/** What to run when open enrichments could not be told: it re-runs every flagged contact's failed lookups. */
const RETRY_INSTEAD =
  'run `enrich retry --all-flagged` so their workflows re-run the voterfile lookup against the new file';

/**
 * Tells the open enrichments of the contacts a rematch changed that the voter file did: each one still running and
 * flagged on `voterfile` gets the `retryLookups` signal for `voterfile` only, re-runs that lookup against the new
 * file (the lookup and the rematch score alike) and unflags or completes by itself. Signals, not updates: nothing
 * waits for a workflow's lookup. Visibility lags a workflow by a moment, so each candidate is confirmed on the
 * workflow itself and its current run is signalled, never a later one. A workflow that closed meanwhile is skipped.
 */
export async function notifyOpenVoterfileFlags(
  client: Client,
  changedContactIds: readonly string[],
  concurrency = DEFAULT_NOTIFY_CONCURRENCY,
): Promise<{ notified: number; failed: number; firstError?: string }> {
  if (changedContactIds.length === 0) return { notified: 0, failed: 0 };
  const changed = new Set(changedContactIds.map((id) => enrichContactWorkflowId(id)));
  const candidates = new Set<string>();
  for await (const execution of client.workflow.list({ query: OPEN_FLAGGED_ON_VOTERFILE_QUERY })) {
    if (changed.has(execution.workflowId)) candidates.add(execution.workflowId);
  }
  const limit = pLimit(concurrency);
  const outcomes = await Promise.allSettled(
    [...candidates].map((workflowId) =>
      limit(async () => {
        try {
          const description = await client.workflow.getHandle(workflowId).describe();
          const flagged = description.typedSearchAttributes.get(FlaggedProvidersKey) ?? [];
          if (description.status.name !== 'RUNNING' || !flagged.includes('voterfile')) return false;
          await client.workflow.getHandle(workflowId, description.runId).signal(retryLookupsSignal, RETRY_VOTERFILE);
          return true;
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        }
      }),
    ),
  );
  const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
  return {
    notified: outcomes.filter((o) => o.status === 'fulfilled' && o.value).length,
    failed: rejected.length,
    ...(rejected.length ? { firstError: (rejected[0]!.reason as Error)?.message ?? String(rejected[0]!.reason) } : {}),
  };
}

/**
 * Connects to Temporal and {@link notifyOpenVoterfileFlags}. The rematch is committed before this runs, so Temporal
 * being unreachable is a warning naming what to run instead, not a failure of the command.
 */
async function notifyAfterRematch(config: Config, changedContactIds: readonly string[]): Promise<RematchNotifyOutcome> {
  if (changedContactIds.length === 0) return { notified: 0 };
  let client: Client;
  try {
    client = await createTemporalClient(config);
  } catch (err) {
    return {
      notified: 0,
      warning: `the rematch is committed, but Temporal at ${temporalAddress(config)} could not be reached (${(err as Error).message}) to notify open enrichments flagged on voterfile: ${RETRY_INSTEAD}`,
    };
  }
  try {
    const sent = await notifyOpenVoterfileFlags(client, changedContactIds);
    if (sent.failed === 0) return { notified: sent.notified };
    return {
      notified: sent.notified,
      warning: `the rematch is committed, but ${sent.failed} open enrichments flagged on voterfile could not be notified (${sent.firstError}): ${RETRY_INSTEAD}`,
    };
  } catch (err) {
    return {
      notified: 0,
      warning: `the rematch is committed, but open enrichments flagged on voterfile could not be listed in Temporal at ${temporalAddress(config)} (${(err as Error).message}): ${RETRY_INSTEAD}`,
    };
  } finally {
    await client.connection.close().catch(() => undefined);
  }
}

/**
 * `enrich voters rematch`: {@link rematchAndRemerge} on the configured store, then (unless `--no-notify`) the open
 * enrichments flagged on `voterfile` among the contacts it changed are signalled to re-run that lookup. A warning
 * (in the output; also on stderr with `--json`) says when they were not, and what to run instead.
 */
export async function runVotersRematch(config: Config, raw: VotersRematchOptions): Promise<string> {
  const options = parseOptions('rematch', RematchOptionsSchema, raw);
  const thresholds: MatchThresholds = {
    high: options.high ?? config.voterfile.highThreshold,
    low: options.low ?? config.voterfile.lowThreshold,
  };
  if (thresholds.low > thresholds.high) throw new CommandError('voters rematch: --low must not be above --high');
  const database = await openBulkStore('rematch', config);
  let result: VotersRematchResult;
  try {
    result = await rematchAndRemerge(database.db, thresholds, config.database.url);
  } finally {
    await database.close();
  }
  const notify: RematchNotifyOutcome = options.notify
    ? await notifyAfterRematch(config, result.changedContactIds)
    : {
        notified: 0,
        ...(result.changedContactIds.length
          ? {
              warning: `open enrichments were not notified (--no-notify); if any are flagged on voterfile, ${RETRY_INSTEAD}`,
            }
          : {}),
      };
  if (notify.warning && options.json) process.stderr.write(`voters rematch: warning: ${notify.warning}\n`);
  return formatRematch({ ...result, ...notify }, options.json);
}

/** `enrich voters import <file>` and `enrich voters rematch`: each prints what {@link runVotersImport} or {@link runVotersRematch} answers. */
export function register(program: Command, context: CliContext): void {
  const voters = program
    .command('voters')
    .description('the voter file: import a new one, re-match every contact against it');
  voters
    .command('import <file>')
    .description(
      'load a voter file (UTF-8 or Latin-1) as the current one: streamed, indexed, then swapped in atomically',
    )
    .addOption(
      new Option('--format <format>', 'ncvoter (North Carolina) or csv (with --mapping)')
        .choices([...VOTER_FILE_FORMATS])
        .makeOptionMandatory(),
    )
    .option('--mapping <file>', 'JSON column mapping for other layouts (Ohio, a French list, …)')
    .option('--history <file>', 'vote history (ncvhis for North Carolina), one row per vote')
    .option('--rejects <file>', 'write rows that were not loaded there as CSV: line,reason')
    .option('--json', 'print the summary as one JSON object')
    .action(async (file: string, opts: VotersImportOptions) => {
      process.stdout.write(await runVotersImport(context.config, file, opts));
    });
  voters
    .command('rematch')
    .description(
      're-match every contact against the current voter file (set-based SQL), record what changed, and signal open enrichments flagged on voterfile',
    )
    .option('--high <p>', 'match threshold (0–1)')
    .option('--low <p>', 'review threshold (0–1)')
    .option('--json', 'print the counts as one JSON object')
    .option(
      '--no-notify',
      'do not signal open enrichments flagged on voterfile to re-run that lookup (then run `enrich retry --all-flagged`)',
    )
    .action(async (opts: VotersRematchOptions) => {
      process.stdout.write(await runVotersRematch(context.config, opts));
    });
}
