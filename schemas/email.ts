import { z } from 'zod';

/**
 * Normalises an email for identity: Unicode NFC, trimmed, lower-cased. Deliberately nothing provider-specific
 * (no Gmail dot or plus stripping): two spellings that might be two people must stay two contacts.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

/** A syntactically plausible address: one @, a dotted domain, no spaces, at most 254 characters (RFC 5321). */
export const EmailSchema = z
  .string()
  .transform(normalizeEmail)
  .pipe(z.string().max(254, 'must be at most 254 characters').regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address'));
