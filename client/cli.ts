import { Command, Option } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { PROVIDER_NAMES } from '../schemas/providers.js';
import { migrateToLatest } from '../store/migrate.js';
import { installTemporalRuntime } from '../worker/runtime.js';
import { startWorkers } from '../worker/start-workers.js';
import { buildApi } from './api/build-api.js';
import { runBackfill, DEFAULT_BACKFILL_CONCURRENCY, type BackfillCommandOptions } from './commands/backfill.js';
import { CommandError } from './commands/command-error.js';
import { openStore } from './open-store.js';
import { readContact } from './commands/contact.js';
import { formatFlagged, readFlagged } from './commands/flagged.js';
import { retryAllFlagged, retryContact, retryTarget } from './commands/retry.js';
import { signup, type SignupOptions } from './commands/signup.js';
import { startDevStack } from './dev/start-dev-stack.js';
import { createTemporalClient, temporalAddress } from './temporal-client.js';

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
    installTemporalRuntime(logger, 'WARN');
    const stack = await startDevStack({ env: process.env, demo: Boolean(opts.demo), logger });
    const lines = [
      'contact-enrichment dev stack is up',
      `  API            ${stack.apiUrl}   (POST /v1/signups with "Authorization: Bearer ${stack.signupToken}")`,
      `  Temporal       ${stack.temporalAddress}`,
      ...(stack.uiUrl ? [`  Temporal UI    ${stack.uiUrl}`] : []),
      `  Database       ${stack.config.database.url ? 'DATABASE_URL' : `embedded PGlite in ${stack.config.database.pgliteDir}`}`,
      ...(stack.demo ? PROVIDER_NAMES.map((name) => `  Demo ${name.padEnd(10)}${stack.demo![name].url}`) : []),
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
    installTemporalRuntime(logger);
    const allowed = new Set<string>(['workflows', ...PROVIDER_NAMES]);
    const queues = opts.queues.split(',').map((q) => q.trim()).filter(Boolean);
    const unknown = queues.filter((q) => !allowed.has(q));
    if (unknown.length) throw new CommandError(`worker: unknown queue(s) ${unknown.join(', ')}; choose from ${[...allowed].join(', ')}`);
    const database = await openStore(config, logger);
    const connection = await NativeConnection.connect({ address: temporalAddress(config) });
    const workers = await startWorkers({ config, connection, db: database.db, queues: queues as Array<'workflows' | (typeof PROVIDER_NAMES)[number]> });
    logger.info({ queues, address: temporalAddress(config) }, 'workers running');
    const running = workers.run();
    await untilSignal(async () => {
      workers.shutdown();
      await running;
    });
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
  .option('--reenrich', 'start again for supporters already enriched (not supported yet)')
  .option('--json', 'print the final summary as one JSON object: {rows, started, existing, rejected, suppressed}')
  .action(async (file: string, opts: BackfillCommandOptions) => {
    await runBackfill(loadConfig(), file, opts);
  });

program
  .command('contact <ref>')
  .description('print the unified record of a contact (by email, contact id or workflow id); exit 2 when not found')
  .addOption(new Option('--format <format>', 'output format').choices(['json']).default('json'))
  .action(async (ref: string) => {
    const view = await readContact(loadConfig(), ref);
    if (!view) throw new CommandError('contact not found', 2);
    process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
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

try {
  await program.parseAsync(process.argv);
} catch (err) {
  const exitCode = err instanceof CommandError ? err.exitCode : 1;
  process.stderr.write(`enrich: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCode;
}
