import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBanDemo } from '../../demo/servers/ban-server.js';
import { BAIT_URLS } from '../../demo/servers/faults.js';
import { startDemoProviders, type DemoProviders } from '../../demo/servers/start-demo-providers.js';
import { closeAfterEach } from '../support/provider-closers.js';

/**
 * The content faults of demo/servers/faults.ts, as the demo servers answer them for the entries of demo/data that
 * carry them: NUL bytes and lone surrogates as JSON escapes, bait URLs, a second census match one district over,
 * and api.data.gov's 429 without a retry time.
 */
let demo: DemoProviders;
beforeAll(async () => {
  demo = await startDemoProviders();
});
afterAll(() => demo?.close());
const closers = closeAfterEach();

interface Raw {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: JSON.parse(text) as Record<string, unknown> };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const NUL = '\u0000';
const LONE = '\ud800';

/** The body carries both hostile characters as JSON escapes, and they parse back to the characters themselves. */
function expectHostileText(raw: Raw, withNul: string, withLone: string): void {
  expect(raw.status).toBe(200);
  expect(raw.text).toContain('\\u0000');
  expect(raw.text).toContain('\\ud800');
  expect(withNul.endsWith(NUL)).toBe(true);
  expect(withLone.startsWith(LONE)).toBe(true);
}

describe('hostile_text', () => {
  it('Gravatar: a NUL after Ben Carter’s display name, a lone surrogate before his description', async () => {
    const raw = await get(`${demo.gravatar.url}/profiles/${sha256('ben.carter@example.com')}`);
    expectHostileText(raw, raw.json['display_name'] as string, raw.json['description'] as string);
    expect(raw.json['display_name']).toBe(`Ben Carter${NUL}`);
  });

  it('GitHub: Kofi Mensah’s name and bio', async () => {
    const raw = await get(`${demo.github.url}/users/kmensah-gso`);
    expectHostileText(raw, raw.json['name'] as string, raw.json['bio'] as string);
    expect(raw.json['name']).toBe(`Kofi Mensah${NUL}`);
  });

  it('Mastodon: Ana Souza’s display name and note', async () => {
    const raw = await get(
      `${demo.mastodon.url}/api/v1/accounts/lookup?acct=${encodeURIComponent('anasouza@mastodon.example.net')}`,
    );
    expectHostileText(raw, raw.json['display_name'] as string, raw.json['note'] as string);
  });

  it('FEC: Hannah Schmidt’s employer and occupation', async () => {
    const raw = await get(
      `${demo.fec.url}/v1/schedules/schedule_a/?contributor_name=SCHMIDT%2C+HANNAH&contributor_zip=45219`,
      { 'x-api-key': 'DEMO_KEY' },
    );
    const [row] = raw.json['results'] as Array<Record<string, string>>;
    expectHostileText(raw, row!['contributor_employer']!, row!['contributor_occupation']!);
  });

  it('Census: the county of 1401 Hillsborough St, which the record stores', async () => {
    const raw = await get(
      `${demo.census.url}/geocoder/geographies/onelineaddress?address=${encodeURIComponent('1401 Hillsborough St, Raleigh, NC 27605')}&benchmark=Public_AR_Current&vintage=Current_Current&format=json`,
    );
    const [match] = (
      raw.json['result'] as {
        addressMatches: Array<{ matchedAddress: string; geographies: Record<string, Array<{ NAME: string }>> }>;
      }
    ).addressMatches;
    expectHostileText(raw, match!.geographies['Counties']![0]!.NAME, match!.matchedAddress);
  });

  it('a server with no reply for a content fault refuses it with a 500 rather than answering normally', async () => {
    const ban = await startBanDemo({
      entries: [{ q: '8 bd du Port 80000 Amiens', features: [], fault: { kind: 'bait_urls' } }],
    });
    closers.push(() => ban.close());

    const res = await fetch(`${ban.url}/search?q=${encodeURIComponent('8 bd du Port 80000 Amiens')}`);

    expect(res.status).toBe(500);
  });
});

describe('bait_urls', () => {
  it('Gravatar: Henry Adams’s profile and avatar URLs point at the metadata and a private address', async () => {
    const raw = await get(`${demo.gravatar.url}/profiles/${sha256('henry.adams@example.org')}`);
    expect(raw.json).toMatchObject({
      display_name: 'Henry Adams',
      profile_url: BAIT_URLS.metadata,
      avatar_url: BAIT_URLS.private,
    });
  });

  it('GitHub: Marcus Lee’s avatar, profile page and blog, in the search and the user', async () => {
    const search = await get(
      `${demo.github.url}/search/users?q=${encodeURIComponent('marcus.lee@example.com in:email type:user')}`,
    );
    const user = await get(`${demo.github.url}/users/mlee-buckeye`);
    expect((search.json['items'] as unknown[])[0]).toMatchObject({
      login: 'mlee-buckeye',
      avatar_url: BAIT_URLS.private,
      html_url: BAIT_URLS.metadata,
    });
    expect(user.json).toMatchObject({
      login: 'mlee-buckeye',
      avatar_url: BAIT_URLS.private,
      html_url: BAIT_URLS.metadata,
      blog: BAIT_URLS.localhost,
    });
  });

  it('Bluesky: Wei Zhang’s avatar and banner', async () => {
    const raw = await get(`${demo.bluesky.url}/xrpc/app.bsky.actor.getProfile?actor=wei.example.org`);
    expect(raw.json).toMatchObject({
      handle: 'wei.example.org',
      avatar: BAIT_URLS.private,
      banner: BAIT_URLS.metadata,
    });
  });
});

describe('ambiguous', () => {
  it('Census: 4407 Lorain Ave matches twice, the second time in other congressional and legislative districts', async () => {
    const raw = await get(
      `${demo.census.url}/geocoder/geographies/onelineaddress?address=${encodeURIComponent('4407 Lorain Ave, Cleveland, OH 44102')}&benchmark=Public_AR_Current&vintage=Current_Current&layers=all&format=json`,
    );
    type Layer = Array<Record<string, string>>;
    const matches = (
      raw.json['result'] as { addressMatches: Array<{ matchedAddress: string; geographies: Record<string, Layer> }> }
    ).addressMatches;
    const layer = (i: number, suffix: string) =>
      Object.entries(matches[i]!.geographies).find(([name]) => name.endsWith(suffix))![1][0]!;

    expect(matches).toHaveLength(2);
    expect(matches[1]!.matchedAddress).toBe(matches[0]!.matchedAddress);
    for (const suffix of [
      'Congressional Districts',
      'State Legislative Districts - Upper',
      'State Legislative Districts - Lower',
    ]) {
      expect(layer(1, suffix)['GEOID']).not.toBe(layer(0, suffix)['GEOID']);
    }
    expect(layer(1, 'Counties')).toEqual(layer(0, 'Counties'));
  });
});

describe('rate_limit without retryAfterSeconds on the FEC', () => {
  it('answers api.data.gov’s own 429: X-RateLimit-Remaining 0, no Retry-After, three times for George Pappas, then 200', async () => {
    const url = `${demo.fec.url}/v1/schedules/schedule_a/?contributor_name=PAPPAS%2C+GEORGE&contributor_zip=44314`;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await get(url, { 'x-api-key': 'DEMO_KEY' }));

    expect(replies.map((r) => r.status)).toEqual([429, 429, 429, 200]);
    for (const refused of replies.slice(0, 3)) {
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(refused.headers.get('retry-after')).toBeNull();
      expect(refused.json).toMatchObject({ error: { code: 'OVER_RATE_LIMIT' } });
    }
  });
});
