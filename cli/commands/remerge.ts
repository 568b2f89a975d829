import type { Kysely } from 'kysely';
import type { Config } from '../../config.js';
import { buildContactRecord } from '../../domain/merge/build-contact-record.js';
import { mergeInputFromRows } from '../../store/merge-input.js';
import { RECORD_SCHEMA_VERSION } from '../../schemas/contact-record.js';
import {
  listMergeFacts,
  listRemergeCandidates,
  updateContactRecord,
  type RemergeCandidate,
} from '../../store/contacts.js';
import type { Database } from '../../store/database.js';
import { migrateToLatest } from '../../store/migrate.js';
import { canonicalJson } from '../../store/observations.js';
import { readDevStackInfo } from '../../dev/dev-stack-file.js';
import { openStore } from '../../store/open-store.js';
import { CommandError } from './command-error.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

export const DEFAULT_REMERGE_BATCH = 500;

export interface RemergeOptions {
  /** Every contact with a record; otherwise those whose record was derived under an older record schema version. */
  all: boolean;
  /** Contacts read, merged and written per round. */
  batch: number;
}

export interface RemergeResult {
  /** Contacts whose record was derived again. */
  examined: number;
  /** Of those, how many records changed (and were written). */
  changed: number;
}

/**
 * Re-derives records from the stored observations and lookups with today's merge rules, in batches of contacts (id
 * order, so memory stays at one batch). Observations and lookups are only read. A record that comes out the same
 * is not written; one merged by a workflow meanwhile is left as that merge wrote it.
 */
export async function remergeContacts(db: Kysely<Database>, options: RemergeOptions): Promise<RemergeResult> {
  const result: RemergeResult = { examined: 0, changed: 0 };
  let after: string | undefined;
  for (;;) {
    const contacts = await listRemergeCandidates(db, {
      after,
      limit: options.batch,
      all: options.all,
      currentVersion: RECORD_SCHEMA_VERSION,
    });
    if (contacts.length === 0) return result;
    await remergeBatch(db, contacts, result);
    if (contacts.length < options.batch) return result;
    after = contacts.at(-1)!.id;
  }
}

/**
 * Re-derives the records of the given contacts, `batch` at a time: those whose facts changed outside a workflow (the
 * voter-file rematch, `changedContactIds`). A contact without a record yet is left to its workflow, whose merge
 * will read the new facts; the rules are those of {@link remergeContacts}.
 */
export async function remergeContactIds(
  db: Kysely<Database>,
  contactIds: readonly string[],
  batch = DEFAULT_REMERGE_BATCH,
): Promise<RemergeResult> {
  const result: RemergeResult = { examined: 0, changed: 0 };
  const ids = [...new Set(contactIds)].sort();
  for (let i = 0; i < ids.length; i += batch) {
    const contacts: RemergeCandidate[] = await db
      .selectFrom('contacts')
      .select(['id', 'email', 'consent', 'status', 'created_at', 'record', 'record_version'])
      .where('id', 'in', ids.slice(i, i + batch))
      .where('record', 'is not', null)
      .orderBy('id')
      .execute();
    await remergeBatch(db, contacts, result);
  }
  return result;
}

/** Merges one batch of contacts from their stored facts and writes the records that changed, counting into `result`. */
async function remergeBatch(db: Kysely<Database>, contacts: RemergeCandidate[], result: RemergeResult): Promise<void> {
  if (contacts.length === 0) return;
  const facts = await listMergeFacts(
    db,
    contacts.map((c) => c.id),
  );
  for (const contact of contacts) {
    const { observations, lookups } = facts.get(contact.id) ?? { observations: [], lookups: [] };
    const record = buildContactRecord(mergeInputFromRows(contact, observations, lookups));
    result.examined++;
    const same =
      contact.record_version === record.schemaVersion && canonicalJson(contact.record) === canonicalJson(record);
    if (same) continue;
    if (await updateContactRecord(db, contact.id, record, { ifRecordIs: contact.record })) result.changed++;
  }
}

/** `enrich remerge`: opens the configured store (not while `enrich dev` holds the embedded one) and re-derives. */
export async function runRemerge(config: Config, options: RemergeOptions): Promise<RemergeResult> {
  if (!Number.isInteger(options.batch) || options.batch < 1)
    throw new CommandError('remerge: --batch must be a whole number of at least 1');
  if (!config.database.url && (await readDevStackInfo(config.database.pgliteDir))) {
    throw new CommandError('remerge: `enrich dev` holds the embedded database; stop it first (or set DATABASE_URL)');
  }
  const database = await openStore(config, undefined, 2);
  try {
    if (database.embedded) await migrateToLatest(database.db);
    return await remergeContacts(database.db, options);
  } finally {
    await database.close();
  }
}

/** `enrich remerge [--all] [--batch n]`: prints `{examined, changed}`. */
export function register(program: Command, context: CliContext): void {
  program
    .command('remerge')
    .description('re-derive records from the stored observations with the current merge rules; prints how many changed')
    .option('--all', 'every contact with a record (default: records derived under an older record schema)')
    .option('--batch <n>', 'contacts per batch', String(DEFAULT_REMERGE_BATCH))
    .action(async (opts: { all?: boolean; batch: string }) => {
      const result = await runRemerge(context.config, { all: Boolean(opts.all), batch: Number(opts.batch) });
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
}
