import { existsSync } from 'node:fs';
import type { Config } from '../../config.js';
import { findContactView, type ContactView } from '../../store/contacts.js';
import { migrateToLatest } from '../../store/migrate.js';
import { openStore } from '../open-store.js';
import { contactKeyFromRef } from '../contact-key.js';
import { readDevStackInfo } from '../dev/dev-stack-file.js';
import { CommandError } from './command-error.js';

/**
 * Reads a contact's record: from Postgres when DATABASE_URL is set; through the running `enrich dev` API when
 * that process holds the embedded database; else from the embedded database directly.
 */
export async function readContact(config: Config, ref: string): Promise<ContactView | undefined> {
  const key = contactKeyFromRef(ref, config.pseudonymKey);
  if (!key) throw new CommandError('contact: give an email, a contact id (64 hex characters) or an enrich-contact workflow id');
  if (!config.database.url) {
    const dev = await readDevStackInfo(config.database.pgliteDir);
    if (dev) return readThroughApi(dev.apiUrl, dev.apiToken, key);
    if (!existsSync(config.database.pgliteDir)) return undefined;
  }
  const database = await openStore(config, undefined, 1);
  try {
    if (database.embedded) await migrateToLatest(database.db);
    return await findContactView(database.db, key);
  } finally {
    await database.close();
  }
}

async function readThroughApi(apiUrl: string, apiToken: string, key: string): Promise<ContactView | undefined> {
  const response = await fetch(`${apiUrl}/v1/contacts/${key}`, { headers: { authorization: `Bearer ${apiToken}` } });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new CommandError(`contact: the dev stack's API answered HTTP ${response.status}`);
  return (await response.json()) as ContactView;
}
