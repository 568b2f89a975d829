import { domainToASCII, domainToUnicode } from 'node:url';
import { z } from 'zod';

/**
 * The one email validator of every entry point (API, webhooks, backfill, `enrich signup`): an address real mail
 * systems accept, refused otherwise with the reason. Sources and the full list: docs/input-validation.md.
 *
 * - Local part: a dot-atom (RFC 5321 §4.1.2 Dot-string, RFC 5322 §3.2.3 atext), plus the letters, marks and
 *   decimal digits of any script (RFC 6531 §3.3 adds UTF-8 to atext; we keep its letters and digits, not its
 *   symbols or emoji). No quoted local parts: RFC 5321 §4.1.2 tells hosts to avoid mailboxes that need them, HTML's
 *   `input type=email` cannot submit them, and `"a"@x` being `a@x` would give one person two contact keys.
 * - Domain: a host name of two labels or more (no address literals, no dotless hosts), Unicode labels of letters,
 *   marks, digits and hyphens only (which refuses emoji), stored in its ASCII (punycode) form.
 * - Lengths in octets as sent (RFC 5321 §4.5.3.1): local part ≤ 64, label ≤ 63, domain ≤ 253, address ≤ 254.
 */

/** NFC, trimmed, lower-cased: the spelling every check and the contact key see. */
function canonicalText(email: string): string {
  return email.normalize('NFC').trim().toLowerCase();
}

/**
 * Normalises an email for identity: Unicode NFC, trimmed, lower-cased, the domain in its ASCII (punycode) form so
 * `user@bücher.de` and `user@xn--bcher-kva.de` are one contact. Deliberately nothing provider-specific (no Gmail
 * dot or plus stripping): two spellings that might be two people must stay two contacts. Total: a string that is
 * not an address comes back canonicalised, never throws (contact references from the command line go through here).
 */
export function normalizeEmail(email: string): string {
  const text = canonicalText(email);
  const at = text.lastIndexOf('@');
  if (at < 0) return text;
  const ascii = domainToASCII(text.slice(at + 1));
  return ascii ? `${text.slice(0, at + 1)}${ascii}` : text;
}

const octets = (text: string) => Buffer.byteLength(text, 'utf8');
const codePoint = (char: string) => `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** C0/C1 controls, line separators, and the bidi marks, embeddings, overrides and isolates (Unicode UAX #9). */
const CONTROL_OR_BIDI = /[\p{Cc}\p{Zl}\p{Zp}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
/** The other format characters: zero-width (non-)joiners and spaces, soft hyphen, BOM, tags. Invisible, so spoofable. */
const INVISIBLE_FORMAT = /\p{Cf}/u;
/** In `u` mode a lone surrogate is one code point of its own category: it is not text and Postgres cannot store it. */
const LONE_SURROGATE = /\p{Cs}/u;
/** What a local part may not hold: anything but RFC 5322 atext, dots, and letters, marks and digits of any script. */
const NOT_LOCAL_CHAR = /[^a-z0-9!#$%&'*+\-/=?^_`{|}~.\p{L}\p{M}\p{Nd}]/u;
/** What a domain label may not hold: anything but letters, marks, digits and the ASCII hyphen (IDNA2008 LDH + U-labels). */
const NOT_LABEL_CHAR = /[^\p{L}\p{M}\p{Nd}-]/u;
/** The label separators UTS #46 reads as a dot (full stop, ideographic, fullwidth, halfwidth ideographic). */
const LABEL_SEPARATOR = /[.\u3002\uff0e\uff61]/u;
/** A URL scheme in front of the address (`mailto:`, `javascript:`): a link was pasted, not an address. */
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/;

/** Why these labels are no host name, checked on the domain as written and again on its decoded punycode. */
function labelsProblem(labels: string[]): string | undefined {
  if (labels.some((label) => label === '')) return 'the domain has an empty label';
  for (const label of labels) {
    const bad = NOT_LABEL_CHAR.exec(label)?.[0];
    if (bad !== undefined) return `the domain contains ${JSON.stringify(bad)}, which is not a letter, digit or hyphen`;
    if (label.startsWith('-') || label.endsWith('-')) return 'a domain label starts or ends with a hyphen';
  }
  if (labels.length < 2) return 'the domain must have at least two labels, like example.org';
  // RFC 1123 §2.1: the top-level label is alphabetic, which is also what tells a host name from an IPv4 address.
  if (!/^\p{L}/u.test(labels.at(-1) ?? ''))
    return 'the top-level domain must start with a letter (IP addresses are not accepted)';
  return undefined;
}

function localProblem(local: string): string | undefined {
  if (local === '') return 'the local part (before the @) is empty';
  if (local.startsWith('.') || local.endsWith('.')) return 'the local part starts or ends with a dot';
  if (local.includes('..')) return 'the local part has two dots in a row';
  const bad = NOT_LOCAL_CHAR.exec(local)?.[0];
  if (bad !== undefined) return `the local part contains ${JSON.stringify(bad)}, which is not allowed`;
  if (octets(local) > 64) return 'the local part is longer than 64 octets';
  return undefined;
}

/** Why the domain is no mail domain, or its ASCII form. */
function asciiDomain(domain: string): { ascii: string } | { problem: string } {
  if (domain === '') return { problem: 'the domain (after the @) is empty' };
  if (domain.startsWith('[')) return { problem: 'the domain is an address literal ([…]), which is not accepted' };
  const written = labelsProblem(domain.split(LABEL_SEPARATOR));
  if (written) return { problem: written };
  const invalid = { problem: 'the domain is not a valid internationalised domain name' };
  const ascii = domainToASCII(domain);
  const unicode = ascii && domainToUnicode(ascii);
  if (!unicode) return invalid;
  // The punycode spelling (`xn--…`) must decode to what the Unicode spelling may hold: no emoji under `xn--`.
  const decoded = labelsProblem(unicode.split('.'));
  if (decoded) return { problem: decoded };
  const labels = ascii.split('.');
  if (labels.some((label) => !/^[a-z0-9-]+$/.test(label))) return invalid;
  if (labels.some((label) => label.length > 63)) return { problem: 'a domain label is longer than 63 octets' };
  if (ascii.length > 253) return { problem: 'the domain is longer than 253 octets' };
  return { ascii };
}

/** The normalised address, or the first reason it is refused. */
function checkEmail(value: string): { email: string } | { problem: string } {
  const text = canonicalText(value);
  if (text === '') return { problem: 'is empty' };
  const control = CONTROL_OR_BIDI.exec(text)?.[0];
  if (control !== undefined)
    return { problem: `contains a control or bidirectional formatting character (${codePoint(control)})` };
  const invisible = INVISIBLE_FORMAT.exec(text)?.[0];
  if (invisible !== undefined)
    return { problem: `contains an invisible formatting character (${codePoint(invisible)})` };
  const surrogate = LONE_SURROGATE.exec(text)?.[0];
  if (surrogate !== undefined)
    return { problem: `contains a lone surrogate (${codePoint(surrogate)}), which is not text` };
  if (text.startsWith('"')) return { problem: 'has a quoted local part ("…"@), which is not accepted' };
  if (/\s/u.test(text)) return { problem: 'contains a space' };
  if (text.startsWith('<') && text.endsWith('>'))
    return { problem: 'is wrapped in angle brackets; give the bare address' };
  const scheme = URL_SCHEME.exec(text)?.[0];
  if (scheme !== undefined) return { problem: `starts with a URL scheme (${scheme}); give the bare address` };
  const parts = text.split('@');
  if (parts.length < 2) return { problem: 'must be an email address' };
  if (parts.length > 2) return { problem: 'contains more than one @' };
  const [local = '', domain = ''] = parts;
  const localIssue = localProblem(local);
  if (localIssue) return { problem: localIssue };
  const checked = asciiDomain(domain);
  if ('problem' in checked) return checked;
  const email = `${local}@${checked.ascii}`;
  // RFC 5321 §4.5.3.1.3: a path is ≤ 256 octets with its angle brackets, so the address ≤ 254.
  if (octets(email) > 254) return { problem: 'is longer than 254 octets' };
  return { email };
}

/** An address real mail systems accept, returned as {@link normalizeEmail} gives it; refused with the reason. */
export const EmailSchema = z.string().transform((value, ctx) => {
  const checked = checkEmail(value);
  if ('email' in checked) return checked.email;
  ctx.addIssue({ code: 'custom', message: checked.problem });
  return z.NEVER;
});
