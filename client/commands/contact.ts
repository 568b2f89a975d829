import type { Config } from '../../config.js';
import { findContactView, type ContactView } from '../../store/contacts.js';
import { contactKeyFromRef } from '../contact-key.js';
import { contactViewAsOsdi, type OsdiPerson } from '../osdi/osdi-person.js';
import { CommandError } from './command-error.js';
import { readStore } from './read-store.js';

/** How `enrich contact` prints a contact: the unified record, or an OSDI 1.2 person. */
export const CONTACT_FORMATS = ['json', 'osdi'] as const;
export type ContactFormat = (typeof CONTACT_FORMATS)[number];

/** Reads a contact as an OSDI person (see `contactViewAsOsdi`); undefined when there is none. */
export async function readContactOsdi(config: Config, ref: string): Promise<OsdiPerson | undefined> {
  const view = await readContact(config, ref);
  return view && contactViewAsOsdi(view);
}

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
