import { Option, type Command } from 'commander';
import { runWorker, WORKER_QUEUES, type WorkerQueue } from '../../worker/main.js';
import type { CliContext } from '../context.js';
import { CommandError } from './command-error.js';

/** `--queues` as given: a comma-separated list, each name one of {@link WORKER_QUEUES}. */
export function parseQueues(list: string): WorkerQueue[] {
  const allowed = new Set<string>(WORKER_QUEUES);
  const queues = list
    .split(',')
    .map((q) => q.trim())
    .filter(Boolean);
  const unknown = queues.filter((q) => !allowed.has(q));
  if (unknown.length)
    throw new CommandError(`worker: unknown queue(s) ${unknown.join(', ')}; choose from ${[...allowed].join(', ')}`);
  return queues as WorkerQueue[];
}

/** `enrich worker [--queues …]`: see worker/main.ts. */
export function register(program: Command, context: CliContext): void {
  program
    .command('worker')
    .description('run workers against TEMPORAL_ADDRESS: the workflow queue and each enabled provider queue')
    .addOption(
      new Option('--queues <list>', 'comma-separated subset: workflows and/or provider names').default(
        WORKER_QUEUES.join(','),
      ),
    )
    .action(async (opts: { queues: string }) => {
      const queues = parseQueues(opts.queues);
      await runWorker(context.config, context.logger, { queues });
    });
}
