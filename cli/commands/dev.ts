import type { Command } from 'commander';
import { HTTP_PROVIDER_NAMES } from '../../schemas/providers.js';
import { installTemporalRuntime } from '../../worker/runtime.js';
import { untilSignal } from '../../worker/until-signal.js';
import { startDevStack, type DevStack } from '../../dev/start-dev-stack.js';
import type { CliContext } from '../context.js';

/** What `enrich dev` prints once the stack is up: where each part answers, and what to try first. */
function banner(stack: DevStack): string {
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
  return `${lines.join('\n')}\n`;
}

/**
 * `enrich dev [--demo]`: the whole stack in this process tree until Ctrl-C (see dev/start-dev-stack.ts). The
 * configuration loaded before the action only sets the log level and the runtime's metrics address: the stack
 * loads its own from the environment, with made-up tokens and, with --demo, the demo providers' URLs.
 */
export function register(program: Command, context: CliContext): void {
  program
    .command('dev')
    .description(
      'run the whole stack locally: Temporal dev server + Web UI, embedded Postgres, migrations, workers and the API',
    )
    .option('--demo', 'also start the demo providers and point every provider at them (works offline)')
    .action(async (opts: { demo?: boolean }) => {
      const { config, logger } = context;
      installTemporalRuntime(logger, 'WARN', { metricsBindAddress: config.temporal.metricsBindAddress });
      const stack = await startDevStack({ env: process.env, demo: Boolean(opts.demo), logger });
      process.stdout.write(banner(stack));
      await untilSignal(() => stack.stop());
    });
}
