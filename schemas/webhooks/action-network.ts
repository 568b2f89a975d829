import { z } from 'zod';
import { OsdiPersonSchema } from './osdi-person.js';

/**
 * The Action Network event types that carry a person who acted (a form, a petition, an event RSVP, a donation, an
 * outreach, a manual add, an upload). Each element of a webhook array wraps exactly one of them under its type.
 */
export const ACTION_NETWORK_PERSON_EVENTS = [
  'osdi:submission',
  'osdi:signature',
  'osdi:attendance',
  'osdi:donation',
  'osdi:outreach',
  'action_network:action',
  'action_network:upload',
] as const;
export type ActionNetworkPersonEventType = (typeof ACTION_NETWORK_PERSON_EVENTS)[number];

/** One event's body, e.g. the value under `osdi:submission`. */
export const ActionNetworkEventSchema = z.object({
  identifiers: z.array(z.string()).nullish(),
  created_date: z.string().nullish(),
  person: OsdiPersonSchema.nullish(),
});
export type ActionNetworkEvent = z.infer<typeof ActionNetworkEventSchema>;

/**
 * One element of the webhook array: `{idempotency_key?, "action_network:sponsor"?, <type>: event}`. The
 * idempotency key is the same on every redelivery of the event.
 */
export const ActionNetworkElementSchema = z
  .object({
    idempotency_key: z.string().trim().min(1).max(200).nullish(),
  })
  .catchall(z.unknown());
export type ActionNetworkElement = z.infer<typeof ActionNetworkElementSchema>;

/** The body of an Action Network webhook: a JSON array of elements (usually one). */
export const ActionNetworkWebhookSchema = z.array(z.unknown()).max(1000, 'at most 1000 events per delivery');
