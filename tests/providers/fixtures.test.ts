import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BanSearchSchema } from '../../activities/providers/ban.js';
import { FecScheduleASchema } from '../../activities/providers/fec.js';
import { actorHost, subjectUser, WebfingerSchema } from '../../activities/providers/mastodon-webfinger.js';
import { startBanDemo } from '../../demo/servers/ban-server.js';
import { startFecDemo } from '../../demo/servers/fec-server.js';
import { startMastodonDemo } from '../../demo/servers/mastodon-server.js';
import { closeAfterEach } from '../support/provider-closers.js';

/**
 * Real answers written from each provider's documentation (tests/fixtures/providers/, each naming its source), held
 * against both sides: the client's own schema must read them, and the demo server, given the same data, must answer
 * the same request with the same shape (every key of the real answer, at every level, with the same JSON type).
 */
const closers = closeAfterEach();

async function fixture<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8')) as T;
}

/** The paths (`a.b.0.c`) of `real` missing from `demo` or of another JSON type there. */
function shapeDifferences(real: unknown, demo: unknown, path = ''): string[] {
  const kind = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (kind(real) !== kind(demo)) return [`${path || '(root)'}: ${kind(real)} vs ${kind(demo)}`];
  if (Array.isArray(real)) return real.length > 0 ? shapeDifferences(real[0], (demo as unknown[])[0], `${path}.0`) : [];
  if (kind(real) !== 'object') return [];
  return Object.entries(real as Record<string, unknown>).flatMap(([key, value]) =>
    shapeDifferences(value, (demo as Record<string, unknown>)[key], path ? `${path}.${key}` : key),
  );
}

describe('provider fixtures from the documentation', () => {
  it('BAN (Géoplateforme search): the client reads it, and the demo answers the same shape', async () => {
    const { query, answer } = await fixture<{ query: string; answer: { features: object[] } }>('ban-search.json');
    expect(BanSearchSchema.safeParse(answer).success).toBe(true);
    const server = await startBanDemo({ entries: [{ q: query, features: answer.features }] });
    closers.push(() => server.close());

    const demo = await (
      await fetch(`${server.url}/search?${new URLSearchParams({ q: query, index: 'address' }).toString()}`)
    ).json();

    expect(shapeDifferences(answer, demo)).toEqual([]);
  });

  it('OpenFEC (Schedule A, keyset pagination): the client reads it, and the demo answers the same shape', async () => {
    const { name, zip, answer } = await fixture<{ name: string; zip: string; answer: { results: object[] } }>(
      'fec-schedule-a.json',
    );
    expect(FecScheduleASchema.safeParse(answer).success).toBe(true);
    const server = await startFecDemo({ entries: [{ name, zip, results: answer.results }] });
    closers.push(() => server.close());

    const reply = await fetch(
      `${server.url}/v1/schedules/schedule_a/?${new URLSearchParams({ contributor_name: name, contributor_zip: zip, per_page: '100' }).toString()}`,
      { headers: { 'x-api-key': 'fixture-key' } },
    );

    expect(shapeDifferences(answer, await reply.json())).toEqual([]);
    // api.data.gov's headers: the quota, never a Retry-After.
    expect(reply.headers.get('x-ratelimit-remaining')).toMatch(/^\d+$/);
    expect(reply.headers.get('retry-after')).toBeNull();
  });

  it('Mastodon WebFinger: the client finds the host and user, and the demo answers the same shape', async () => {
    const { answer } = await fixture<{ answer: object }>('mastodon-webfinger.json');
    const jrd = WebfingerSchema.parse(answer);
    expect([actorHost(jrd), subjectUser(jrd)]).toEqual(['mastodon.social', 'Gargron']);
    const server = await startMastodonDemo({
      entries: [{ acct: 'Gargron@mastodon.social', account: { id: '1', username: 'Gargron', acct: 'Gargron' } }],
    });
    closers.push(() => server.close());

    const reply = await fetch(`${server.url}/.well-known/webfinger?resource=acct:Gargron@mastodon.social`);

    expect(reply.headers.get('content-type')).toMatch(/^application\/jrd\+json/);
    expect(shapeDifferences(answer, await reply.json())).toEqual([]);
    const unknown = await fetch(`${server.url}/.well-known/webfinger?resource=acct:nobody@mastodon.social`);
    expect([unknown.status, await unknown.text()]).toEqual([404, '']);
  });
});
