import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as recordColumns from './migrations/0002-record-columns.js';
import * as voterFile from './migrations/0003-voter-file.js';
import * as privacy from './migrations/0004-privacy.js';
import * as privacyAudit from './migrations/0005-privacy-audit.js';
import * as voterSimilarNames from './migrations/0006-voter-similar-names.js';
import * as voterMatch from './migrations/0007-voter-match.js';
import * as voterFileCountry from './migrations/0008-voter-file-country.js';
import * as backfills from './migrations/0009-backfills.js';
import * as listStatuses from './migrations/0011-list-statuses.js';
import * as voterTurnout from './migrations/0012-voter-turnout.js';

/** Every migration, in order. Listed in code (not read from a folder) so bundlers and tsx see the same set. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-record-columns': recordColumns,
  '0003-voter-file': voterFile,
  '0004-privacy': privacy,
  '0005-privacy-audit': privacyAudit,
  '0006-voter-similar-names': voterSimilarNames,
  '0007-voter-match': voterMatch,
  '0008-voter-file-country': voterFileCountry,
  '0009-backfills': backfills,
  '0011-list-statuses': listStatuses,
  '0012-voter-turnout': voterTurnout,
};

/** Applies every pending migration; a no-op when the schema is current. Throws with the failing migration's name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- kysely's Migrator works on any database type
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  // Unordered: branches number their migrations apart (0011 before a 0009 merged later), and a database that ran
  // the higher one first must still take the lower one when it arrives.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(MIGRATIONS) },
    allowUnorderedMigrations: true,
  });
  const { error, results }: MigrationResultSet = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) {
    const reason = error instanceof Error ? error.message : JSON.stringify(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
