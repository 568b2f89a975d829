import type { Kysely } from 'kysely';
import type { Database } from '../../store/database.js';
import type { ContactRecord } from '../../schemas/contact-record.js';
import type { ListStatus } from '../../schemas/list-status.js';
import { toOsdiPerson, type OsdiPerson } from '../../domain/osdi/osdi-person.js';
import { findListStatuses } from '../../store/list-statuses.js';
import { findContactById } from '../../store/contacts.js';

/** The body of Action Network's person signup helper: `{person}` (OSDI fields Action Network reads). */
export interface ActionNetworkSignupBody {
  person: Pick<OsdiPerson, 'given_name' | 'family_name' | 'email_addresses' | 'custom_fields'> & {
    postal_addresses?: Array<{
      primary?: boolean;
      address_lines?: string[];
      locality?: string;
      region?: string;
      postal_code?: string;
      country?: string;
    }>;
  };
}

/** What the write-back does with one contact. */
export type WriteBackPlan =
  | { contactKey: string; action: 'send'; body: ActionNetworkSignupBody }
  | { contactKey: string; action: 'skip'; reason: string };

/**
 * Decides what to send for one record: the OSDI person Action Network reads (names, the email with its status, the
 * address, our custom fields), or a skip with the reason.
 *
 * The email status is the danger: Action Network's helper subscribes a new person who arrives without one. So a
 * contact whose status we know is sent with it (`subscribed` only if a list said so); a suppressed or opted-out
 * contact is skipped (nothing was enriched, and the list already knows); a contact whose status we do not know is
 * sent without a status only when they came from Action Network (they are on the list, and a missing status leaves
 * theirs unchanged), and skipped otherwise.
 */
export function planWriteBack(
  record: ContactRecord,
  statuses: readonly ListStatus[],
  signupSource: string | undefined,
): WriteBackPlan {
  const osdi = toOsdiPerson(record, { listStatuses: statuses });
  const email = osdi.email_addresses[0];
  if (!email) return { contactKey: record.id, action: 'skip', reason: 'no email address' };
  if (record.status === 'suppressed' || (email.status && email.status !== 'subscribed'))
    return { contactKey: record.id, action: 'skip', reason: `opted out (${email.status ?? 'suppressed'})` };
  const fromActionNetwork = signupSource?.startsWith('action_network:') === true;
  if (!email.status && !fromActionNetwork)
    return {
      contactKey: record.id,
      action: 'skip',
      reason: 'list status unknown: Action Network would subscribe a new person sent without one',
    };
  const address = osdi.postal_addresses?.[0];
  return {
    contactKey: record.id,
    action: 'send',
    body: {
      person: {
        ...(osdi.given_name ? { given_name: osdi.given_name } : {}),
        ...(osdi.family_name ? { family_name: osdi.family_name } : {}),
        email_addresses: [{ address: email.address, primary: true, ...(email.status ? { status: email.status } : {}) }],
        ...(address
          ? {
              postal_addresses: [
                {
                  primary: true,
                  ...(address.locality ? { locality: address.locality } : {}),
                  ...(address.region ? { region: address.region } : {}),
                  ...(address.postal_code ? { postal_code: address.postal_code } : {}),
                  ...(address.country ? { country: address.country } : {}),
                },
              ],
            }
          : {}),
        custom_fields: osdi.custom_fields,
      },
    },
  };
}

/** The plan of each record, reading its list statuses and signup source from the store. */
export async function* planWriteBacks(
  db: Kysely<Database>,
  records: AsyncIterable<ContactRecord>,
): AsyncGenerator<WriteBackPlan> {
  for await (const record of records) {
    const statuses = await findListStatuses(db, record.id);
    const row = await findContactById(db, record.id);
    const signup = row?.signup as { source?: unknown } | undefined;
    yield planWriteBack(record, statuses, typeof signup?.source === 'string' ? signup.source : undefined);
  }
}

export interface ActionNetworkClientOptions {
  apiUrl: string;
  apiKey: string;
  /** Requests per second at most. */
  rps: number;
  /** Attempts per person when Action Network answers 429 or 5xx. */
  maxAttempts?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

/** Why a person was not written: the HTTP status and Action Network's `error` text (never the person's data). */
export class ActionNetworkWriteError extends Error {
  override readonly name = 'ActionNetworkWriteError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Posts people to `<apiUrl>/people` with `OSDI-API-Token`, spaced to `rps` (one request starts at most every
 * 1/rps seconds), retrying 429 (after its Retry-After) and 5xx answers; a 4xx other than 429 is the person's own
 * problem and fails only that person.
 */
export function actionNetworkPoster(options: ActionNetworkClientOptions) {
  const gapMs = 1000 / options.rps;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? delay;
  const maxAttempts = options.maxAttempts ?? 4;
  let nextAt = 0;
  const slot = async () => {
    const now = Date.now();
    const at = Math.max(now, nextAt);
    nextAt = at + gapMs;
    if (at > now) await sleep(at - now);
  };
  return async (body: ActionNetworkSignupBody): Promise<{ identifiers: string[] }> => {
    for (let attempt = 1; ; attempt++) {
      await slot();
      const response = await doFetch(`${options.apiUrl}/people`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'osdi-api-token': options.apiKey },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      if (response.ok) {
        const json = JSON.parse(text) as { identifiers?: string[] };
        return { identifiers: json.identifiers ?? [] };
      }
      const retryable = response.status === 429 || response.status >= 500;
      if (!retryable || attempt >= maxAttempts) {
        let error = `HTTP ${response.status}`;
        try {
          const parsed = JSON.parse(text) as { error?: unknown };
          if (typeof parsed.error === 'string') error += `: ${parsed.error.slice(0, 200)}`;
        } catch {
          // not JSON: the status says enough
        }
        throw new ActionNetworkWriteError(response.status, error);
      }
      const retryAfter = Number(response.headers.get('retry-after'));
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : gapMs * 2 ** attempt);
    }
  };
}
