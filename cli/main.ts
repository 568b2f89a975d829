import { Command } from 'commander';
import { cliContext } from './context.js';
import { CommandError } from './commands/command-error.js';
import { commandsFor } from './command-table.js';

const program = new Command('enrich')
  .description('Enrich supporters with what is public about them, durably, on Temporal.')
  .showHelpAfterError();
const context = cliContext(program);

// A failure is one line on stderr: `enrich: <message>`, exit 1 (or the CommandError's own status, 2 for not found).
try {
  for (const command of await commandsFor(process.argv.slice(2))) command.register(program, context);
  await program.parseAsync(process.argv);
} catch (err) {
  const exitCode = err instanceof CommandError ? err.exitCode : 1;
  process.stderr.write(`enrich: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCode;
}
