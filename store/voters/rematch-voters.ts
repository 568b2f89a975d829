import { sql, type Kysely } from 'kysely';
import type { MatchThresholds } from '../../domain/voter-matching/score.js';
import type { VoterChangeKind } from '../../domain/voter-matching/voter-observation.js';
import type { Database } from '../database.js';
import { decideMatches } from './rematch/decide.js';
import { readKeptChanges } from './rematch/kept-changes.js';
import { refreshKeys } from './rematch/keys.js';
import { readPrevious } from './rematch/previous.js';
import { run, SCORING_SETTINGS, type Trx } from './rematch/rematch-sql.js';
import { scoreAcrossSessions } from './rematch/scoring.js';
import { openSideSession, type SideSession } from './rematch/side-session.js';
import { noChanges, writeChanges } from './rematch/write.js';
import { withVoterTables } from './voter-tables.js';

export interface RematchOptions {
  thresholds: MatchThresholds;
  /** Contacts read per round trip (default 20,000); observations and reviews are written WRITE_PAGE contacts at a time at most. */
  pageSize?: number;
  /**
   * The database's postgres:// URL, when it is real Postgres: half of the contacts are then scored on a second
   * connection of the rematch's own, in parallel (see scoreAcrossSessions). Without it, one connection scores all.
   */
  postgresUrl?: string | undefined;
}

/** The counts `enrich voters rematch` reports. */
export interface RematchResult {
  importId: string | null;
  /** Contacts considered: those with enough to match on, plus those matched before. */
  contacts: number;
  /**
   * Contacts whose signup has too little to match on (no given name, family name, or ZIP/locality) or is of another
   * country than the file's, among those matched afresh (a contact matched to a voter still in the file keeps it;
   * its signup is not read).
   */
  skipped: number;
  matched: number;
  ambiguous: number;
  noMatch: number;
  changes: Record<VoterChangeKind, number>;
  /** Contacts with new observations or a changed voter-file lookup: the records to re-merge. */
  changedContactIds: string[];
  elapsedMs: number;
  /** Milliseconds per stage (keys, previous, scoring, decide, write), to see where the time goes. */
  timings: Record<string, number>;
}

/** Times stages: each `lap(name)` adds the time since the previous lap (or since the clock started) to `name`. */
function stageClock() {
  const timings: Record<string, number> = {};
  let mark = Date.now();
  return {
    timings,
    lap(name: string) {
      const at = Date.now();
      timings[name] = (timings[name] ?? 0) + at - mark;
      mark = at;
    },
  };
}

/** The active voter file, if any: its id, how many voters it has and the country it covers. */
const activeImport = (trx: Trx) =>
  trx
    .selectFrom('voter_imports')
    .select([sql<string>`id::text`.as('id'), 'voters', 'country'])
    .where('state', '=', 'active')
    .executeTakeFirst();

/**
 * Re-matches every contact against the current voter file, in set-based SQL inside one transaction (the same
 * blocks, levels, weights and decision as the online lookup; see score-sql.ts), and records what changed:
 *
 * - A contact already matched keeps its voter while that voter id is in the file (the id is stable; the person
 *   may have moved since signing up). Its registration is compared with what was last reported: a new address
 *   or precinct is `moved`; a status that became removed or denied is `dropped`; another status, party,
 *   registration date or district is `updated`.
 * - Every other contact (never matched, ambiguous, no match, or whose voter left the file) is matched afresh:
 *   `new_match`, or `other_voter` when its old voter left the file and another fits; `dropped` when its voter
 *   left the file and nothing fits. An ambiguous outcome replaces the contact's review.
 *
 * Each change is written as observations of provider `voterfile` (`voter` with the registration as it is now,
 * and `voter.change` with what happened), the contact's `voter_matches` state is updated, and its `voterfile`
 * lookup row follows the new outcome. Records are not re-merged here: `changedContactIds` lists who to re-merge.
 *
 * The stages, each in store/voters/rematch/ with its SQL: keys (rm_kept, the contacts' match keys), previous
 * (rm_prev, rm_query), scoring (rm_top, rm_extra), decide (rm_best, rm_decided, rm_ranked) and write.
 */
export async function rematchVoters(db: Kysely<Database>, options: RematchOptions): Promise<RematchResult> {
  const started = Date.now();
  const pageSize = options.pageSize ?? 20_000;
  const now = new Date();
  const clock = stageClock();
  let side: SideSession | undefined;
  return withVoterTables(db)
    .transaction()
    .execute(async (trx): Promise<RematchResult> => {
      for (const setting of SCORING_SETTINGS) await run(trx, setting);
      const file = await activeImport(trx);
      // A second session, on Postgres: it reads what changed in the kept registrations while this one brings the
      // keys up to date, then scores half of the contacts.
      side = options.postgresUrl ? await openSideSession(trx, options.postgresUrl) : undefined;
      const keptChanges = side ? readKeptChanges(side) : undefined;
      const { keyed, skipped } = await refreshKeys(trx, pageSize, file?.country ?? null);
      clock.lap('keys');
      if (!file) {
        const nothing = { matched: 0, ambiguous: 0, noMatch: keyed, changes: noChanges(), changedContactIds: [] };
        return {
          importId: null,
          contacts: keyed,
          skipped,
          ...nothing,
          elapsedMs: Date.now() - started,
          timings: clock.timings,
        };
      }
      await readPrevious(trx, file.voters);
      clock.lap('previous');
      await scoreAcrossSessions(trx, side, options.thresholds.high);
      clock.lap('scoring');
      await decideMatches(trx, options.thresholds);
      clock.lap('decide');
      const { contacts, ...written } = await writeChanges(trx, { importId: file.id, now, pageSize, keptChanges });
      clock.lap('write');
      return {
        importId: file.id,
        contacts,
        skipped,
        ...written,
        elapsedMs: Date.now() - started,
        timings: clock.timings,
      };
    })
    .finally(() => side?.close());
}
