import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { invalidInput, LookupError } from './lookup-error.js';
import { LOOKUP_ERROR_TYPES } from '../../schemas/lookup.js';

/**
 * The syntax of a Mastodon handle and of the host it names, checked before anything is sent: which server a
 * lookup may be sent to is decided from data (the handle), so nothing but a public-looking DNS name gets through.
 */

/** In a base URL, stands for the handle's own server (config.ts). */
export const INSTANCE_PLACEHOLDER = '{instance}';

/** A username as Mastodon allows it (`Account::USERNAME_RE`), so nothing else reaches the query string. */
const USERNAME = /^[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?$/i;
const DNS_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * A host lower-cased, and a Unicode name in its ASCII (punycode) form. Only a name without URL-special
 * characters is converted: the converter parses hosts like a URL would (`evil.example/x` → `evil.example`).
 */
function asciiHost(host: string): string {
  const lower = host.toLowerCase();
  if (/^[ -~]*$/.test(lower) || /[\s/\\:?#[\]@%]/.test(lower)) return lower;
  return domainToASCII(lower) || lower;
}

/** `user@host` (a leading `@` allowed) as its parts, the host lower-cased and in ASCII; anything else is refused. */
export function parseMastodonHandle(handle: string): { user: string; host: string } {
  const match = /^@?([^@\s]+)@([^@\s]+)$/.exec(handle.trim());
  if (!match || !USERNAME.test(match[1]!)) {
    throw invalidInput('mastodon', 'the handle is not a user@host address');
  }
  return { user: match[1]!, host: asciiHost(match[2]!) };
}

/**
 * Whether `host` may be put into the `{instance}` template: a dotted DNS name of letters, digits and hyphens whose
 * last label is not numeric, never an IP literal, `localhost` or a name under it. This is a syntax check only; the
 * addresses the name resolves to are checked when a connection is made (see `createMastodonProvider` and address-guard.ts).
 */
export function isInstanceHost(host: string): boolean {
  if (host.length > 253 || isIP(host) !== 0) return false;
  if (host === 'localhost' || host.endsWith('.localhost')) return false;
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((label) => DNS_LABEL.test(label))) return false;
  // The URL parser reads a name ending in a number (`127.1`, `10.0x1`) as an IPv4 address.
  return !/^(?:\d+|0x[0-9a-f]*)$/.test(labels.at(-1)!);
}

/**
 * The base URL for asking the handle's own server: `baseUrl` with `{instance}` replaced by `host`. Refuses, as
 * ForbiddenHost, a host that is not a public-looking DNS name or that the URL parser would read as something else.
 */
export function instanceOrigin(baseUrl: string, host: string): string {
  const normalized = asciiHost(host);
  const refuse = () =>
    new LookupError(LOOKUP_ERROR_TYPES.forbiddenHost, `mastodon: refused instance host ${JSON.stringify(host)}`);
  if (!isInstanceHost(normalized)) throw refuse();
  const base = baseUrl.replaceAll(INSTANCE_PLACEHOLDER, normalized);
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw refuse();
  }
  if (parsed.hostname !== normalized || !/^https?:$/.test(parsed.protocol)) throw refuse();
  return base;
}
