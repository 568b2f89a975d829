import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { createTemporalClient } from '../../client/temporal-client.js';
import { startPrivacyRequest } from '../../client/privacy-requests.js';
import { contactKeyFromRef } from '../../domain/contact-key.js';
import type { CliContext } from '../context.js';
import { CommandError } from './command-error.js';

const DESCRIPTIONS = {
  suppress:
    'opt a person out: never enriched again (a keyed hash on the suppression list); what is held stays, marked suppressed',
  erase:
    'erase everything held about a person (record, observations, lookups); keep only a keyed hash so they are never enriched again; prints a receipt',
} as const;

type PrivacyAction = keyof typeof DESCRIPTIONS;

/**
 * `enrich suppress <ref>` and `enrich erase <ref>`: each starts its privacy workflow for the person, waits for it
 * and prints its receipt with the workflow ID. One file for both: they differ only in the request they make.
 */
export function register(program: Command, context: CliContext): void {
  for (const action of ['suppress', 'erase'] as const) registerRequest(program, context, action);
}

function registerRequest(program: Command, context: CliContext, action: PrivacyAction): void {
  program
    .command(`${action} <ref>`)
    .description(DESCRIPTIONS[action])
    .action(async (ref: string) => {
      const { config } = context;
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
