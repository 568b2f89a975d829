import { Command, Option } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { HTTP_PROVIDER_NAMES, PROVIDER_NAMES } from '../schemas/providers.js';
import { migrateToLatest } from '../store/migrate.js';
import { installTemporalRuntime } from '../worker/runtime.js';
import { startMetricsServer } from '../worker/metrics-server.js';
import { startWorkers } from '../worker/start-workers.js';
import { buildApi } from '../api/build-api.js';
import { runBackfill, DEFAULT_BACKFILL_CONCURRENCY, type BackfillCommandOptions } from './commands/backfill.js';
import { runVotersImport, runVotersRematch, VOTER_FILE_FORMATS, type VotersImportOptions, type VotersRematchOptions } from './commands/voters.js';
import { CommandError } from './commands/command-error.js';
import { openStore } from '../store/open-store.js';
import { CONTACT_FORMATS, readContact, readContactOsdi, type ContactFormat } from './commands/contact.js';
import { DEFAULT_REMERGE_BATCH, runRemerge } from './commands/remerge.js';
import { runSegment, type SegmentCommandOptions } from './commands/segment.js';
import { SEGMENT_FORMATS } from '../domain/osdi/segment-export.js';
import { EXPORT_PURPOSES } from '../domain/merge/restricted-fields.js';
import { formatFlagged, readFlagged } from './commands/flagged.js';
import { retryAllFlagged, retryContact, retryTarget } from './commands/retry.js';
import { signup, type SignupOptions } from './commands/signup.js';
import { startDevStack } from '../dev/start-dev-stack.js';
import { createTemporalClient, temporalAddress, temporalConnectionOptions } from '../client/temporal-client.js';
import { contactKeyFromRef } from '../domain/contact-key.js';
import { startPrivacyRequest } from '../client/privacy-requests.js';
import { ensureRetentionSchedule, runRetentionPurgeNow } from '../client/retention-schedule.js';
import { cliActor } from '../store/audit-actors.js';
import { userInfo } from 'node:os';

/** Runs until SIGINT or SIGTERM, then calls `stop` once. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write('\nstopping…\n');
      void stop().finally(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}


const program = new Command('enrich')
  .description('Enrich supporters with what is public about them, durably, on Temporal.')
  .showHelpAfterError();

program
  .command('dev')
  .description('run the whole stack locally: Temporal dev server + Web UI, embedded Postgres, migrations, workers and the API')
  .option('--demo', 'also start the demo providers and point every provider at them (works offline)')
  .action(async (opts: { demo?: boolean }) => {
    const bootstrap = loadConfig();
    const logger = createLogger(bootstrap.logLevel);
    installTemporalRuntime(logger, 'WARN', { metricsBindAddress: bootstrap.temporal.metricsBindAddress });
    const stack = await startDevStack({ env: process.env, demo: Boolean(opts.demo), logger });
    const lines = [
      'contact-enrichment dev stack is up',
      `  API            ${stack.apiUrl}   (POST /v1/signups with "Authorization: Bearer ${stack.signupToken}")`,
      `  Temporal       ${stack.temporalAddress}`,
      ...(stack.uiUrl ? [`  Temporal UI    ${stack.uiUrl}`] : []),
      `  Database       ${stack.config.database.url ? 'DATABASE_URL' : `embedded PGlite in ${stack.config.database.pgliteDir}`}`,
      ...(stack.demo ? HTTP_PROVIDER_NAMES.map((name) => `  Demo ${name.padEnd(10)}${stack.demo![name].url}`) : []),
      '',
      'Try:  npx enrich signup dana.ruiz@example.org --given-name Dana --family-name Ruiz --consent-social',
      '      npx enrich contact dana.ruiz@example.org',
      'Ctrl-C stops everything.',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await untilSignal(() => stack.stop());
  });

program
  .command('worker')
  .description('run workers against TEMPORAL_ADDRESS: the workflow queue and each enabled provider queue')
  .addOption(new Option('--queues <list>', 'comma-separated subset: workflows and/or provider names').default(['workflows', ...PROVIDER_NAMES].join(',')))
  .action(async (opts: { queues: string }) => {
    const config = loadConfig();
    const logger = createLogger(config.logLevel);
    installTemporalRuntime(logger, 'INFO', { metricsBindAddress: config.temporal.metricsBindAddress });
    const allowed = new Set<string>(['workflows', ...PROVIDER_NAMES]);
    const queues = opts.queues.split(',').map((q) => q.trim()).filter(Boolean);
    const unknown = queues.filter((q) => !allowed.has(q));
    if (unknown.length) throw new CommandError(`worker: unknown queue(s) ${unknown.join(', ')}; choose from ${[...allowed].join(', ')}`);
    const database = await openStore(config, logger);
    const connection = await NativeConnection.connect(temporalConnectionOptions(config));
    const metrics = config.metrics.port === undefined ? undefined : await startMetricsServer({ ...config.metrics, port: config.metrics.port });
    if (metrics) logger.info({ url: metrics.url }, 'metrics served');
    const workers = await startWorkers({ config, connection, db: database.db, queues: queues as Array<'workflows' | (typeof PROVIDER_NAMES)[number]> });
    logger.info({ queues, address: temporalAddress(config) }, 'workers running');
    if (queues.includes('workflows')) {
      // The workflow workers run the retention purge, so they keep its schedule in line with the configuration. A
      // failure here does not stop the workers (another worker or `enrich retention` can set it), but it is loud.
      const client = await createTemporalClient(config);
      try {
        logger.info(await ensureRetentionSchedule(client, config), 'retention schedule');
      } catch (err) {
        logger.error({ err }, 'could not create or update the retention schedule; run `enrich retention`');
      } finally {
        await client.connection.close();
      }
    }
    const running = workers.run();
    await untilSignal(async () => {
      workers.shutdown();
      await running;
    });
    await metrics?.close();
    await connection.close();
    await database.close();
  });

program
  .command('api')
  .description('run the HTTP API (signups in, records out)')
  .action(async () => {
    const config = loadConfig();
    if (!config.api.apiToken) throw new CommandError('api: API_TOKEN must be set');
    if (!config.api.signupToken && !config.api.webhookSecret) throw new CommandError('api: set SIGNUP_TOKEN or WEBHOOK_SECRET so signups can be authenticated');
    const logger = createLogger(config.logLevel);
    const database = await openStore(config, logger);
    const temporal = await createTemporalClient(config);
    const api = buildApi({ config, temporal, db: database.db, logger });
    await api.listen({ host: config.api.host, port: config.api.port });
    await untilSignal(async () => {
      await api.close();
      await temporal.connection.close();
      await database.close();
    });
  });

program
  .command('migrate')
  .description('apply database migrations (idempotent)')
  .action(async () => {
    const config = loadConfig();
    const database = await openStore(config);
    try {
      const applied = await migrateToLatest(database.db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'schema is up to date\n');
    } finally {
      await database.close();
    }
  });

program
  .command('signup <email>')
  .description('start one enrichment, as the signup webhook does')
  .option('--given-name <name>')
  .option('--family-name <name>')
  .option('--birth-year <year>', 'helps the voter-file match tell namesakes apart')
  .option('--address <line>', 'street address line')
  .option('--postal-code <code>')
  .option('--locality <city>')
  .option('--region <region>')
  .option('--country <code>', 'ISO 3166-1 alpha-2, e.g. US or FR')
  .option('--source <source>', 'where the signup came from', 'cli')
  .option('--consent-social', 'the supporter agreed to public social-profile matching')
  .option('--wait', 'wait until the enrichment has settled (enriched, or flagged) and print its status')
  .action(async (email: string, opts: SignupOptions) => {
    const result = await signup(loadConfig(), email, opts);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  });

program
  .command('backfill <file>')
  .description('start enrichment for every valid row of a CSV or JSONL file (- for stdin); re-running resumes')
  .option('--concurrency <n>', 'starts in flight at once', String(DEFAULT_BACKFILL_CONCURRENCY))
  .option('--dry-run', 'validate every row and write the rejects file, start nothing')
  .option('--rejects <file>', 'write bad rows there as CSV: line,reason')
  .option('--reenrich', 'start a new enrichment for supporters whose enrichment has finished (running ones are left alone)')
  .option('--json', 'print the final summary as one JSON object: {rows, started, existing, rejected, suppressed}')
  .action(async (file: string, opts: BackfillCommandOptions) => {
    await runBackfill(loadConfig(), file, opts);
  });

program
  .command('contact <ref>')
  .description('print the unified record of a contact (by email, contact id or workflow id); exit 2 when not found')
  .addOption(new Option('--format <format>', 'json: the unified record; osdi: an OSDI 1.2 person (FEC data left out)').choices(CONTACT_FORMATS).default('json'))
  .option('--purpose <text>', 'why the record is read (support request, access request, …): kept in the audit log')
  .option('--actor <name>', 'who reads, for the audit log (default cli:<OS user>)')
  .action(async (ref: string, opts: { format: ContactFormat; purpose?: string; actor?: string }) => {
    const read = { purpose: opts.purpose, actor: opts.actor };
    const view = opts.format === 'osdi' ? await readContactOsdi(loadConfig(), ref, read) : await readContact(loadConfig(), ref, read);
    if (!view) throw new CommandError('contact not found', 2);
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
  });

program
  .command('segment')
  .description('stream the contacts matching every --where filter as CSV, JSONL or OSDI (never raw SQL)')
  .option(
    '--where <expr>',
    'a filter, repeatable (all must hold): field=value, field~text, field>=n, field<=n, field>n, field<n, field? — e.g. work.occupation~physician',
    (expr: string, previous: string[]) => [...previous, expr],
    [] as string[],
  )
  .addOption(new Option('--format <format>', 'output format').choices(SEGMENT_FORMATS).default('csv'))
  .option('--out <file>', 'write there instead of stdout')
  .addOption(new Option('--purpose <purpose>', 'research also exports and filters on FEC data (restricted by US law)').choices(EXPORT_PURPOSES).default('outreach'))
  .option('--actor <name>', 'who exports, for the audit log (default cli:<OS user>)')
  .action(async (opts: SegmentCommandOptions) => {
    const count = await runSegment(loadConfig(), opts);
    if (opts.out) process.stderr.write(`segment: ${count === undefined ? 'contacts' : `${count} contact${count === 1 ? '' : 's'}`} written to ${opts.out}\n`);
  });

program
  .command('remerge')
  .description('re-derive records from the stored observations with the current merge rules; prints how many changed')
  .option('--all', 'every contact with a record (default: records derived under an older record schema)')
  .option('--batch <n>', 'contacts per batch', String(DEFAULT_REMERGE_BATCH))
  .action(async (opts: { all?: boolean; batch: string }) => {
    const result = await runRemerge(loadConfig(), { all: Boolean(opts.all), batch: Number(opts.batch) });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });

program
  .command('flagged')
  .description('list contacts with failed lookups, and why')
  .option('--json', 'print the failed lookups as one JSON array')
  .action(async (opts: { json?: boolean }) => {
    const lookups = await readFlagged(loadConfig());
    process.stdout.write(opts.json ? `${JSON.stringify(lookups, null, 2)}\n` : formatFlagged(lookups));
  });

program
  .command('retry [ref]')
  .description('retry the failed lookups of a contact (email, contact id or workflow id) now, or of every flagged contact')
  .option('--all-flagged', 'every contact whose latest enrichment is flagged')
  .action(async (ref: string | undefined, opts: { allFlagged?: boolean }) => {
    const config = loadConfig();
    if (!ref && !opts.allFlagged) throw new CommandError('retry: give a contact, or --all-flagged');
    const client = await createTemporalClient(config);
    try {
      const results = opts.allFlagged ? await retryAllFlagged(client, config) : [await retryContact(client, config, retryTarget(config, ref!))];
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } finally {
      await client.connection.close();
    }
  });

const voters = program.command('voters').description('the voter file: import a new one, re-match every contact against it');

voters
  .command('import <file>')
  .description('load a voter file (UTF-8 or Latin-1) as the current one: streamed, indexed, then swapped in atomically')
  .addOption(new Option('--format <format>', 'ncvoter (North Carolina) or csv (with --mapping)').choices([...VOTER_FILE_FORMATS]).makeOptionMandatory())
  .option('--mapping <file>', 'JSON column mapping for other layouts (Ohio, a French list, …)')
  .option('--history <file>', 'vote history (ncvhis for North Carolina), one row per vote')
  .option('--rejects <file>', 'write rows that were not loaded there as CSV: line,reason')
  .option('--json', 'print the summary as one JSON object')
  .action(async (file: string, opts: VotersImportOptions) => {
    process.stdout.write(await runVotersImport(loadConfig(), file, opts));
  });

voters
  .command('rematch')
  .description('re-match every contact against the current voter file (set-based SQL), record what changed, and signal open enrichments flagged on voterfile')
  .option('--high <p>', 'match threshold (0–1)')
  .option('--low <p>', 'review threshold (0–1)')
  .option('--json', 'print the counts as one JSON object')
  .option('--no-notify', 'do not signal open enrichments flagged on voterfile to re-run that lookup (then run `enrich retry --all-flagged`)')
  .action(async (opts: VotersRematchOptions) => {
    process.stdout.write(await runVotersRematch(loadConfig(), opts));
  });

program
  .command('retention')
  .description('make the retention schedule match RETENTION_OBSERVATIONS_DAYS and RETENTION_PURGE_CRON (workers do this at start); --run-now also purges now')
  .option('--run-now', 'purge expired observations now and print what was deleted')
  .option('--actor <name>', 'who runs the purge, for the audit log (default cli:<OS user>)')
  .action(async (opts: { runNow?: boolean; actor?: string }) => {
    const config = loadConfig();
    const client = await createTemporalClient(config);
    try {
      const schedule = await ensureRetentionSchedule(client, config);
      const purged = opts.runNow ? await runRetentionPurgeNow(client, config, cliActor(opts.actor)) : undefined;
      process.stdout.write(`${JSON.stringify({ schedule, ...(purged ? { purged } : {}) }, null, 2)}\n`);
    } finally {
      await client.connection.close();
    }
  });

for (const action of ['suppress', 'erase'] as const) {
  program
    .command(`${action} <ref>`)
    .description(
      action === 'erase'
        ? 'erase everything held about a person (record, observations, lookups); keep only a keyed hash so they are never enriched again; prints a receipt'
        : 'opt a person out: never enriched again (a keyed hash on the suppression list); what is held stays, marked suppressed',
    )
    .action(async (ref: string) => {
      const config = loadConfig();
      const key = contactKeyFromRef(ref, config.pseudonymKey);
      if (!key) throw new CommandError(`${action}: give an email, a contact id or an enrich-contact workflow id`);
      const client = await createTemporalClient(config);
      try {
        const workflowId = await startPrivacyRequest(client, config, action, key, `cli:${userInfo().username}`);
        const result: unknown = await client.workflow.getHandle(workflowId).result();
        process.stdout.write(`${JSON.stringify({ workflowId, ...(result as object) }, null, 2)}\n`);
      } finally {
        await client.connection.close();
      }
    });
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const exitCode = err instanceof CommandError ? err.exitCode : 1;
  process.stderr.write(`enrich: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCode;
}
