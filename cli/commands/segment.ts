import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Config } from '../../config.js';
import type { ExportPurpose } from '../../domain/merge/restricted-fields.js';
import { migrateToLatest } from '../../store/migrate.js';
import { parseSegment, SegmentFilterError, streamSegment, type SegmentQuery } from '../../store/segments.js';
import { AUDIT_READ_ACTIONS, auditedRecords, insertAudit } from '../../store/audit.js';
import { auditedFilters, AUDIT_ACTOR_HEADER, cliActor } from '../../store/audit-actors.js';
import { readDevStackInfo } from '../../dev/dev-stack-file.js';
import { counted, encodeSegment, type SegmentFormat } from '../../domain/osdi/segment-export.js';
import { openStore } from '../../store/open-store.js';
import { CommandError } from './command-error.js';
import { Option, type Command } from 'commander';
import { SEGMENT_FORMATS } from '../../domain/osdi/segment-export.js';
import { EXPORT_PURPOSES } from '../../domain/merge/restricted-fields.js';
import type { CliContext } from '../context.js';

export interface SegmentCommandOptions {
  where: string[];
  format: SegmentFormat;
  out?: string;
  purpose: ExportPurpose;
  /** Who exports, for the audit log; default `cli:<OS user>`. */
  actor?: string;
}

/** The filters, parsed; a bad one is a one-line CommandError naming the expression and why. */
export function segmentQueryFromOptions(options: Pick<SegmentCommandOptions, 'where' | 'purpose'>): SegmentQuery {
  try {
    return parseSegment(options.where, options.purpose);
  } catch (err) {
    if (err instanceof SegmentFilterError) throw new CommandError(`segment: ${err.message}`);
    throw err;
  }
}

/** The query string of `GET /v1/segments` for these options. */
export function segmentApiPath(options: Pick<SegmentCommandOptions, 'where' | 'format' | 'purpose'>): string {
  const params = new URLSearchParams();
  for (const expression of options.where) params.append('where', expression);
  params.set('format', options.format);
  params.set('purpose', options.purpose);
  return `/v1/segments?${params.toString()}`;
}

/**
 * Writes `chunks` to `--out` (through a `.partial` file renamed at the end, so a failed export leaves no
 * half-written file under the real name) or to stdout.
 */
export async function writeOut(chunks: AsyncIterable<string | Uint8Array>, out: string | undefined): Promise<void> {
  if (!out) {
    await writeToStdout(chunks);
    return;
  }
  const partial = `${out}.partial`;
  try {
    await pipeline(Readable.from(chunks), createWriteStream(partial));
    await rename(partial, out);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
}

/** Writes to stdout with backpressure; a reader that went away (`enrich segment | head`) ends the export quietly. */
async function writeToStdout(chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
  let failure: NodeJS.ErrnoException | undefined;
  const onError = (err: NodeJS.ErrnoException) => (failure = err);
  process.stdout.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failure) break;
      // once() rejects when stdout fails while we wait; the failure is then handled below like any other.
      if (!process.stdout.write(chunk))
        await once(process.stdout, 'drain').catch((err: NodeJS.ErrnoException) => (failure = err));
    }
  } finally {
    process.stdout.off('error', onError);
  }
  if (failure && failure.code !== 'EPIPE') throw failure;
}

/** Through the running `enrich dev`, which holds the embedded database: its API streams the same export. */
async function exportThroughApi(apiUrl: string, apiToken: string, options: SegmentCommandOptions): Promise<void> {
  const response = await fetch(`${apiUrl}${segmentApiPath(options)}`, {
    headers: { authorization: `Bearer ${apiToken}`, [AUDIT_ACTOR_HEADER]: cliActor(options.actor) },
  });
  if (response.status === 400) {
    const body = (await response.json()) as { error?: string; issues?: Array<{ expression: string; message: string }> };
    throw new CommandError(
      `segment: ${new SegmentFilterError(body.issues ?? [{ expression: '', message: body.error ?? 'bad request' }]).message}`,
    );
  }
  if (!response.ok || !response.body)
    throw new CommandError(`segment: the dev stack's API answered HTTP ${response.status}`);
  await writeOut(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), options.out);
}

/**
 * `enrich segment`: streams the contacts matching every `--where` as CSV, JSONL or OSDI to `--out` or stdout, in
 * constant memory. Returns how many contacts were written (undefined when the dev stack's API wrote them). The
 * export is audited (actor, filters, format, purpose, then every contact key handed out and the count), in the
 * database it reads or by the dev stack's API.
 */
export async function runSegment(config: Config, options: SegmentCommandOptions): Promise<number | undefined> {
  const query = segmentQueryFromOptions(options);
  if (!config.database.url) {
    const dev = await readDevStackInfo(config.database.pgliteDir);
    if (dev) {
      await exportThroughApi(dev.apiUrl, dev.apiToken, options);
      return undefined;
    }
  }
  if (!config.database.url && !existsSync(config.database.pgliteDir)) {
    await writeOut(encodeSegment(emptyRecords(), options.format, options.purpose), options.out);
    return 0;
  }
  const database = await openStore(config, undefined, 2);
  try {
    if (database.embedded) await migrateToLatest(database.db);
    const counter = { count: 0 };
    const auditId = await insertAudit(database.db, {
      actor: cliActor(options.actor),
      action: AUDIT_READ_ACTIONS.exportSegment,
      purpose: options.purpose,
      detail: { format: options.format, filters: auditedFilters(query.conditions), count: null, complete: false },
    });
    const records = auditedRecords(database.db, auditId, counted(streamSegment(database.db, query), counter));
    await writeOut(encodeSegment(records, options.format, options.purpose), options.out);
    return counter.count;
  } finally {
    await database.close();
  }
}

async function* emptyRecords(): AsyncGenerator<never> {}

/** `--where` is repeatable: each one is added to the filters given before it. */
const collect = (expr: string, previous: string[]) => [...previous, expr];

/** `enrich segment`: see {@link runSegment}; with --out, says on stderr how many contacts were written. */
export function register(program: Command, context: CliContext): void {
  program
    .command('segment')
    .description('stream the contacts matching every --where filter as CSV, JSONL or OSDI (never raw SQL)')
    .option(
      '--where <expr>',
      'a filter, repeatable (all must hold): field=value, field~text, field>=n, field<=n, field>n, field<n, field? — e.g. work.occupation~physician',
      collect,
      [] as string[],
    )
    .addOption(new Option('--format <format>', 'output format').choices(SEGMENT_FORMATS).default('csv'))
    .option('--out <file>', 'write there instead of stdout')
    .addOption(
      new Option('--purpose <purpose>', 'research also exports and filters on FEC data (restricted by US law)')
        .choices(EXPORT_PURPOSES)
        .default('outreach'),
    )
    .option('--actor <name>', 'who exports, for the audit log (default cli:<OS user>)')
    .action(async (opts: SegmentCommandOptions) => {
      const count = await runSegment(context.config, opts);
      if (opts.out)
        process.stderr.write(
          `segment: ${count === undefined ? 'contacts' : `${count} contact${count === 1 ? '' : 's'}`} written to ${opts.out}\n`,
        );
    });
}
