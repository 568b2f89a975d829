import { z } from 'zod';

/**
 * What a supporter list (Action Network, NationBuilder, a CSV export of either) says about a person's place on it.
 * `subscribed` is the source's word that the person receives its email; every other status is an opt-out the
 * pipeline honours: the person is not enriched, and what is held about them is marked suppressed.
 *
 * - `unsubscribed`: Action Network `email_addresses[].status` / `can2_subscription_status`; NationBuilder
 *   `unsubscribed_at` set.
 * - `bouncing`, `spam_complaint`: Action Network's other email statuses (OSDI's `bouncing`, `spam complaints`).
 * - `do_not_contact`: NationBuilder `do_not_contact`.
 * - `deceased`: NationBuilder `is_deceased`.
 */
export const LIST_STATUSES = [
  'subscribed',
  'unsubscribed',
  'bouncing',
  'spam_complaint',
  'do_not_contact',
  'deceased',
] as const;
export type ListStatusValue = (typeof LIST_STATUSES)[number];

/** The statuses that stop enrichment. */
export const OPT_OUT_STATUSES: ReadonlySet<ListStatusValue> = new Set([
  'unsubscribed',
  'bouncing',
  'spam_complaint',
  'do_not_contact',
  'deceased',
]);

/** One status heard from a source, with where it was read: `action_network:email_addresses.status`, … */
export const ListStatusSchema = z.object({
  status: z.enum(LIST_STATUSES),
  /** The system and field that said it, e.g. `nationbuilder:do_not_contact`, `csv:can2_subscription_status`. */
  source: z.string().trim().min(1).max(120),
});
export type ListStatus = z.infer<typeof ListStatusSchema>;

/** The opt-outs among `statuses` (most restrictive first: deceased, do-not-contact, then the email ones). */
export function optOutsOf(statuses: readonly ListStatus[]): ListStatus[] {
  const order = (s: ListStatus) =>
    ['deceased', 'do_not_contact', 'unsubscribed', 'spam_complaint', 'bouncing'].indexOf(s.status);
  return statuses.filter((s) => OPT_OUT_STATUSES.has(s.status)).sort((a, b) => order(a) - order(b));
}

/**
 * An email list status as senders spell it (`Subscribed`, `spam complaints`, `spam_complaint`, `Bouncing`), or
 * `'invalid'` for a value that is none of them; blank is undefined.
 */
export function parseEmailStatus(value: unknown): ListStatusValue | 'invalid' | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const word = value
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  if (word === 'subscribed') return 'subscribed';
  if (word === 'unsubscribed') return 'unsubscribed';
  if (word === 'bouncing') return 'bouncing';
  if (word === 'spam_complaints' || word === 'spam_complaint') return 'spam_complaint';
  return 'invalid';
}
