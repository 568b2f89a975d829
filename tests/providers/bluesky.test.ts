import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../config.js';
import {
  blueskyObservations,
  BlueskyProfileSchema,
  createBlueskyProvider,
  normalizeBlueskyActor,
} from '../../activities/providers/bluesky.js';
import type { Provider } from '../../activities/providers/provider.js';
import { startBlueskyDemo, type BlueskyDemoEntry } from '../../demo/servers/bluesky-server.js';
import { loadGravatarEntries } from '../../demo/servers/demo-data.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { loadBlueskyEntries } from '../../demo/servers/social-demo-data.js';
import type { LookupInput } from '../../schemas/lookup.js';
import { blueskyActor } from '../../workflows/lookup-plan.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub, type StubReply } from '../support/provider-stub-server.js';

const ADA = 'ada.example.org';
const ADA_DID = 'did:plc:7d3kq2w5xj4ybnq6vwl3r2ab';
const AVATAR = `https://cdn.bsky.app/img/avatar/plain/${ADA_DID}/bafkreiabc@jpeg`;

function adaProfile(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    did: ADA_DID,
    handle: ADA,
    displayName: 'Ada Quill',
    description: '  Canvasser and choir singer.\nAkron, OH.  ',
    avatar: AVATAR,
    followersCount: 512,
    followsCount: 201,
    postsCount: 1893,
    indexedAt: '2026-06-30T12:00:00.000Z',
    createdAt: '2023-05-11T18:02:11.000Z',
    labels: [],
    verification: { verifications: [], verifiedStatus: 'none', trustedVerifierStatus: 'none' },
    ...extra,
  };
}

const selfLabel = (val: string, extra: Record<string, unknown> = {}) => ({
  src: ADA_DID,
  uri: `at://${ADA_DID}/app.bsky.actor.profile/self`,
  val,
  cts: '2023-05-11T18:02:11.000Z',
  ...extra,
});

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'bluesky', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function providerAt(baseUrl: string, timeoutMs = 1000): Provider {
  const provider = createBlueskyProvider(providerConfig(baseUrl, timeoutMs), { maxResponseBytes: 65536 });
  closers.push(() => provider.close());
  return provider;
}

async function demoWith(
  entries: BlueskyDemoEntry[],
  timeoutMs = 1000,
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startBlueskyDemo({ entries });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs) };
}

async function stubWith(answer: () => StubReply) {
  const stub = await startProviderStub(answer);
  closers.push(() => stub.close());
  return { stub, provider: providerAt(stub.url) };
}

function input(handle: string | undefined, linkConfidence?: number): LookupInput {
  return { contactKey: 'k'.repeat(64), email: 'ada.quill@example.org', handle, linkConfidence };
}

const lookupError = (provider: Provider, handle: string | undefined) => lookupErrorFor(provider, input(handle, 0.9));

const fetchedAt = expect.any(String) as unknown as string;
const PROFILE_URL = `https://bsky.app/profile/${ADA}`;

describe('createBlueskyProvider', () => {
  it('looks a handle up with getProfile and turns the profile into observations', async () => {
    const { provider, server } = await demoWith([{ actor: ADA, profile: adaProfile() }]);

    const answer = await provider.lookup(input('@Ada.Example.org', 0.9));

    const sourceUrl = PROFILE_URL;
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      {
        field: 'profiles',
        value: { network: 'bluesky', handle: ADA, url: PROFILE_URL, verified: true },
        confidence: 0.9,
        sourceUrl,
        fetchedAt,
      },
      { field: 'name.display', value: 'Ada Quill', confidence: 0.9, sourceUrl, fetchedAt },
      { field: 'bio', value: 'Canvasser and choir singer.\nAkron, OH.', confidence: 0.9, sourceUrl, fetchedAt },
      { field: 'avatarUrl', value: AVATAR, confidence: 0.9, sourceUrl, fetchedAt },
    ]);
    expect(server.requestLog().map((r) => [r.method, r.url, r.status])).toEqual([
      ['GET', `/xrpc/app.bsky.actor.getProfile?actor=${ADA}`, 200],
    ]);
  });

  it('looks a DID up the same way, and carries a weaker link confidence unverified', async () => {
    const { provider, server } = await demoWith([{ actor: ADA, did: ADA_DID, profile: adaProfile() }]);

    const answer = await provider.lookup(input(ADA_DID, 0.6));
    const unlinked = await provider.lookup(input(ADA));

    for (const a of [answer, unlinked]) {
      expect(a.outcome).toBe('matched');
      expect(a.observations[0]).toMatchObject({
        value: { handle: ADA, url: PROFILE_URL, verified: false },
        confidence: 0.6,
      });
    }
    expect(server.requestLog().map((r) => r.url)).toEqual([
      `/xrpc/app.bsky.actor.getProfile?actor=${encodeURIComponent(ADA_DID)}`,
      `/xrpc/app.bsky.actor.getProfile?actor=${ADA}`,
    ]);
  });

  it('answers no_match for an unknown actor (HTTP 400 InvalidRequest "Profile not found")', async () => {
    const { provider, server } = await demoWith([{ actor: ADA, profile: adaProfile() }, { actor: 'gone.example.net' }]);

    expect(await provider.lookup(input('nobody.example.org', 0.9))).toEqual({ outcome: 'no_match', observations: [] });
    expect(await provider.lookup(input('gone.example.net', 0.9))).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([400, 400]);
  });

  it.each([
    ['AccountTakedown', 'Account has been suspended'],
    ['AccountDeactivated', 'Account is deactivated'],
  ])('answers no_match for a 400 %s', async (error, message) => {
    const { provider } = await stubWith(() => ({ status: 400, body: { error, message } }));

    expect(await provider.lookup(input(ADA, 0.9))).toEqual({ outcome: 'no_match', observations: [] });
  });

  it.each([
    [
      'InvalidRequest with another message',
      { error: 'InvalidRequest', message: 'Error: actor must be a valid did or a handle' },
    ],
    ['another XRPC error', { error: 'BlockedActor', message: 'Requester has blocked actor' }],
    ['no XRPC error body', ''],
  ])('classifies any other 400 (%s) as a non-retryable ProviderRejected', async (_label, body) => {
    const { provider } = await stubWith(() => ({ status: 400, body }));

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('ProviderRejected');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(400);
  });

  it('respects the !no-unauthenticated self-label with no_match and no observations', async () => {
    const { provider, server } = await demoWith([
      { actor: ADA, profile: adaProfile({ labels: [selfLabel('!no-unauthenticated')] }) },
    ]);

    expect(await provider.lookup(input(ADA, 0.9))).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([200]);
  });

  it('ignores other labels and a negated !no-unauthenticated', async () => {
    const labels = [selfLabel('porn'), selfLabel('!no-unauthenticated', { neg: true })];
    const { provider } = await demoWith([{ actor: ADA, profile: adaProfile({ labels }) }]);

    expect((await provider.lookup(input(ADA, 0.9))).outcome).toBe('matched');
  });

  it('classifies a 429 as RateLimited with the delay announced by RateLimit-Reset (epoch seconds)', async () => {
    const { provider } = await demoWith([
      { actor: ADA, profile: adaProfile(), fault: { kind: 'rate_limit', retryAfterSeconds: 30 } },
    ]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryable).toBe(true);
    expect(err.httpStatus).toBe(429);
    // The reset is epoch seconds rounded up from now + 30 s.
    expect(err.retryAfterMs).toBeGreaterThan(28_500);
    expect(err.retryAfterMs).toBeLessThanOrEqual(31_000);
  });

  it.each([
    ['Retry-After when RateLimit-Reset is absent', { 'retry-after': '12' }, 12_000],
    ['a small RateLimit-Reset as delta seconds (IETF draft)', { 'ratelimit-reset': '45' }, 45_000],
    ['60 s when neither is given', {}, 60_000],
  ])('reads %s', async (_label, headers, expected) => {
    const { provider } = await stubWith(() => ({
      status: 429,
      headers,
      body: { error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' },
    }));

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryAfterMs).toBe(expected);
  });

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) => demoWith([{ actor: ADA, profile: adaProfile(), fault }], timeoutMs),
    providerAt,
    input: input(ADA, 0.9),
    serverErrorStatus: 500,
    malformedField: 'did',
    firstRequest: `/xrpc/app.bsky.actor.getProfile?actor=${ADA}`,
    recovery: { fault: { kind: 'rate_limit' }, statuses: [429, 200] },
  });

  it('refuses a profile other than the one asked for', async () => {
    const { provider } = await stubWith(() => ({
      status: 200,
      body: adaProfile({ handle: 'someone.example.net', did: 'did:plc:aaaaaaaaaaaaaaaaaaaaaaaa' }),
    }));

    expect((await lookupError(provider, ADA)).type).toBe('MalformedResponse');
    expect((await lookupError(provider, ADA_DID)).type).toBe('MalformedResponse');
  });

  it('refuses a missing handle, or an actor that is neither handle nor DID, as a non-retryable InvalidInput without asking', async () => {
    const { provider, stub } = await stubWith(() => ({ status: 200, body: adaProfile() }));

    const missing = await lookupError(provider, undefined);

    expect(missing.type).toBe('InvalidInput');
    expect(missing.retryable).toBe(false);
    expect(missing.message).toMatch(/input\.handle is missing/);
    for (const bad of [
      'ada',
      'ada@example.org',
      'https://bsky.app/profile/ada.example.org',
      'ada.123',
      'did:plc:',
      '-x.example.org',
    ]) {
      expect((await lookupError(provider, bad)).type).toBe('InvalidInput');
    }
    expect(stub.requests).toEqual([]);
  });
});

describe('blueskyObservations', () => {
  it('uses the DID for handle and URL when the AppView shows handle.invalid', () => {
    const profile = BlueskyProfileSchema.parse(
      adaProfile({ handle: 'handle.invalid', displayName: ' ', description: undefined, avatar: undefined }),
    );

    const obs = blueskyObservations(profile, 0.9, '2026-07-01T00:00:00.000Z');

    expect(obs).toEqual([
      {
        field: 'profiles',
        value: { network: 'bluesky', handle: ADA_DID, url: `https://bsky.app/profile/${ADA_DID}`, verified: true },
        confidence: 0.9,
        sourceUrl: `https://bsky.app/profile/${ADA_DID}`,
        fetchedAt: '2026-07-01T00:00:00.000Z',
      },
    ]);
  });

  it('normalizes actors: lower-cased handle without @, DID kept as is', () => {
    expect(normalizeBlueskyActor(' @Ada.Example.ORG ')).toBe(ADA);
    expect(normalizeBlueskyActor(ADA_DID)).toBe(ADA_DID);
    expect(normalizeBlueskyActor('did:web:ada.example.org')).toBe('did:web:ada.example.org');
  });

  it('refuses an avatar that is not http(s)', () => {
    expect(BlueskyProfileSchema.safeParse(adaProfile({ avatar: 'javascript:alert(1)' })).success).toBe(false);
  });
});

describe('startBlueskyDemo', () => {
  it('speaks the atproto rate-limit dialect and XRPC errors', async () => {
    const { server } = await demoWith([{ actor: ADA, profile: adaProfile(), fault: { kind: 'rate_limit' } }]);
    const get = (query: string) => fetch(`${server.url}/xrpc/app.bsky.actor.getProfile${query}`);

    const limited = await get(`?actor=${ADA}`);
    const ok = await get(`?actor=${ADA_DID}`);
    const missing = await get('');
    const invalid = await get('?actor=not%20a%20handle');
    const unknown = await get('?actor=nobody.example.org');

    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'RateLimitExceeded', message: 'Rate Limit Exceeded' });
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-limit')).toBe('3000');
    expect(ok.headers.get('ratelimit-policy')).toBe('3000;w=300');
    expect(ok.headers.get('ratelimit-reset')).toMatch(/^\d{10}$/);
    expect([missing.status, invalid.status, unknown.status]).toEqual([400, 400, 400]);
    expect(await unknown.json()).toEqual({ error: 'InvalidRequest', message: 'Profile not found' });
    expect(((await invalid.json()) as { error: string }).error).toBe('InvalidRequest');
  });
});

describe('demo/data/bluesky.json', () => {
  it('serves every Bluesky account verified on a demo Gravatar profile, with the absent profile and the opt-out as documented', async () => {
    const [gravatar, entries] = await Promise.all([loadGravatarEntries(), loadBlueskyEntries()]);
    const linked = gravatar.flatMap((g) =>
      (
        (g.profile as { verified_accounts?: Array<{ service_type: string; url: string }> } | undefined)
          ?.verified_accounts ?? []
      )
        .filter((a) => a.service_type === 'bluesky')
        .map((a) => blueskyActor(a.url)),
    ) as string[];
    expect(linked.length).toBeGreaterThan(0);
    expect(entries.map((e) => e.actor)).toEqual(expect.arrayContaining(linked));

    const server = await startBlueskyDemo({ entries });
    closers.push(() => server.close());
    const provider = providerAt(server.url);
    const outcomes: Record<string, string> = {};
    for (const actor of linked) outcomes[actor] = (await provider.lookup(input(actor, 0.9))).outcome;

    expect(outcomes).toMatchObject({
      'priya.example.com': 'matched',
      'imani.example.net': 'no_match',
      'zoe.example.net': 'no_match',
    });
    expect(Object.values(outcomes).filter((o) => o === 'matched')).toHaveLength(linked.length - 2);
  });

  it('reports a bad entry with its file and field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bluesky-demo-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const [first] = await loadBlueskyEntries();
    await writeFile(
      join(dir, 'bluesky.json'),
      JSON.stringify([{ ...first, profile: { ...first?.profile, did: 'did:plc:short' } }]),
    );

    await expect(loadBlueskyEntries(dir)).rejects.toThrow(
      /bluesky\.json: invalid demo data\n\s+\[0\]\.profile\.did: must be a did:plc DID/,
    );
  });
});
