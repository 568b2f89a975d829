import { Option, type Command } from 'commander';
import type { Config } from '../../config.js';
import { migrateToLatest } from '../../store/migrate.js';
import { streamSegment } from '../../store/segments.js';
import { insertAudit } from '../../store/audit.js';
import { auditedFilters, cliActor } from '../../store/audit-actors.js';
import { openStore } from '../../store/open-store.js';
import { segmentQueryFromOptions } from './segment.js';
import { CommandError } from './command-error.js';
import { actionNetworkPoster, ActionNetworkWriteError, planWriteBacks } from '../export/action-network-writer.js';
import type { CliContext } from '../context.js';

export interface ExportCommandOptions {
  to: 'actionnetwork';
  where: string[];
  /** Really post; without it, a dry run that only says what would be sent. */
  send?: boolean;
  actor?: string;
}

export interface ExportSummary {
  to: 'actionnetwork';
  dryRun: boolean;
  contacts: number;
  sent: number;
  skipped: number;
  failed: number;
  /** How many contacts were skipped, or failed, for each reason (no personal data). */
  reasons: Record<string, number>;
}

/**
 * `enrich export --to actionnetwork`: writes the contacts matching every `--where` back to Action Network through
 * its person signup helper (`POST <ACTION_NETWORK_API_URL>/people`, key from `ACTION_NETWORK_API_KEY`), at most
 * `ACTION_NETWORK_RPS` requests a second. A dry run unless `--send`: it reads and plans everything and posts
 * nothing. Who is sent, and with which email status, is decided by `planWriteBack` (never subscribing anyone the
 * lists did not say were subscribed). Audited like a segment export; the summary names counts and reasons only.
 */
export async function runExport(config: Config, options: ExportCommandOptions): Promise<ExportSummary> {
  const query = segmentQueryFromOptions({ where: options.where, purpose: 'outreach' });
  const dryRun = !options.send;
  if (!dryRun && !config.actionNetwork.apiKey)
    throw new CommandError('export: set ACTION_NETWORK_API_KEY to send (or leave out --send for a dry run)');
  const post = dryRun
    ? undefined
    : actionNetworkPoster({
        apiUrl: config.actionNetwork.apiUrl,
        apiKey: config.actionNetwork.apiKey as string,
        rps: config.actionNetwork.rps,
      });
  const summary: ExportSummary = {
    to: 'actionnetwork',
    dryRun,
    contacts: 0,
    sent: 0,
    skipped: 0,
    failed: 0,
    reasons: {},
  };
  const because = (reason: string) => (summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1);
  const database = await openStore(config, undefined, 2);
  try {
    if (database.embedded) await migrateToLatest(database.db);
    await insertAudit(database.db, {
      actor: cliActor(options.actor),
      action: 'export_actionnetwork',
      purpose: 'outreach',
      detail: { filters: auditedFilters(query.conditions), dryRun },
    });
    for await (const plan of planWriteBacks(database.db, streamSegment(database.db, query))) {
      summary.contacts++;
      if (plan.action === 'skip') {
        summary.skipped++;
        because(plan.reason);
        continue;
      }
      if (!post) {
        summary.sent++;
        continue;
      }
      try {
        await post(plan.body);
        summary.sent++;
      } catch (err) {
        if (!(err instanceof ActionNetworkWriteError) || err.status === 401 || err.status === 403) throw err;
        summary.failed++;
        because(err.message);
      }
    }
  } finally {
    await database.close();
  }
  return summary;
}

const collect = (expr: string, previous: string[]) => [...previous, expr];

/** `enrich export`: see {@link runExport}; prints the summary as one JSON object. */
export function register(program: Command, context: CliContext): void {
  program
    .command('export')
    .description('write enriched contacts back to the list they came from (Action Network); a dry run unless --send')
    .addOption(new Option('--to <system>', 'where to write').choices(['actionnetwork']).makeOptionMandatory())
    .option('--where <expr>', 'a segment filter, repeatable (as for `enrich segment`)', collect, [] as string[])
    .option('--send', 'really post (default: a dry run that posts nothing)')
    .option('--actor <name>', 'who exports, for the audit log (default cli:<OS user>)')
    .action(async (opts: ExportCommandOptions) => {
      const summary = await runExport(context.config, opts).catch((err: unknown) => {
        if (err instanceof ActionNetworkWriteError)
          throw new CommandError(`export: Action Network refused: ${err.message}`);
        throw err;
      });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    });
}
