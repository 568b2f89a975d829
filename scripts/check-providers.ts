/**
 * Calls each real provider once with a public, documented example and reports, per provider: reachable, the answer
 * shaped as the client expects (its own zod schema), and the rate-limit headers seen. Not a test: it needs the
 * internet (and keys, from the environment, for the keyed limits). For after an upgrade, and for the README's
 * troubleshooting section.
 *
 *   npm run check:providers            # every provider
 *   npm run check:providers -- ban fec # some
 *
 * Base URLs are each provider's `PROVIDER_<NAME>_BASE_URL` (default: the public service); keys are GRAVATAR_API_KEY,
 * GITHUB_TOKEN and FEC_API_KEY. Exits 1 when a provider is unreachable or answers another shape.
 */
import { request } from 'undici';
import type { z } from 'zod';
import { BanSearchSchema } from '../activities/providers/ban.js';
import { BlueskyProfileSchema } from '../activities/providers/bluesky.js';
import { CENSUS_LAYER_REQUEST, CensusAnswerSchema } from '../activities/providers/census.js';
import { FecScheduleASchema } from '../activities/providers/fec.js';
import { GithubSearchSchema } from '../activities/providers/github.js';
import { GravatarProfileSchema, gravatarHash } from '../activities/providers/gravatar.js';
import { MastodonAccountSchema } from '../activities/providers/mastodon.js';
import { WebfingerSchema } from '../activities/providers/mastodon-webfinger.js';
import { loadConfig } from '../config.js';

interface Check {
  name: string;
  url: string;
  headers?: Record<string, string>;
  schema: z.ZodType;
  /** What else the answer should show (the layers the Census lookup reads). */
  extra?: (body: unknown) => string | undefined;
}

const RATE_HEADERS = /^(x-)?ratelimit-|^retry-after$/i;

function checks(): Check[] {
  const config = loadConfig();
  const base = (name: keyof typeof config.providers) => config.providers[name].baseUrl ?? '';
  const mastodon = base('mastodon').replace('{instance}', 'mastodon.social');
  const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
  return [
    {
      // Gravatar's documented example address.
      name: 'gravatar',
      url: `${base('gravatar')}/profiles/${gravatarHash('beau@dentedreality.com.au')}`,
      headers: config.secrets.gravatarApiKey ? { authorization: `Bearer ${config.secrets.gravatarApiKey}` } : {},
      schema: GravatarProfileSchema,
    },
    {
      name: 'github',
      url: `${base('github')}/search/users?${q({ q: 'octocat in:login type:user' })}`,
      headers: {
        accept: 'application/vnd.github+json',
        'x-github-api-version': '2022-11-28',
        ...(config.secrets.githubToken ? { authorization: `Bearer ${config.secrets.githubToken}` } : {}),
      },
      schema: GithubSearchSchema,
    },
    {
      // The WebFinger example of Mastodon's documentation, then its account.
      name: 'mastodon (webfinger)',
      url: `${mastodon}/.well-known/webfinger?${q({ resource: 'acct:Gargron@mastodon.social' })}`,
      schema: WebfingerSchema,
    },
    {
      name: 'mastodon',
      url: `${mastodon}/api/v1/accounts/lookup?${q({ acct: 'Gargron' })}`,
      schema: MastodonAccountSchema,
    },
    {
      name: 'bluesky',
      url: `${base('bluesky')}/xrpc/app.bsky.actor.getProfile?${q({ actor: 'bsky.app' })}`,
      schema: BlueskyProfileSchema,
    },
    {
      name: 'fec',
      url: `${base('fec')}/v1/schedules/schedule_a/?${q({ contributor_name: 'SMITH, JOHN', contributor_zip: '20001', is_individual: 'true', per_page: '5', sort: '-contribution_receipt_date' })}`,
      headers: { 'x-api-key': config.secrets.fecApiKey ?? 'DEMO_KEY' },
      schema: FecScheduleASchema,
    },
    {
      // The Census Bureau's own example address.
      name: 'census',
      url: `${base('census')}/geocoder/geographies/onelineaddress?${q({ address: '4600 Silver Hill Rd, Washington, DC 20233', benchmark: 'Public_AR_Current', vintage: 'Current_Current', layers: CENSUS_LAYER_REQUEST.join(','), format: 'json' })}`,
      schema: CensusAnswerSchema,
      extra: (body) => {
        const layers = Object.keys(
          (body as { result?: { addressMatches?: { geographies?: object }[] } }).result?.addressMatches?.[0]
            ?.geographies ?? {},
        );
        const missing = CENSUS_LAYER_REQUEST.filter((name) => !layers.includes(name));
        return `layers ${layers.join(' | ') || 'none'}${missing.length ? ` (missing: ${missing.join(' | ')})` : ''}`;
      },
    },
    {
      name: 'ban',
      url: `${base('ban')}/search?${q({ q: '8 bd du Port 80000 Amiens', index: 'address', limit: '1', autocomplete: '0' })}`,
      schema: BanSearchSchema,
    },
  ];
}

async function run(check: Check): Promise<boolean> {
  try {
    const response = await request(check.url, {
      headers: { 'user-agent': 'contact-enrichment check-providers', accept: 'application/json', ...check.headers },
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.body.text();
    const rate = Object.entries(response.headers)
      .filter(([name]) => RATE_HEADERS.test(name))
      .map(([name, value]) => `${name}=${String(value)}`);
    let shape = 'not JSON';
    let body: unknown;
    try {
      body = JSON.parse(text);
      const parsed = check.schema.safeParse(body);
      shape = parsed.success
        ? 'shape as expected'
        : `unexpected shape at ${parsed.error.issues[0]?.path.join('.') || '(root)'}`;
    } catch {
      // reported as not JSON
    }
    const ok = response.statusCode === 200 && shape === 'shape as expected';
    const extra = ok && check.extra ? `; ${check.extra(body)}` : '';
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(22)} reachable (HTTP ${response.statusCode}); ${shape}; rate-limit headers: ${rate.join(', ') || 'none'}${extra}`,
    );
    return ok;
  } catch (error) {
    console.log(
      `FAIL ${check.name.padEnd(22)} not reachable: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const chosen = checks().filter((c) => wanted.length === 0 || wanted.some((w) => c.name.startsWith(w)));
  let failed = 0;
  for (const check of chosen) if (!(await run(check))) failed += 1;
  process.exit(failed > 0 ? 1 : 0);
}

void main();
