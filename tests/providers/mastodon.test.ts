import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createLookupActivity, type LookupActivity } from '../../activities/lookup-activity.js';
import { loadConfig, type ProviderConfig } from '../../config.js';
import { LookupError } from '../../activities/providers/lookup-error.js';
import { BoundedClientCache } from '../../activities/providers/bounded-client-cache.js';
import { htmlToText } from '../../activities/providers/html-text.js';
import {
  createMastodonProvider,
  mastodonObservations,
  MastodonAccountSchema,
} from '../../activities/providers/mastodon.js';
import { instanceOrigin } from '../../activities/providers/mastodon-handle.js';
import type { Provider } from '../../activities/providers/provider.js';
import { loadGravatarEntries } from '../../demo/servers/demo-data.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { startMastodonDemo, type MastodonDemoEntry } from '../../demo/servers/mastodon-server.js';
import { loadMastodonEntries } from '../../demo/servers/social-demo-data.js';
import type { LookupInput, ProviderLookupResult } from '../../schemas/lookup.js';
import { fediverseAcct } from '../../workflows/lookup-plan.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub, type StubReply } from '../support/provider-stub-server.js';

const HOST = 'mastodon.example.net';
const ADA = `adaq@${HOST}`;

function account(username: string, host: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: '109348211212345678',
    username,
    acct: username,
    display_name: 'Ada Quill',
    locked: false,
    bot: false,
    discoverable: true,
    indexable: true,
    noindex: false,
    group: false,
    created_at: '2022-11-08T00:00:00.000Z',
    note: '<p>Canvasser &amp; choir singer.</p><p>Akron, OH &#8212; <a href="https://ada.example.org" rel="me"><span class="invisible">https://</span><span>ada.example.org</span></a></p>',
    url: `https://${host}/@${username}`,
    uri: `https://${host}/users/${username}`,
    avatar: `https://files.${host}/accounts/avatars/109/348/original/ada.png`,
    header: `https://files.${host}/accounts/headers/109/348/original/ada.jpg`,
    followers_count: 12,
    following_count: 30,
    statuses_count: 99,
    last_status_at: '2026-06-30',
    emojis: [],
    fields: [],
    ...extra,
  };
}

const adaAccount = (extra: Record<string, unknown> = {}) => account('adaq', HOST, extra);

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'mastodon', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function track(provider: Provider): Provider {
  closers.push(() => provider.close());
  return provider;
}

function providerAt(baseUrl: string, timeoutMs = 1000): Provider {
  return track(createMastodonProvider(providerConfig(baseUrl, timeoutMs), { maxResponseBytes: 65536 }));
}

async function demoWith(
  entries: MastodonDemoEntry[],
  timeoutMs = 1000,
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startMastodonDemo({ entries });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs) };
}

async function stubWith(answer: () => StubReply, baseUrl?: (origin: string) => string) {
  const stub = await startProviderStub(answer);
  closers.push(() => stub.close());
  const provider = providerAt(baseUrl ? baseUrl(stub.origin) : stub.url, 300);
  return { stub, provider };
}

function input(handle: string | undefined, linkConfidence?: number): LookupInput {
  return { contactKey: 'k'.repeat(64), email: 'ada.quill@example.org', handle, linkConfidence };
}

const lookupError = (provider: Provider, handle: string | undefined) => lookupErrorFor(provider, input(handle, 0.9));

const fetchedAt = expect.any(String) as unknown as string;

describe('createMastodonProvider', () => {
  it('asks a fixed server for user@host and turns the account into observations', async () => {
    const { provider, server } = await demoWith([{ acct: ADA, account: adaAccount() }]);

    const answer = await provider.lookup(input('@AdaQ@Mastodon.Example.NET', 0.9));

    const url = `https://${HOST}/@adaq`;
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      {
        field: 'profiles',
        value: { network: 'mastodon', handle: ADA, url, verified: true },
        confidence: 0.9,
        sourceUrl: url,
        fetchedAt,
      },
      { field: 'name.display', value: 'Ada Quill', confidence: 0.9, sourceUrl: url, fetchedAt },
      {
        field: 'bio',
        value: 'Canvasser & choir singer. Akron, OH — https://ada.example.org',
        confidence: 0.9,
        sourceUrl: url,
        fetchedAt,
      },
      {
        field: 'avatarUrl',
        value: `https://files.${HOST}/accounts/avatars/109/348/original/ada.png`,
        confidence: 0.9,
        sourceUrl: url,
        fetchedAt,
      },
    ]);
    expect(server.requestLog().map((r) => [r.method, r.url, r.status])).toEqual([
      ['GET', `/api/v1/accounts/lookup?acct=AdaQ%40${HOST}`, 200],
    ]);
  });

  it('carries the link confidence, and marks the profile verified only from 0.9', async () => {
    const { provider } = await demoWith([{ acct: ADA, account: adaAccount() }]);

    const typed = await provider.lookup(input(ADA, 0.6));
    const unknown = await provider.lookup(input(ADA));

    for (const answer of [typed, unknown]) {
      expect(answer.observations[0]).toMatchObject({ field: 'profiles', value: { verified: false }, confidence: 0.6 });
      expect(answer.observations.every((o) => o.confidence === 0.6)).toBe(true);
    }
  });

  it('answers no_match for an account the server does not know (404 Record not found)', async () => {
    const { provider, server } = await demoWith([{ acct: ADA, account: adaAccount() }]);

    const answer = await provider.lookup(input(`nobody@${HOST}`, 0.9));

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([404]);
  });

  it('answers no_match for a 410 Gone', async () => {
    const { provider } = await stubWith(() => ({ status: 410, body: { error: 'Gone' } }));

    expect(await provider.lookup(input(ADA, 0.9))).toEqual({ outcome: 'no_match', observations: [] });
  });

  it.each([
    ['discoverable: false', { discoverable: false }],
    ['noindex: true', { noindex: true }],
    ['suspended', { suspended: true }],
    ['limited', { limited: true }],
    ['moved', { moved: account('adaq2', 'toot.example.org') }],
  ])('respects an opt-out or a dead account (%s) with no_match and no observations', async (_label, flags) => {
    const { provider, server } = await demoWith([{ acct: ADA, account: adaAccount(flags) }]);

    const answer = await provider.lookup(input(ADA, 0.9));

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([200]);
  });

  it('matches an account with indexable: false (its posts are not searchable; not a discovery opt-out)', async () => {
    const { provider } = await demoWith([{ acct: ADA, account: adaAccount({ indexable: false }) }]);

    const answer = await provider.lookup(input(ADA, 0.9));

    expect(answer.outcome).toBe('matched');
    expect(answer.observations.map((o) => o.field)).toContain('name.display');
  });

  it('treats opt-out flags a remote server left null as not set', async () => {
    const { provider } = await demoWith([
      { acct: ADA, account: adaAccount({ discoverable: null, indexable: null, noindex: null, moved: null }) },
    ]);

    expect((await provider.lookup(input(ADA, 0.9))).outcome).toBe('matched');
  });

  it('classifies a 429 as RateLimited with the delay announced by the ISO 8601 X-RateLimit-Reset', async () => {
    const { provider } = await demoWith([
      { acct: ADA, account: adaAccount(), fault: { kind: 'rate_limit', retryAfterSeconds: 30 } },
    ]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryable).toBe(true);
    expect(err.httpStatus).toBe(429);
    // The reset is now + 30 s rounded up to the second.
    expect(err.retryAfterMs).toBeGreaterThan(28_500);
    expect(err.retryAfterMs).toBeLessThanOrEqual(31_000);
  });

  it('waits 60 s on a 429 with neither X-RateLimit-Reset nor Retry-After', async () => {
    const { provider } = await stubWith(() => ({ status: 429, body: { error: 'Too many requests' } }));

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryAfterMs).toBe(60_000);
  });

  it.each([401, 403])(
    'classifies a %i (no anonymous API access) as a non-retryable ProviderRejected',
    async (status) => {
      const { provider } = await stubWith(() => ({
        status,
        body: { error: 'This API requires an authenticated user' },
      }));

      const err = await lookupError(provider, ADA);

      expect(err.type).toBe('ProviderRejected');
      expect(err.retryable).toBe(false);
      expect(err.httpStatus).toBe(status);
      expect(err.message).toMatch(/anonymous/);
    },
  );

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) => demoWith([{ acct: ADA, account: adaAccount(), fault }], timeoutMs),
    providerAt,
    input: input(ADA, 0.9),
    serverErrorStatus: 503,
    malformedField: 'id',
    firstRequest: `/api/v1/accounts/lookup?acct=adaq%40${HOST}`,
    recovery: { fault: { kind: 'rate_limit' }, statuses: [429, 200] },
  });

  it('refuses an account other than the one asked for', async () => {
    const { provider } = await stubWith(() => ({ status: 200, body: account('someoneelse', HOST) }));
    const remote = await stubWith(() => ({
      status: 200,
      body: account('adaq', HOST, { acct: 'adaq@toot.example.org' }),
    }));

    expect((await lookupError(provider, ADA)).type).toBe('MalformedResponse');
    expect((await lookupError(remote.provider, ADA)).type).toBe('MalformedResponse');
  });

  it('refuses a missing handle, or one that is not user@host, as a non-retryable InvalidInput without asking', async () => {
    const { provider, stub } = await stubWith(() => ({ status: 404, body: { error: 'Record not found' } }));

    const missing = await lookupError(provider, undefined);
    const bare = await lookupError(provider, 'adaq');
    const spaced = await lookupError(provider, 'ada q@mastodon.example.net');

    expect(missing.type).toBe('InvalidInput');
    expect(missing.retryable).toBe(false);
    expect(missing.message).toMatch(/input\.handle is missing/);
    expect(bare.type).toBe('InvalidInput');
    expect(spaced.type).toBe('InvalidInput');
    expect(bare.retryable).toBe(false);
    expect(stub.requests).toEqual([]);
  });

  it('fails the lookup activity at its first attempt, not retried, when the handle is missing', async () => {
    const { provider, stub } = await stubWith(() => ({ status: 404, body: { error: 'Record not found' } }));
    // The SDK logs the failed attempt as a warning; the failure is what this test expects.
    const env = new MockActivityEnvironment({ attempt: 1 }, { logger: new DefaultLogger('ERROR') });

    const failure: unknown = await env
      .run<[LookupInput], ProviderLookupResult, LookupActivity>(createLookupActivity(provider), input(undefined))
      .catch((e: unknown) => e);

    // A plain Error here would reach Temporal as a retryable failure, and every attempt would fail the same way.
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('InvalidInput');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect(stub.requests).toEqual([]);
  });
});

describe('the {instance} base URL', () => {
  it('puts the lower-cased host of the handle into the template', () => {
    expect(instanceOrigin('https://{instance}', 'Mastodon.Example.NET')).toBe('https://mastodon.example.net');
    expect(instanceOrigin('http://{instance}:8080', 'toot.example.org')).toBe('http://toot.example.org:8080');
    expect(instanceOrigin('https://{instance}', 'xn--bcher-kva.example')).toBe('https://xn--bcher-kva.example');
    expect(instanceOrigin('https://{instance}', 'Bücher.example')).toBe('https://xn--bcher-kva.example');
  });

  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '::1',
    '[::1]',
    'localhost',
    'LOCALHOST',
    'admin.localhost',
    'intranet',
    '127.1',
    '0x7f.0.0.1',
    'evil.0x7f',
    '2130706433',
    'mastodon.example.net:8443',
    'mastodon.example.net.',
    'a..example',
    '-bad.example',
    'under_score.example',
    'user@evil.example',
    'evil.example/path',
    '１２７.０.０.１',
    'bücher.example/path',
    '',
  ])('refuses %j as ForbiddenHost', (host) => {
    const err: unknown = (() => {
      try {
        return instanceOrigin('https://{instance}', host);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(LookupError);
    expect((err as LookupError).type).toBe('ForbiddenHost');
  });

  it('refuses a handle whose host is an IP literal or localhost before any request', async () => {
    const { provider, stub } = await stubWith(
      () => ({ status: 200, body: adaAccount() }),
      (origin) => origin.replace('127.0.0.1', '{instance}'),
    );

    for (const handle of ['adaq@127.0.0.1', 'adaq@localhost', 'adaq@[::1]', 'adaq@intranet']) {
      const err = await lookupError(provider, handle);
      expect(err.type).toBe('ForbiddenHost');
      expect(err.retryable).toBe(false);
    }
    expect(stub.requests).toEqual([]);
  });

  it('asks the handle’s own server for an allowed host (a .invalid name, so the request fails in DNS, not in the check)', async () => {
    const { provider } = await stubWith(
      () => ({ status: 200, body: adaAccount() }),
      (origin) => origin.replace('127.0.0.1', '{instance}'),
    );

    const err = await lookupError(provider, 'adaq@mastodon.invalid');

    expect(err.type).toBe('NetworkError');
  });
});

/** Mastodon's WebFinger answer for `user@host`, its actor on `host` (docs.joinmastodon.org, "WebFinger"). */
function jrd(user: string, host: string): Record<string, unknown> {
  return {
    subject: `acct:${user}@${host}`,
    aliases: [`https://${host}/@${user}`, `https://${host}/users/${user}`],
    links: [
      { rel: 'http://webfinger.net/rel/profile-page', type: 'text/html', href: `https://${host}/@${user}` },
      { rel: 'self', type: 'application/activity+json', href: `https://${host}/users/${user}` },
    ],
  };
}

/** A server hosting Ada only: WebFinger names itself (by the Host asked), the lookup answers her account. */
function instanceAnswers(request: { url: string; headers: Record<string, string | string[] | undefined> }) {
  const host = String(request.headers['host'] ?? '').replace(/:\d+$/, '');
  if (request.url.startsWith('/.well-known/webfinger'))
    return request.url.includes('acct%3Aadaq%40') ? { status: 200, body: jrd('adaq', host) } : { status: 404 };
  return { status: 200, body: adaAccount() };
}

describe('instance hosts that resolve to private addresses (SSRF)', () => {
  /** A resolver standing in for DNS: every name answers what `answers` says (no DNS server needed). */
  const resolver = (answers: Record<string, string[]>) => {
    const asked: string[] = [];
    const resolve = (hostname: string) => {
      asked.push(hostname);
      const addresses = answers[hostname] ?? [];
      return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    };
    return { resolve, asked };
  };

  async function perInstance(answers: Record<string, string[]>, allowedHosts: string[] = []) {
    const stub = await startProviderStub(instanceAnswers);
    closers.push(() => stub.close());
    const { resolve, asked } = resolver(answers);
    const config = { ...providerConfig(stub.origin.replace('127.0.0.1', '{instance}'), 300), allowedHosts };
    const provider = track(createMastodonProvider(config, { maxResponseBytes: 65536, resolve }));
    return { stub, provider, asked };
  }

  it.each([
    ['loopback', ['127.0.0.1']],
    ['private 10/8', ['10.0.0.7']],
    ['private 192.168/16', ['192.168.1.20']],
    ['link-local (cloud metadata)', ['169.254.169.254']],
    ['CGNAT', ['100.64.0.1']],
    ['IPv6 loopback', ['::1']],
    ['IPv6 unique local', ['fd12:3456::1']],
    ['IPv4-mapped loopback', ['::ffff:127.0.0.1']],
    ['unspecified', ['0.0.0.0']],
    ['a public and a private address', ['93.184.216.34', '127.0.0.1']],
  ])(
    'refuses a handle whose instance resolves to %s as ForbiddenHost, non-retryable, before any request',
    async (_what, addresses) => {
      const { provider, stub, asked } = await perInstance({ 'evil.example': addresses });

      const err = await lookupError(provider, 'adaq@evil.example');

      expect(err.type).toBe('ForbiddenHost');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(
        /mastodon: refused host "evil\.example": it resolves to .*, which is not a public address/,
      );
      expect(asked).toEqual(['evil.example']);
      expect(stub.requests).toEqual([]);
    },
  );

  it('checks the addresses each connection uses, so a name that rebinds to loopback after a first answer is refused', async () => {
    const stub = await startProviderStub(instanceAnswers);
    closers.push(() => stub.close());
    // The first answer is a public address (nothing answers there within the timeout: a network failure); the
    // second, for the retry's new connection, is loopback.
    const answers = [['203.0.114.1'], ['127.0.0.1']];
    const resolve = () =>
      Promise.resolve((answers.shift() ?? ['127.0.0.1']).map((address) => ({ address, family: 4 })));
    const provider = track(
      createMastodonProvider(providerConfig(stub.origin.replace('127.0.0.1', '{instance}'), 300), {
        maxResponseBytes: 65536,
        resolve,
      }),
    );

    expect((await lookupError(provider, 'adaq@rebind.example')).type).toBe('NetworkError');
    expect((await lookupError(provider, 'adaq@rebind.example')).type).toBe('ForbiddenHost');
    expect(stub.requests).toEqual([]);
  });

  it('asks a host configured explicitly (PROVIDER_MASTODON_ALLOWED_HOSTS) even on a private address', async () => {
    const { provider, stub } = await perInstance({ 'toot.intranet.example': ['127.0.0.1'] }, ['toot.intranet.example']);

    const answer = await provider.lookup(input('adaq@Toot.Intranet.Example', 0.9));

    expect(answer.outcome).toBe('matched');
    expect(stub.requests.map((r) => r.url)).toEqual([
      '/.well-known/webfinger?resource=acct%3Aadaq%40toot.intranet.example',
      '/api/v1/accounts/lookup?acct=adaq',
    ]);
  });

  it('resolves user@domain by WebFinger, follows the redirect to the hosting server, and asks the account there', async () => {
    // Mastodon with LOCAL_DOMAIN example.org and WEB_DOMAIN social.example.org: one demo server, two host names.
    const server = await startMastodonDemo({
      entries: [
        {
          acct: 'adaq@example.org',
          webDomain: 'social.example.org',
          account: account('adaq', 'social.example.org'),
        },
      ],
    });
    closers.push(() => server.close());
    const { resolve, asked } = resolver({ 'example.org': ['127.0.0.1'], 'social.example.org': ['127.0.0.1'] });
    const config = {
      ...providerConfig(server.url.replace('127.0.0.1', '{instance}'), 1000),
      allowedHosts: ['example.org', 'social.example.org'],
    };
    const provider = track(createMastodonProvider(config, { maxResponseBytes: 65536, resolve }));

    const answer = await provider.lookup(input('adaq@example.org', 0.9));

    expect(answer.outcome).toBe('matched');
    expect(answer.observations[0]?.value).toMatchObject({
      handle: 'adaq@example.org',
      url: 'https://social.example.org/@adaq',
    });
    expect(server.requestLog().map((r) => [r.url, r.status])).toEqual([
      ['/.well-known/webfinger?resource=acct%3Aadaq%40example.org', 301],
      ['/.well-known/webfinger?resource=acct%3Aadaq%40example.org', 200],
      ['/api/v1/accounts/lookup?acct=adaq', 200],
    ]);
    expect([...new Set(asked)]).toEqual(['example.org', 'social.example.org']);
  });

  it('refuses a WebFinger answer that names a host resolving to a private address, before asking it', async () => {
    const stub = await startProviderStub((request) =>
      request.url.startsWith('/.well-known/webfinger')
        ? { status: 200, body: jrd('adaq', 'evil.example') }
        : { status: 200, body: adaAccount() },
    );
    closers.push(() => stub.close());
    const { resolve } = resolver({ 'good.example': ['127.0.0.1'], 'evil.example': ['10.0.0.7'] });
    const config = {
      ...providerConfig(stub.origin.replace('127.0.0.1', '{instance}'), 300),
      allowedHosts: ['good.example'],
    };
    const provider = track(createMastodonProvider(config, { maxResponseBytes: 65536, resolve }));

    const err = await lookupError(provider, 'adaq@good.example');

    expect(err.type).toBe('ForbiddenHost');
    expect(stub.requests.map((r) => r.url)).toEqual(['/.well-known/webfinger?resource=acct%3Aadaq%40good.example']);
  });

  it('answers no_match when the domain’s WebFinger knows no such account (a bare 404)', async () => {
    const { provider, stub } = await perInstance({ 'toot.intranet.example': ['127.0.0.1'] }, ['toot.intranet.example']);

    expect(await provider.lookup(input('nobody@toot.intranet.example', 0.9))).toEqual({
      outcome: 'no_match',
      observations: [],
    });
    expect(stub.requests).toHaveLength(1);
  });

  it('uses a fixed base URL (the configured demo host, on loopback) as configured, with no address check', async () => {
    const { provider, server } = await demoWith([{ acct: ADA, account: adaAccount() }]);

    expect((await provider.lookup(input(ADA, 0.9))).outcome).toBe('matched');
    expect(server.requestLog()).toHaveLength(1);
  });

  it('reads PROVIDER_MASTODON_ALLOWED_HOSTS from the environment, lower-cased and without a trailing dot', () => {
    const config = loadConfig({ PROVIDER_MASTODON_ALLOWED_HOSTS: 'Toot.Intranet.Example., other.example' });
    expect(config.providers.mastodon.allowedHosts).toEqual(['toot.intranet.example', 'other.example']);
    expect(loadConfig({}).providers.mastodon.allowedHosts).toEqual([]);
  });
});

describe('BoundedClientCache', () => {
  class FakeClient {
    closed = 0;
    constructor(readonly baseUrl: string) {}
    close(): Promise<void> {
      this.closed += 1;
      return Promise.resolve();
    }
  }

  it('keeps one client per base URL and closes the least recently used one past its bound', async () => {
    const created: FakeClient[] = [];
    const cache = new BoundedClientCache(2, (baseUrl) => {
      const client = new FakeClient(baseUrl);
      created.push(client);
      return client;
    });

    const a = cache.get('https://a.example');
    const b = cache.get('https://b.example');
    expect(cache.get('https://a.example')).toBe(a);
    cache.get('https://c.example');

    expect(created.map((c) => c.baseUrl)).toEqual(['https://a.example', 'https://b.example', 'https://c.example']);
    expect(cache.size).toBe(2);
    expect(b.closed).toBe(1);
    expect(a.closed).toBe(0);

    await cache.close();
    expect(created.map((c) => c.closed)).toEqual([1, 1, 1]);
    expect(() => cache.get('https://a.example')).toThrow(/closed/);
  });
});

describe('mastodonObservations', () => {
  const parse = (extra: Record<string, unknown>) => MastodonAccountSchema.parse(adaAccount(extra));

  it('turns note HTML into plain text: tags out, entities decoded once, whitespace collapsed', () => {
    expect(htmlToText('<p>Vélo &gt; voiture.</p><p>Il n&#39;y a pas&nbsp;de <b>petite</b>\n victoire&#x21;</p>')).toBe(
      "Vélo > voiture. Il n'y a pas de petite victoire!",
    );
    expect(htmlToText('<p>a<br>b<br/>c</p><script>alert(1)</script>&amp;lt;d&amp;gt; &#0; &bogus;')).toBe(
      'a b c &lt;d&gt; \ufffd &bogus;',
    );
  });

  it('leaves out an empty display name and note, and Mastodon’s placeholder avatar', () => {
    const obs = mastodonObservations(
      parse({ display_name: '', note: '<p></p>', avatar: `https://${HOST}/avatars/original/missing.png` }),
      'Mastodon.Example.NET',
      0.9,
      '2026-07-01T00:00:00.000Z',
    );

    expect(obs.map((o) => o.field)).toEqual(['profiles']);
    expect(obs[0]?.value).toEqual({ network: 'mastodon', handle: ADA, url: `https://${HOST}/@adaq`, verified: true });
  });

  it('refuses an account URL that is not http(s)', () => {
    expect(MastodonAccountSchema.safeParse(adaAccount({ url: 'javascript:alert(1)' })).success).toBe(false);
  });
});

describe('startMastodonDemo', () => {
  it('speaks Mastodon’s rate-limit dialect: ISO 8601 reset with microseconds, and a 429 without Retry-After', async () => {
    const { server } = await demoWith([{ acct: ADA, account: adaAccount(), fault: { kind: 'rate_limit' } }]);
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

    const limited = await fetch(`${server.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(ADA)}`);
    const ok = await fetch(`${server.url}/api/v1/accounts/lookup?acct=adaq`);

    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'Too many requests' });
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toMatch(iso);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('300');
    expect(ok.headers.get('x-ratelimit-reset')).toMatch(iso);
  });

  it('finds a bare username only when one entry has it', async () => {
    const { server } = await demoWith([
      { acct: ADA, account: adaAccount() },
      { acct: 'sam@mastodon.example.net', account: account('sam', HOST) },
      { acct: 'sam@toot.example.org', account: account('sam', 'toot.example.org') },
    ]);
    const status = async (acct: string) =>
      (await fetch(`${server.url}/api/v1/accounts/lookup?acct=${encodeURIComponent(acct)}`)).status;

    expect(await status('adaq')).toBe(200);
    expect(await status('sam')).toBe(404);
    expect(await status('sam@toot.example.org')).toBe(200);
    expect(await status('')).toBe(404);
  });
});

describe('demo/data/mastodon.json', () => {
  it('serves every Mastodon account verified on a demo Gravatar profile, with the opt-out and the 429 as documented', async () => {
    const [gravatar, entries] = await Promise.all([loadGravatarEntries(), loadMastodonEntries()]);
    const linked = gravatar.flatMap((g) =>
      (
        (g.profile as { verified_accounts?: Array<{ service_type: string; url: string }> } | undefined)
          ?.verified_accounts ?? []
      )
        .filter((a) => a.service_type === 'mastodon')
        .map((a) => fediverseAcct(a.url)),
    );
    expect(linked).toContain('druiz@mastodon.example.net');
    expect(entries.map((e) => e.acct).sort()).toEqual(expect.arrayContaining(linked as string[]));

    const server = await startMastodonDemo({ entries });
    closers.push(() => server.close());
    const provider = providerAt(server.url);
    const outcomes: Record<string, string> = {};
    for (const acct of linked as string[]) {
      outcomes[acct] = await provider.lookup(input(acct, 0.9)).then(
        (answer) => answer.outcome,
        (e: unknown) => (e as LookupError).type,
      );
    }
    expect(outcomes).toMatchObject({
      'druiz@mastodon.example.net': 'matched',
      'nquinn@toot.example.org': 'no_match',
      'rosad@mastodon.example.net': 'RateLimited',
    });
    expect(Object.values(outcomes).filter((o) => o === 'matched')).toHaveLength(linked.length - 2);
  });

  it('reports a bad entry with its file and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mastodon-demo-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const [first] = await loadMastodonEntries();
    await writeFile(
      join(dir, 'mastodon.json'),
      JSON.stringify([{ ...first, account: { ...first?.account, url: 'https://elsewhere.example.org/@druiz' } }]),
    );

    await expect(loadMastodonEntries(dir)).rejects.toThrow(
      /mastodon\.json: invalid demo data\n\s+\[0\]\.account\.url: must be https:\/\/mastodon\.example\.net\/@druiz/,
    );
  });
});
