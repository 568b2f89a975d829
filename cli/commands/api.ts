import type { Command } from 'commander';
import { runApi } from '../../api/server.js';
import type { CliContext } from '../context.js';

/** `enrich api`: see api/server.ts. */
export function register(program: Command, context: CliContext): void {
  program
    .command('api')
    .description('run the HTTP API (signups in, records out)')
    .action(async () => {
      await runApi(context.config, context.logger);
    });
}
