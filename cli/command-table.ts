import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** What a command file exports: `register` adds its command (or commands) to the program. */
export interface CommandModule {
  register(program: Command, context: CliContext): void;
}

/**
 * Every command file, in the order `enrich --help` lists them, with the top-level command names it registers.
 * The files are imported only when needed: a call names one command, so only that file (and what it imports:
 * the Temporal client, the database driver, the HTTP server…) is loaded. Loading all of them costs about a
 * second on a small machine, paid on every call by scripts that run `enrich contact` in a loop.
 */
export const COMMAND_TABLE: ReadonlyArray<{ names: readonly string[]; load: () => Promise<CommandModule> }> = [
  { names: ['dev'], load: () => import('./commands/dev.js') },
  { names: ['worker'], load: () => import('./commands/worker.js') },
  { names: ['api'], load: () => import('./commands/api.js') },
  { names: ['migrate'], load: () => import('./commands/migrate.js') },
  { names: ['signup'], load: () => import('./commands/signup.js') },
  { names: ['backfill'], load: () => import('./commands/backfill.js') },
  { names: ['contact'], load: () => import('./commands/contact.js') },
  { names: ['segment'], load: () => import('./commands/segment.js') },
  { names: ['zones'], load: () => import('./commands/zones.js') },
  { names: ['export'], load: () => import('./commands/export.js') },
  { names: ['remerge'], load: () => import('./commands/remerge.js') },
  { names: ['flagged'], load: () => import('./commands/flagged.js') },
  { names: ['retry'], load: () => import('./commands/retry.js') },
  { names: ['voters'], load: () => import('./commands/voters.js') },
  { names: ['retention'], load: () => import('./commands/retention.js') },
  { names: ['suppress', 'erase'], load: () => import('./commands/privacy-request.js') },
];

/**
 * The command files a call needs: the one registering `args[0]` when it names a command, else every file (for
 * `--help`, `help <command>`, no arguments or an unknown name, whose error lists the commands there are).
 */
export function commandsFor(args: readonly string[]): Promise<CommandModule[]> {
  const named = COMMAND_TABLE.find((entry) => entry.names.includes(args[0] ?? ''));
  return Promise.all((named ? [named] : COMMAND_TABLE).map((entry) => entry.load()));
}
