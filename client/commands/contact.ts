import type { Config } from '../../config.js';
import { findContactView, type ContactView } from '../../store/contacts.js';
import { contactKeyFromRef } from '../contact-key.js';
import { CommandError } from './command-error.js';
import { readStore } from './read-store.js';

/** Reads a contact's record by email, contact id or workflow id; undefined when there is none. */
export async function readContact(config: Config, ref: string): Promise<ContactView | undefined> {
  const key = contactKeyFromRef(ref, config.pseudonymKey);
  if (!key) throw new CommandError('contact: give an email, a contact id (64 hex characters) or an enrich-contact workflow id');
  return readStore<ContactView | undefined>(config, {
    fromDb: (db) => findContactView(db, key),
    apiPath: `/v1/contacts/${key}`,
    fromApi: (status, body) => (status === 404 ? undefined : (body as ContactView)),
    empty: undefined,
  });
}
