/**
 * Loads and validates the stage-2 demo data files (`demo/data/mastodon.json`, `demo/data/bluesky.json`). As in
 * `demo-data.ts`, the file schemas are the providers' full shapes, stricter than the servers' own entry checks, and
 * a bad entry is reported with its file and field.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { BlueskyDemoEntry } from './bluesky-server.js';
import { assertUnique, DEFAULT_DATA_DIR, parseFile, readJson } from './demo-data.js';
import { FaultSchema } from './faults.js';
import type { MastodonDemoEntry } from './mastodon-server.js';

export const MASTODON_DATA_FILE = 'mastodon.json';
export const BLUESKY_DATA_FILE = 'bluesky.json';

/** Demo data may only use reserved example domains, so no real account can be looked up by accident. */
const EXAMPLE_DOMAIN = /(^|\.)example\.(org|com|net)$/i;
const UrlSchema = z.url();
const Count = z.number().int().nonnegative();

// ---------------------------------------------------------------- Mastodon

const MASTODON_USERNAME = /^[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?$/i;

const MastodonAcctSchema = z
  .string()
  .regex(/^[^@\s]+@[^@\s]+$/, 'must be user@host')
  .refine((acct) => MASTODON_USERNAME.test(acct.split('@')[0]!), 'must start with a valid Mastodon username')
  .refine((acct) => EXAMPLE_DOMAIN.test(acct.split('@')[1]!), 'must be on example.org, example.com or example.net');

/** Mastodon `Account` (entities/Account.md), with the opt-out flags the provider must respect. */
const MastodonAccountFileSchema = z.looseObject({
  id: z.string().regex(/^\d+$/, 'must be a numeric string'),
  username: z.string().regex(MASTODON_USERNAME, 'must be a valid Mastodon username'),
  acct: z.string().min(1),
  display_name: z.string(),
  locked: z.boolean(),
  bot: z.boolean(),
  discoverable: z.boolean().nullable(),
  indexable: z.boolean(),
  noindex: z.boolean(),
  group: z.boolean(),
  created_at: z.iso.datetime(),
  note: z.string(),
  url: UrlSchema,
  uri: UrlSchema,
  avatar: UrlSchema,
  avatar_static: UrlSchema,
  header: UrlSchema,
  header_static: UrlSchema,
  followers_count: Count,
  following_count: Count,
  statuses_count: Count,
  last_status_at: z.iso.date().nullable(),
  emojis: z.array(z.looseObject({ shortcode: z.string(), url: UrlSchema })),
  fields: z.array(
    z.strictObject({ name: z.string(), value: z.string(), verified_at: z.iso.datetime({ offset: true }).nullable() }),
  ),
});

const MastodonFileEntrySchema = z
  .strictObject({
    acct: MastodonAcctSchema,
    account: MastodonAccountFileSchema.optional(),
    fault: FaultSchema.optional(),
  })
  .superRefine((entry, ctx) => {
    const account = entry.account;
    if (account === undefined) return;
    const [user = '', host = ''] = entry.acct.toLowerCase().split('@');
    if (account.username.toLowerCase() !== user) {
      ctx.addIssue({
        code: 'custom',
        message: `must be the user part of acct (${user})`,
        path: ['account', 'username'],
      });
    }
    // `acct` is the bare username on the account's own server, `user@host` everywhere else.
    if (![user, `${user}@${host}`].includes(account.acct.toLowerCase())) {
      ctx.addIssue({ code: 'custom', message: `must be ${user} or ${user}@${host}`, path: ['account', 'acct'] });
    }
    if (account.url.toLowerCase() !== `https://${host}/@${user}`) {
      ctx.addIssue({
        code: 'custom',
        message: `must be https://${host}/@${account.username}`,
        path: ['account', 'url'],
      });
    }
  });

export async function loadMastodonEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<MastodonDemoEntry[]> {
  const file = join(dataDir, MASTODON_DATA_FILE);
  const entries = parseFile(file, await readJson(file), z.array(MastodonFileEntrySchema));
  assertUnique(file, entries, 'acct', (entry) => entry.acct.toLowerCase());
  assertUnique(file, entries, 'account.id', (entry) => entry.account?.id);
  return entries;
}

// ---------------------------------------------------------------- Bluesky

const HANDLE = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** did:plc identifiers are 24 characters of base32 (a–z, 2–7). */
const DidSchema = z.string().regex(/^did:plc:[a-z2-7]{24}$/, 'must be a did:plc DID (24 base32 characters)');

const HandleSchema = z
  .string()
  .regex(HANDLE, 'must be a lower-case handle (a domain name)')
  .refine((handle) => EXAMPLE_DOMAIN.test(handle), 'must be on example.org, example.com or example.net');

const LabelSchema = z.looseObject({
  src: z.string().startsWith('did:'),
  uri: z.string().min(1),
  val: z.string().min(1),
  cts: z.iso.datetime(),
});

/** `app.bsky.actor.defs#profileViewDetailed` as the public AppView returns it to an anonymous caller. */
const BlueskyProfileFileSchema = z.looseObject({
  did: DidSchema,
  handle: z.string(),
  displayName: z.string(),
  description: z.string(),
  avatar: UrlSchema,
  banner: UrlSchema.optional(),
  followersCount: Count,
  followsCount: Count,
  postsCount: Count,
  associated: z.looseObject({}).optional(),
  indexedAt: z.iso.datetime(),
  createdAt: z.iso.datetime(),
  labels: z.array(LabelSchema),
  viewer: z.looseObject({}).optional(),
  verification: z
    .looseObject({
      verifications: z.array(z.looseObject({})),
      verifiedStatus: z.string(),
      trustedVerifierStatus: z.string(),
    })
    .optional(),
});

const BlueskyFileEntrySchema = z
  .strictObject({
    actor: HandleSchema,
    did: DidSchema.optional(),
    profile: BlueskyProfileFileSchema.optional(),
    fault: FaultSchema.optional(),
  })
  .superRefine((entry, ctx) => {
    if (entry.profile === undefined) return;
    if (entry.profile.handle !== entry.actor) {
      ctx.addIssue({ code: 'custom', message: `must equal actor (${entry.actor})`, path: ['profile', 'handle'] });
    }
    if (entry.did !== undefined && entry.profile.did !== entry.did) {
      ctx.addIssue({ code: 'custom', message: `must equal did (${entry.did})`, path: ['profile', 'did'] });
    }
  });

export async function loadBlueskyEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<BlueskyDemoEntry[]> {
  const file = join(dataDir, BLUESKY_DATA_FILE);
  const entries = parseFile(file, await readJson(file), z.array(BlueskyFileEntrySchema));
  assertUnique(file, entries, 'actor', (entry) => entry.actor);
  assertUnique(file, entries, 'did', (entry) => entry.did ?? entry.profile?.did);
  return entries;
}
