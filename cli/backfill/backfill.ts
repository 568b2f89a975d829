import type { Signup } from '../../schemas/signup.js';
import { optOutsOf, type ListStatus } from '../../schemas/list-status.js';
import type { CsvSource } from './column-aliases.js';
import type { StartEnrichmentResult } from '../../client/start-enrichment.js';
import type { BackfillRow } from './backfill-row.js';
import { csvRows } from './csv-rows.js';
import { decodeText, type DecodeState, type InputEncoding } from '../../domain/decode-text.js';
import { jsonlRows } from './jsonl-rows.js';
import { openRejectsFile, type RejectsFile } from './rejects-file.js';
import { DEFAULT_START_RETRY, startWithRetry, type StartRetryOptions } from './start-with-retry.js';

export type BackfillFormat = 'csv' | 'jsonl';

export interface BackfillOptions {
  /** The input bytes: a file stream, stdin, or any async iterable of chunks. Read as fast as starts complete. */
  input: AsyncIterable<Buffer | string>;
  /** `csv` or `jsonl`; undefined: JSONL when the first non-blank character is `{`, else CSV. */
  format?: BackfillFormat;
  /** Starts in flight at once (≥ 1). */
  concurrency: number;
  /** Validate every row and write the rejects file, but start nothing (and need no Temporal). */
  dryRun?: boolean;
  /** Where to write rejected rows (`line,reason`); none when undefined. */
  rejectsPath?: string;
  /**
   * Starts or finds a supporter's enrichment, resolving once Temporal acknowledged it. Required unless `dryRun`.
   * Given what the row's list says (`statuses`); see `honoursStatuses`.
   */
  start?: (signup: Signup, statuses: readonly ListStatus[]) => Promise<StartEnrichmentResult>;
  /**
   * True when `start` honours a row's opt-outs itself (records them, marks the contact, answers `suppressed`: the
   * CLI's start does, through the store). Otherwise a row whose list says unsubscribed, bouncing, do-not-contact or
   * deceased is counted `suppressed` and `start` is never called for it.
   */
  honoursStatuses?: boolean;
  /** The export a CSV comes from, when its header alone does not say (`column-aliases.ts`). */
  from?: CsvSource;
  retry?: StartRetryOptions;
  /** Aborting stops reading; starts in flight finish, and the result says `interrupted`. */
  signal?: AbortSignal;
  /** Called after each row is settled; keep it cheap (the progress bar throttles its own drawing). */
  onProgress?: (progress: BackfillProgress) => void;
  /** The signup `source` of rows that do not name one. */
  source?: string;
}

/**
 * The final summary, as `enrich backfill --json` prints it. `suppressed` counts rows not started because the list
 * said the person opted out, or the suppression list has them.
 */
export interface BackfillSummary {
  rows: number;
  started: number;
  existing: number;
  rejected: number;
  suppressed: number;
}

export interface BackfillProgress extends BackfillSummary {
  /** Valid rows whose start Temporal never acknowledged (after retries), or that came after it stopped answering. */
  notStarted: number;
  /** Valid rows in a dry run (nothing is started). */
  valid: number;
  inFlight: number;
  bytesRead: number;
  elapsedMs: number;
}

export interface BackfillResult extends BackfillProgress {
  format: BackfillFormat;
  encoding: InputEncoding;
  /** True when the signal stopped the backfill before the end of the input. */
  interrupted: boolean;
  /** Why rows were not started, when some were not. */
  startError?: string;
}

/** The five figures of the contract, in its order. */
export function backfillSummary(result: BackfillSummary): BackfillSummary {
  const { rows, started, existing, rejected, suppressed } = result;
  return { rows, started, existing, rejected, suppressed };
}

async function* countBytes(
  input: AsyncIterable<Buffer | string>,
  counter: { bytes: number },
): AsyncGenerator<Buffer | string> {
  for await (const chunk of input) {
    counter.bytes += chunk.length;
    yield chunk;
  }
}

/** Reads ahead to the first non-blank character to tell JSONL from CSV, then replays what it read. */
async function sniff(text: AsyncIterable<string>): Promise<{ format: BackfillFormat; text: AsyncIterable<string> }> {
  const iterator = text[Symbol.asyncIterator]();
  const seen: string[] = [];
  let format: BackfillFormat = 'csv';
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    seen.push(next.value);
    const first = next.value.trimStart();
    if (first) {
      format = first.startsWith('{') ? 'jsonl' : 'csv';
      break;
    }
  }
  async function* replay(): AsyncGenerator<string> {
    yield* seen;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { format, text: replay() };
}

/** The input as rows, decoded and sniffed, with the counters of bytes read and the encoding found. */
async function openRows(options: BackfillOptions) {
  const source = options.source ?? 'backfill';
  const bytes = { bytes: 0 };
  const decoding: DecodeState = { encoding: 'utf-8' };
  const sniffed = options.format
    ? { format: options.format, text: decodeText(countBytes(options.input, bytes), decoding) }
    : await sniff(decodeText(countBytes(options.input, bytes), decoding));
  const rows: AsyncIterable<BackfillRow> =
    sniffed.format === 'jsonl' ? jsonlRows(sniffed.text, source) : csvRows(sniffed.text, source, options.from);
  return { rows, bytes, decoding, format: sniffed.format };
}

/**
 * Starts enrichment for every valid row of a CSV or JSONL input: the core of `enrich backfill`, callable without the
 * CLI. Streamed in constant memory: a row is read only when a start slot is free (at most `concurrency` in flight),
 * and the parser and the file read wait for it. Bad rows go to the rejects file with their line and reason.
 *
 * Idempotent and resumable: workflow IDs come from the email, so a row whose enrichment exists (running or done)
 * answers `existing` and starts nothing; re-running after an interruption starts exactly what was left.
 *
 * Never drops a row silently: a start Temporal does not acknowledge is retried with backoff; when a row exhausts its
 * retries, Temporal is taken to be down, later rows are no longer tried, and every valid row not started is counted
 * in `notStarted` (the input is still read to the end, so the count and the rejects file are complete).
 */
export async function backfill(options: BackfillOptions): Promise<BackfillResult> {
  const { concurrency, dryRun = false, signal, onProgress } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a whole number ≥ 1');
  const start = options.start;
  if (!dryRun && !start) throw new TypeError('backfill needs a start function unless it is a dry run');
  const retry = options.retry ?? DEFAULT_START_RETRY;
  const began = Date.now();

  const { rows, bytes, decoding, format } = await openRows(options);

  const counts = { rows: 0, started: 0, existing: 0, rejected: 0, suppressed: 0, notStarted: 0, valid: 0 };
  const inFlight = new Set<Promise<void>>();
  let startError: unknown;
  let interrupted = false;
  const progress = (): BackfillProgress => ({
    ...counts,
    inFlight: inFlight.size,
    bytesRead: bytes.bytes,
    elapsedMs: Date.now() - began,
  });
  const report = () => onProgress?.(progress());

  const rejects: RejectsFile | undefined = options.rejectsPath ? await openRejectsFile(options.rejectsPath) : undefined;
  try {
    for await (const row of rows) {
      if (signal?.aborted) {
        interrupted = true;
        break;
      }
      counts.rows++;
      if ('reason' in row) {
        counts.rejected++;
        await rejects?.write(row.line, row.reason);
        report();
        continue;
      }
      counts.valid++;
      const { signup, statuses = [] } = row;
      // Not started: a dry run; a row after Temporal stopped answering; a person the list says opted out, when
      // `start` would not honour that itself.
      const unstarted = dryRun
        ? 'dryRun'
        : startError !== undefined
          ? 'notStarted'
          : !options.honoursStatuses && optOutsOf(statuses).length > 0
            ? 'suppressed'
            : undefined;
      if (unstarted) {
        if (unstarted !== 'dryRun') counts[unstarted]++;
        report();
        continue;
      }
      const task: Promise<void> = startWithRetry(
        () => (start as NonNullable<typeof start>)(signup, statuses),
        retry,
        signal,
      )
        .then(
          (result) => {
            counts[result.status]++;
          },
          (err: unknown) => {
            counts.notStarted++;
            startError ??= err;
          },
        )
        .finally(() => {
          inFlight.delete(task);
          report();
        });
      inFlight.add(task);
      if (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    if (signal?.aborted) interrupted = true;
  } finally {
    // Whatever ends the loop (the end, an abort, a read error), starts already sent finish and are counted.
    await Promise.allSettled(inFlight);
    await rejects?.close();
  }
  return { ...progress(), format, encoding: decoding.encoding, interrupted, ...startErrorText(startError) };
}

function startErrorText(startError: unknown): { startError?: string } {
  if (startError === undefined) return {};
  return { startError: startError instanceof Error ? startError.message : JSON.stringify(startError) };
}
