import type { Command } from 'commander';
import { createTemporalClient } from '../../client/temporal-client.js';
import { ensureRetentionSchedule, runRetentionPurgeNow } from '../../client/retention-schedule.js';
import { cliActor } from '../../store/audit-actors.js';
import type { CliContext } from '../context.js';

/** `enrich retention [--run-now]`: the schedule as the workers keep it, and optionally a purge now. */
export function register(program: Command, context: CliContext): void {
  program
    .command('retention')
    .description(
      'make the retention schedule match RETENTION_OBSERVATIONS_DAYS and RETENTION_PURGE_CRON (workers do this at start); --run-now also purges now',
    )
    .option('--run-now', 'purge expired observations now and print what was deleted')
    .option('--actor <name>', 'who runs the purge, for the audit log (default cli:<OS user>)')
    .action(async (opts: { runNow?: boolean; actor?: string }) => {
      const { config } = context;
      const client = await createTemporalClient(config);
      try {
        const schedule = await ensureRetentionSchedule(client, config);
        const purged = opts.runNow ? await runRetentionPurgeNow(client, config, cliActor(opts.actor)) : undefined;
        process.stdout.write(`${JSON.stringify({ schedule, ...(purged ? { purged } : {}) }, null, 2)}\n`);
      } finally {
        await client.connection.close();
      }
    });
}
