import type { Config } from '../../config.js';
import { findContactView, type ContactView } from '../../store/contacts.js';
import { AUDIT_READ_ACTIONS, insertAudit } from '../../store/audit.js';
import { auditPurpose, AUDIT_ACTOR_HEADER, cliActor } from '../../store/audit-actors.js';
import { contactKeyFromRef } from '../../domain/contact-key.js';
import { contactViewAsOsdi, type OsdiPerson } from '../../domain/osdi/osdi-person.js';
import { CommandError } from './command-error.js';
import { readStore } from './read-store.js';
import { Option, type Command } from 'commander';
import type { CliContext } from '../context.js';

/** How `enrich contact` prints a contact: the unified record, or an OSDI 1.2 person. */
export const CONTACT_FORMATS = ['json', 'osdi'] as const;
export type ContactFormat = (typeof CONTACT_FORMATS)[number];

/** Who reads, and why: recorded in the audit log with the contact key (never the email). */
export interface ContactReadOptions {
  /** Default `cli:<OS user>`. */
  actor?: string | undefined;
  purpose?: string | undefined;
}

/** Reads a contact as an OSDI person (see `contactViewAsOsdi`); undefined when there is none. */
export async function readContactOsdi(
  config: Config,
  ref: string,
  options: ContactReadOptions = {},
): Promise<OsdiPerson | undefined> {
  const view = await readContact(config, ref, options, 'osdi');
  return view && contactViewAsOsdi(view);
}

/**
 * Reads a contact's record by email, contact id or workflow id; undefined when there is none. The read is audited
 * (actor, contact key, purpose): in the database it reads, or by the dev stack's API when it reads through it.
 */
export async function readContact(
  config: Config,
  ref: string,
  options: ContactReadOptions = {},
  format: 'json' | 'osdi' = 'json',
): Promise<ContactView | undefined> {
  const key = contactKeyFromRef(ref, config.pseudonymKey);
  if (!key)
    throw new CommandError('contact: give an email, a contact id (64 hex characters) or an enrich-contact workflow id');
  let purpose: string | undefined;
  try {
    purpose = auditPurpose(options.purpose);
  } catch (err) {
    throw new CommandError(`contact: --${(err as Error).message}`);
  }
  const actor = cliActor(options.actor);
  const query = new URLSearchParams({ format: 'json', ...(purpose ? { purpose } : {}) });
  return readStore<ContactView | undefined>(config, {
    fromDb: async (db) => {
      const view = await findContactView(db, key);
      await insertAudit(db, {
        actor,
        action: AUDIT_READ_ACTIONS.readContact,
        subjectKey: key,
        purpose,
        detail: { format, found: view !== undefined },
      });
      return view;
    },
    apiPath: `/v1/contacts/${key}?${query.toString()}`,
    apiHeaders: { [AUDIT_ACTOR_HEADER]: actor },
    fromApi: (status, body) => (status === 404 ? undefined : (body as ContactView)),
    empty: undefined,
  });
}

/** `enrich contact <ref>`: prints the record (or the OSDI person) as JSON; exit 2 when there is none. */
export function register(program: Command, context: CliContext): void {
  program
    .command('contact <ref>')
    .description('print the unified record of a contact (by email, contact id or workflow id); exit 2 when not found')
    .addOption(
      new Option('--format <format>', 'json: the unified record; osdi: an OSDI 1.2 person (FEC data left out)')
        .choices(CONTACT_FORMATS)
        .default('json'),
    )
    .option('--purpose <text>', 'why the record is read (support request, access request, …): kept in the audit log')
    .option('--actor <name>', 'who reads, for the audit log (default cli:<OS user>)')
    .action(async (ref: string, opts: { format: ContactFormat; purpose?: string; actor?: string }) => {
      const read = { purpose: opts.purpose, actor: opts.actor };
      const view =
        opts.format === 'osdi'
          ? await readContactOsdi(context.config, ref, read)
          : await readContact(context.config, ref, read);
      if (!view) throw new CommandError('contact not found', 2);
      process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    });
}
