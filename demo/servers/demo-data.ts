/**
 * Loads and validates the demo data files (`demo/data/*.json`). The schemas
 * here are stricter than the servers' own entry checks: data files must use
 * the providers' full shapes, while tests may hand the servers minimal objects.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FaultSchema } from './faults.js';
import type { GithubDemoEntry } from './github-server.js';
import type { GravatarDemoEntry } from './gravatar-server.js';
import { formatIssues } from './zod-issues.js';

/** `demo/data/` next to this folder, so the demo works from any working directory. */
export const DEFAULT_DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

export const GRAVATAR_DATA_FILE = 'gravatar.json';
export const GITHUB_DATA_FILE = 'github.json';

/** Demo data may only use reserved example domains, so no real person can be looked up by accident. */
const DemoEmailSchema = z
  .email()
  .refine((email) => /@example\.(org|com|net)$/i.test(email), 'must be at example.org, example.com or example.net');

const UrlSchema = z.url();

const VerifiedAccountSchema = z.looseObject({
  service_type: z.string().min(1),
  service_label: z.string(),
  service_icon: UrlSchema,
  url: UrlSchema,
  is_hidden: z.boolean(),
});

/** Gravatar v3 `Profile`: the fields the OpenAPI spec marks required, plus keyed-only `links`. */
const GravatarProfileSchema = z.looseObject({
  hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
  display_name: z.string(),
  profile_url: UrlSchema,
  avatar_url: UrlSchema,
  avatar_alt_text: z.string(),
  location: z.string(),
  description: z.string(),
  job_title: z.string(),
  company: z.string(),
  pronunciation: z.string(),
  pronouns: z.string(),
  verified_accounts: z.array(VerifiedAccountSchema),
  links: z.array(z.looseObject({ label: z.string(), url: UrlSchema })).optional(),
});

const GravatarFileEntrySchema = z.strictObject({
  email: DemoEmailSchema,
  profile: GravatarProfileSchema.optional(),
  fault: FaultSchema.optional(),
});

/** GitHub `GET /users/{login}` (public user), with GitHub's nullable fields. */
const GithubUserSchema = z.looseObject({
  login: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,37})$/i, 'must be a valid GitHub login'),
  id: z.number().int().positive(),
  node_id: z.string().min(1),
  avatar_url: UrlSchema,
  html_url: UrlSchema,
  type: z.literal('User'),
  site_admin: z.boolean(),
  name: z.string().nullable(),
  company: z.string().nullable(),
  blog: z.string().nullable(),
  location: z.string().nullable(),
  email: z.string().nullable(),
  hireable: z.boolean().nullable(),
  bio: z.string().nullable(),
  twitter_username: z.string().nullable(),
  public_repos: z.number().int().nonnegative(),
  public_gists: z.number().int().nonnegative(),
  followers: z.number().int().nonnegative(),
  following: z.number().int().nonnegative(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});

const GithubFileEntrySchema = z
  .strictObject({
    email: DemoEmailSchema,
    user: GithubUserSchema.optional(),
    fault: FaultSchema.optional(),
  })
  .refine((entry) => entry.user?.email == null || sameEmail(entry.user.email, entry.email), {
    message: 'must equal the entry email (or be null for a user without a public email)',
    path: ['user', 'email'],
  });

export class DemoDataError extends Error {
  override readonly name = 'DemoDataError';
}

export async function loadGravatarEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<GravatarDemoEntry[]> {
  const file = join(dataDir, GRAVATAR_DATA_FILE);
  const entries = parseFile(file, await readJson(file), z.array(GravatarFileEntrySchema));
  assertUnique(file, entries, 'email', (entry) => entry.email.toLowerCase());
  return entries;
}

export async function loadGithubEntries(dataDir: string = DEFAULT_DATA_DIR): Promise<GithubDemoEntry[]> {
  const file = join(dataDir, GITHUB_DATA_FILE);
  const entries = parseFile(file, await readJson(file), z.array(GithubFileEntrySchema));
  assertUnique(file, entries, 'email', (entry) => entry.email.toLowerCase());
  assertUnique(file, entries, 'user.login', (entry) => entry.user?.login.toLowerCase());
  return entries;
}

/** Reads a demo data file as JSON; a missing file or bad JSON is a DemoDataError naming the file. */
export async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new DemoDataError(`${file}: cannot read demo data file`, { cause });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new DemoDataError(`${file}: not valid JSON (${(cause as Error).message})`, { cause });
  }
}

/** Names the file and each bad field, e.g. `gravatar.json: … [3].profile.hash: must be a SHA-256 hex digest`. */
export function parseFile<T>(file: string, data: unknown, schema: z.ZodType<T>): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  throw new DemoDataError(`${file}: invalid demo data\n${formatIssues(result.error)}`, { cause: result.error });
}

/** A duplicate would silently shadow an entry in the servers' indexes, so refuse it. */
export function assertUnique<T>(
  file: string,
  entries: T[],
  field: string,
  keyOf: (entry: T) => string | undefined,
): void {
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const key = keyOf(entry);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new DemoDataError(`${file}: [${index}].${field}: duplicates [${first}].${field} (${key})`);
    }
    seen.set(key, index);
  });
}

function sameEmail(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
