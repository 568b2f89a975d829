import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Config } from '../../config.js';
import type { Database } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { importVoterFile, type ImportVoterFileResult } from '../../store/voters/import-voter-file.js';
import { rematchVoters, type RematchResult } from '../../store/voters/rematch-voters.js';
import { NCVOTER_MAPPING, parseVoterFileMapping, VoterFileError, type VoterFileMapping } from '../../store/voters/voter-file-format.js';
import type { MatchThresholds } from '../../activities/voter-matching/score.js';
import { decodeText, type DecodeState } from '../backfill/decode-text.js';
import { openRejectsFile, RejectsFileError, type RejectsFile } from '../backfill/rejects-file.js';
import { readDevStackInfo } from '../dev/dev-stack-file.js';
import { openStore } from '../open-store.js';
import { CommandError } from './command-error.js';
import { remergeContactIds, type RemergeResult } from './remerge.js';

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
}

const RematchOptionsSchema = z.object({
  high: z.coerce.number().gt(0).max(1).optional(),
  low: z.coerce.number().gt(0).max(1).optional(),
  json: z.boolean().default(false),
});

function parseOptions<T>(command: string, schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new CommandError(`voters ${command}: --${issue?.path.join('.') || 'option'}: ${issue?.message ?? 'invalid'}`);
}

/** A file's bytes as text: UTF-8, or Latin-1 (Windows-1252) from the first byte that is not UTF-8, in constant memory. */
async function openText(command: string, path: string): Promise<{ text: AsyncIterable<string>; decoding: DecodeState }> {
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
    throw new CommandError(`voters ${command}: enrich dev holds the embedded database in ${config.database.pgliteDir}; stop it first, or set DATABASE_URL`);
  }
  const database = await openStore(config, undefined, 2);
  if (database.embedded) await migrateToLatest(database.db);
  return database;
}

async function readMapping(format: (typeof VOTER_FILE_FORMATS)[number], path: string | undefined): Promise<VoterFileMapping> {
  if (path === undefined) {
    if (format === 'csv') throw new CommandError('voters import: --format csv needs --mapping FILE (a JSON column mapping; see the README, "Voter file")');
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
  const history = result.historyRows === null ? '' : `; history: ${result.historyRows} votes, ${result.historyRejected} rejected`;
  const missing = result.missingColumns.length ? `\n  columns not in the file (left empty): ${result.missingColumns.join(', ')}` : '';
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
  if (options.history && !mapping.history) throw new CommandError('voters import: --history needs a "history" layout in the mapping');
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
    if (err instanceof VoterFileError || err instanceof RejectsFileError) throw new CommandError(`voters import: ${err.message}`);
    throw err;
  } finally {
    await database.close();
  }
}

/** What `enrich voters rematch` did: the rematch, then the re-merge of the records it changed. */
export type VotersRematchResult = RematchResult & { remerged: RemergeResult };

/** What `enrich voters rematch` prints. */
export function formatRematch(result: VotersRematchResult, json: boolean): string {
  if (json) return `${JSON.stringify({ ...result, changedContactIds: undefined })}\n`;
  const c = result.changes;
  const seconds = result.elapsedMs / 1000;
  return [
    `voters rematch: ${result.contacts} contacts against import ${result.importId ?? '(none)'} in ${seconds.toFixed(1)} s (${Math.round(result.contacts / Math.max(seconds, 0.001))} contacts/s)`,
    `  now: ${result.matched} matched, ${result.ambiguous} ambiguous (kept for review), ${result.noMatch} no match, ${result.skipped} without enough to match on`,
    `  changed: ${c.new_match} new matches, ${c.moved} moved, ${c.updated} updated, ${c.dropped} dropped from the rolls, ${c.other_voter} matched another voter`,
    `  ${result.changedContactIds.length} contacts have new observations or a new voterfile outcome: ${result.remerged.examined} records re-merged, ${result.remerged.changed} changed`,
    '',
  ].join('\n');
}

/**
 * Re-matches every contact against the current voter file in set-based SQL (store/voters/rematch-voters.ts), then
 * re-merges the records of the contacts it changed, as `enrich remerge` would: a new match, a move or a drop shows
 * in `voter`, and a resolved ambiguity unflags the contact. The thresholds default to the lookup's own
 * (VOTERFILE_HIGH_THRESHOLD / VOTERFILE_LOW_THRESHOLD), so both decide alike.
 */
export async function rematchAndRemerge(db: Kysely<Database>, thresholds: MatchThresholds): Promise<VotersRematchResult> {
  const result = await rematchVoters(db, { thresholds });
  const remerged = await remergeContactIds(db, result.changedContactIds);
  return { ...result, remerged };
}

/** `enrich voters rematch`: {@link rematchAndRemerge} on the configured store. */
export async function runVotersRematch(config: Config, raw: VotersRematchOptions): Promise<string> {
  const options = parseOptions('rematch', RematchOptionsSchema, raw);
  const thresholds: MatchThresholds = { high: options.high ?? config.voterfile.highThreshold, low: options.low ?? config.voterfile.lowThreshold };
  if (thresholds.low > thresholds.high) throw new CommandError('voters rematch: --low must not be above --high');
  const database = await openBulkStore('rematch', config);
  try {
    return formatRematch(await rematchAndRemerge(database.db, thresholds), options.json);
  } finally {
    await database.close();
  }
}
