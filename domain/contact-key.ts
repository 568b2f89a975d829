import { createHmac } from 'node:crypto';
import { normalizeEmail } from '../schemas/email.js';

/**
 * The contact's pseudonymous key: HMAC-SHA256 of the normalised email under PSEUDONYM_KEY. A plain hash of an
 * email can be reversed by hashing candidate emails; a keyed one cannot without the key.
 */
export function contactKeyFor(email: string, pseudonymKey: string): string {
  return createHmac('sha256', pseudonymKey).update(normalizeEmail(email)).digest('hex');
}

/** Reads a contact reference given on the command line or in a URL: an email, a contact key or a workflow ID. */
export function contactKeyFromRef(ref: string, pseudonymKey: string): string | undefined {
  const trimmed = ref.trim();
  if (trimmed.includes('@')) return contactKeyFor(trimmed, pseudonymKey);
  const match = /^(?:enrich-contact:)?([0-9a-f]{64})$/i.exec(trimmed);
  return match?.[1]?.toLowerCase();
}
