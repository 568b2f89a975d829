import type { Config } from '../../config.js';
import { listFailedLookups, type FailedLookup } from '../../store/lookups.js';
import { readStore } from './read-store.js';

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
      lines.push(`  ${l.provider.padEnd(9)} ${(l.errorType ?? 'Error').padEnd(20)} ${l.attempts} attempt(s), since ${l.firstFailedAt ?? '?'}: ${l.lastError ?? ''}`);
    }
  }
  return `${lines.join('\n')}\n${byContact.size} flagged contact(s)\n`;
}
