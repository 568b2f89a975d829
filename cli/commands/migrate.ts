import type { Command } from 'commander';
import { migrateToLatest } from '../../store/migrate.js';
import { openStore } from '../../store/open-store.js';
import type { CliContext } from '../context.js';

/** `enrich migrate`: applies the migrations not applied yet and names them. */
export function register(program: Command, context: CliContext): void {
  program
    .command('migrate')
    .description('apply database migrations (idempotent)')
    .action(async () => {
      const database = await openStore(context.config);
      try {
        const applied = await migrateToLatest(database.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
      } finally {
        await database.close();
      }
    });
}
