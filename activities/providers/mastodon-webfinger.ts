import { z } from 'zod';
import { LOOKUP_ERROR_TYPES } from '../../schemas/lookup.js';
import { LookupError } from './lookup-error.js';
import { instanceOrigin } from './mastodon-handle.js';
import type { ProviderHttpClient } from './provider-http-client.js';
import { NOT_FOUND, readReply, type NotFound, type ReplyRules } from './provider-reply.js';
import { header } from './rate-limit-headers.js';

/**
 * WebFinger (RFC 7033) for a Mastodon handle: which server hosts `user@domain`. A handle's domain (`LOCAL_DOMAIN`)
 * need not be the server that answers its API (`WEB_DOMAIN`): `alice@example.com` may live on
 * `mastodon.example.com`, and `example.com` then redirects `/.well-known/webfinger` there (docs.joinmastodon.org,
 * "Configuring your environment", WEB_DOMAIN; "WebFinger"). The JRD's `self` link (the ActivityPub actor) names
 * the host, its subject the account's username there.
 */

/** The parts of a JRD we read; other fields pass through unread. */
export const WebfingerSchema = z.object({
  subject: z.string().optional(),
  links: z
    .array(z.looseObject({ rel: z.string().optional(), type: z.string().optional(), href: z.string().optional() }))
    .optional(),
});
export type Webfinger = z.infer<typeof WebfingerSchema>;

const ACTOR_TYPES = [/^application\/activity\+json/i, /^application\/ld\+json.*activitystreams/i];
const REDIRECTS = [301, 302, 303, 307, 308];
const USERNAME = /^[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?$/i;

/** The host of the JRD's ActivityPub actor (`rel: self`), lower-cased; undefined when it names none. */
export function actorHost(jrd: Webfinger): string | undefined {
  const self = jrd.links?.find((l) => l.rel === 'self' && ACTOR_TYPES.some((t) => t.test(l.type ?? '')) && l.href);
  try {
    return self?.href ? new URL(self.href).hostname.toLowerCase() || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** The username of the JRD's `acct:` subject (`acct:Gargron@mastodon.social` → `Gargron`), when it is one. */
export function subjectUser(jrd: Webfinger): string | undefined {
  const user = /^acct:([^@\s]+)@[^@\s]+$/i.exec(jrd.subject ?? '')?.[1];
  return user && USERNAME.test(user) ? user : undefined;
}

export interface ResolvedAccount {
  /** The server to ask `accounts/lookup`, from the `self` link. */
  host: string;
  /** The username on that server (the subject's, else the handle's). */
  user: string;
}

/**
 * Resolves `user@domain` on `domain` (through `{instance}` in `baseUrl`, so the host syntax check applies, and
 * `clientFor`'s clients refuse private addresses). One redirect to another host's `/.well-known/webfinger` is
 * followed, that host checked the same way; any other redirect is ForbiddenHost. NOT_FOUND when the domain knows no
 * such account (404, 410) or names no actor.
 */
export async function resolveWebfinger(
  clientFor: (origin: string) => ProviderHttpClient,
  baseUrl: string,
  handle: { user: string; host: string },
  replies: ReplyRules,
  signal?: AbortSignal,
): Promise<ResolvedAccount | NotFound> {
  let asked = handle.host;
  for (let hop = 0; hop < 2; hop += 1) {
    const http = clientFor(instanceOrigin(baseUrl, asked));
    const url = http.url('.well-known/webfinger', { resource: `acct:${handle.user}@${handle.host}` });
    const reply = await http.getJson(url, signal);
    if (REDIRECTS.includes(reply.status) && hop === 0) {
      const location = header(reply.headers, 'location');
      const target = location ? safeUrl(location, url) : undefined;
      if (target?.pathname === '/.well-known/webfinger') {
        asked = target.hostname.toLowerCase();
        continue;
      }
    }
    const jrd = readReply('mastodon', reply, WebfingerSchema, { ...replies, notFound: [404, 410], shape: 'WebFinger' });
    if (jrd === NOT_FOUND) return NOT_FOUND;
    const host = actorHost(jrd);
    return host === undefined ? NOT_FOUND : { host, user: subjectUser(jrd) ?? handle.user };
  }
  throw new LookupError(LOOKUP_ERROR_TYPES.forbiddenHost, 'mastodon: WebFinger redirected more than once');
}

function safeUrl(location: string, base: URL): URL | undefined {
  try {
    return new URL(location, base);
  } catch {
    return undefined;
  }
}
