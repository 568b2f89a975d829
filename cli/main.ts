import { Command } from 'commander';
import { cliContext, type CliContext } from './context.js';
import { CommandError } from './commands/command-error.js';
import * as api from './commands/api.js';
import * as backfill from './commands/backfill.js';
import * as contact from './commands/contact.js';
import * as dev from './commands/dev.js';
import * as exportCommand from './commands/export.js';
import * as flagged from './commands/flagged.js';
import * as migrate from './commands/migrate.js';
import * as privacyRequest from './commands/privacy-request.js';
import * as remerge from './commands/remerge.js';
import * as retention from './commands/retention.js';
import * as retry from './commands/retry.js';
import * as segment from './commands/segment.js';
import * as signup from './commands/signup.js';
import * as voters from './commands/voters.js';
import * as worker from './commands/worker.js';

/** The commands in the order `enrich --help` lists them; each file adds its own with `register`. */
const COMMANDS: ReadonlyArray<{ register(program: Command, context: CliContext): void }> = [
  dev,
  worker,
  api,
  migrate,
  signup,
  backfill,
  contact,
  segment,
  exportCommand,
  remerge,
  flagged,
  retry,
  voters,
  retention,
  privacyRequest,
];

const program = new Command('enrich')
  .description('Enrich supporters with what is public about them, durably, on Temporal.')
  .showHelpAfterError();
const context = cliContext(program);
for (const command of COMMANDS) command.register(program, context);

// A failure is one line on stderr: `enrich: <message>`, exit 1 (or the CommandError's own status, 2 for not found).
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const exitCode = err instanceof CommandError ? err.exitCode : 1;
  process.stderr.write(`enrich: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCode;
}
