import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import { openPostgresSession } from './voters/sql-session.js';
import { copyLine } from './voters/voter-row.js';

/** A valid row of a backfill file, as it is staged. */
export interface StagedRow {
  seq: number;
  line: number;
  signup: unknown;
}

/** The figures of a loaded file. */
export interface StagedCounts {
  rows: number;
  valid: number;
  rejected: number;
}

export interface BackfillRecord {
  id: string;
  workflowId: string;
  state: string;
  rows: number;
  valid: number;
  rejected: number;
}

export async function findBackfill(db: Kysely<Database>, id: string): Promise<BackfillRecord | undefined> {
  const row = await db.selectFrom('backfills').selectAll().where('id', '=', id).executeTakeFirst();
  return row
    ? {
        id: row.id,
        workflowId: row.workflow_id,
        state: row.state,
        rows: row.rows,
        valid: row.valid,
        rejected: row.rejected,
      }
    : undefined;
}

/** Whether the file's rows are all staged (a load that was cut short stays `loading` and is loaded again). */
export const isLoaded = (record: BackfillRecord | undefined): boolean => !!record && record.state !== 'loading';

/**
 * Stages a file's valid rows on real Postgres with COPY, in one transaction with the backfill's row: a load that is
 * killed half-way leaves nothing, and the same file is loaded again from the start by the next run.
 */
export async function stageWithCopy(
  url: string,
  backfill: { id: string; workflowId: string },
  rows: AsyncIterable<StagedRow>,
  counts: () => StagedCounts,
): Promise<StagedCounts> {
  const session = await openPostgresSession(url);
  try {
    return await session.transaction(async () => {
      await session.query(`delete from backfills where id = $1 and state = 'loading'`, [backfill.id]);
      await session.query(`insert into backfills (id, workflow_id) values ($1, $2)`, [
        backfill.id,
        backfill.workflowId,
      ]);
      async function* lines(): AsyncGenerator<string> {
        for await (const row of rows) yield `${copyLine({ ...row, backfill_id: backfill.id }, COPY_COLUMNS)}`;
      }
      await session.copy!(`copy backfill_rows (backfill_id, seq, line, signup) from stdin`, lines());
      const final = counts();
      await session.query(
        `update backfills set state = 'loaded', loaded_at = now(), rows = $2, valid = $3, rejected = $4 where id = $1`,
        [backfill.id, final.rows, final.valid, final.rejected],
      );
      return final;
    });
  } finally {
    await session.close();
  }
}

const COPY_COLUMNS = ['backfill_id', 'seq', 'line', 'signup'] as const;

/** Starts (or restarts) staging through kysely, for the embedded database: the rows come in batches. */
export async function beginStaging(db: Kysely<Database>, backfill: { id: string; workflowId: string }): Promise<void> {
  await db.deleteFrom('backfills').where('id', '=', backfill.id).where('state', '=', 'loading').execute();
  await db
    .insertInto('backfills')
    .values({ id: backfill.id, workflow_id: backfill.workflowId })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** Adds a batch of rows; idempotent (a batch sent twice adds nothing). */
export async function stageBatch(db: Kysely<Database>, id: string, rows: readonly StagedRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('backfill_rows')
    .values(rows.map((r) => ({ backfill_id: id, seq: r.seq, line: r.line, signup: JSON.stringify(r.signup) })))
    .onConflict((oc) => oc.columns(['backfill_id', 'seq']).doNothing())
    .execute();
}

/** Marks the file loaded with its figures, once every batch is in. */
export async function finishStaging(db: Kysely<Database>, id: string, counts: StagedCounts): Promise<void> {
  await db
    .updateTable('backfills')
    .set({ state: 'loaded', loaded_at: new Date(), ...counts })
    .where('id', '=', id)
    .where('state', '=', 'loading')
    .execute();
}

/** The next rows to admit after `afterSeq`, in file order, with how each was admitted when it was already. */
export async function rowsToAdmit(db: Kysely<Database>, id: string, afterSeq: number, max: number) {
  return db
    .selectFrom('backfill_rows')
    .select(['seq', 'signup', 'admitted'])
    .where('backfill_id', '=', id)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(max)
    .execute();
}

export async function markAdmitted(db: Kysely<Database>, id: string, seq: number, status: string): Promise<void> {
  await db
    .updateTable('backfill_rows')
    .set({ admitted: status })
    .where('backfill_id', '=', id)
    .where('seq', '=', seq)
    .execute();
}

export async function setBackfillState(db: Kysely<Database>, id: string, state: string): Promise<void> {
  await db.updateTable('backfills').set({ state }).where('id', '=', id).execute();
}

/** Backfills admitting now: they share the providers' budget equally. */
export async function countActiveBackfills(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('backfills')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('state', '=', 'running')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
