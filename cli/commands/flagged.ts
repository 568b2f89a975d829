import type { Config } from '../../config.js';
import { listFailedLookups, type FailedLookup } from '../../store/lookups.js';
import { readStore } from './read-store.js';
import type { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Every failed lookup, oldest failure first. */
export function readFlagged(config: Config): Promise<FailedLookup[]> {
  return readStore<FailedLookup[]>(config, {
    fromDb: (db) => listFailedLookups(db),
    apiPath: '/v1/flagged',
    fromApi: (_status, body) => (body as { lookups: FailedLookup[] }).lookups,
    empty: [],
  });
}

/** One line per flagged contact, then one indented line per failed lookup with why and since when. */
export function formatFlagged(lookups: FailedLookup[]): string {
  if (lookups.length === 0) return 'no flagged contacts\n';
  const byContact = new Map<string, FailedLookup[]>();
  for (const l of lookups) byContact.set(l.contactId, [...(byContact.get(l.contactId) ?? []), l]);
  const lines: string[] = [];
  for (const [contactId, failed] of byContact) {
    lines.push(`${failed[0]!.email}  enrich-contact:${contactId}`);
    for (const l of failed) {
      lines.push(
        `  ${l.provider.padEnd(9)} ${(l.errorType ?? 'Error').padEnd(20)} ${l.attempts} attempt(s), since ${l.firstFailedAt ?? '?'}: ${l.lastError ?? ''}`,
      );
    }
  }
  return `${lines.join('\n')}\n${byContact.size} flagged contact(s)\n`;
}

/** `enrich flagged [--json]`: the failed lookups, one line each under their contact, or as a JSON array. */
export function register(program: Command, context: CliContext): void {
  program
    .command('flagged')
    .description('list contacts with failed lookups, and why')
    .option('--json', 'print the failed lookups as one JSON array')
    .action(async (opts: { json?: boolean }) => {
      const lookups = await readFlagged(context.config);
      process.stdout.write(opts.json ? `${JSON.stringify(lookups, null, 2)}\n` : formatFlagged(lookups));
    });
}
