import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../config.js';
import { createGravatarProvider } from '../../activities/providers/gravatar.js';
import type { Provider } from '../../activities/providers/provider.js';
import { startGravatarDemo, type GravatarDemoEntry } from '../../demo/servers/gravatar-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub } from '../support/provider-stub-server.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const ADA = 'ada.quill@example.org';
const ADA_HASH = sha256(ADA);

function adaProfile(): Record<string, unknown> {
  return {
    hash: ADA_HASH,
    display_name: 'Ada Quill',
    profile_url: 'https://gravatar.com/adaquill',
    avatar_url: `https://0.gravatar.com/avatar/${ADA_HASH}`,
    avatar_alt_text: '',
    location: 'Akron, OH',
    description: 'Canvasser and choir singer.',
    job_title: 'Nurse',
    company: 'Summit Clinic',
    pronunciation: '',
    pronouns: 'she/her',
    verified_accounts: [
      {
        service_type: 'github',
        service_label: 'GitHub',
        service_icon: 'https://gravatar.com/icons/github.svg',
        url: 'https://github.com/aquill-demo',
        is_hidden: false,
      },
      {
        service_type: 'mastodon',
        service_label: 'Mastodon',
        service_icon: 'https://gravatar.com/icons/mastodon.svg',
        url: 'https://mastodon.example.net/@adaq',
        is_hidden: false,
      },
      {
        service_type: 'twitter',
        service_label: 'X',
        service_icon: 'https://gravatar.com/icons/x.svg',
        url: 'https://x.com/hidden_ada',
        is_hidden: true,
      },
    ],
  };
}

function profileFor(email: string, displayName: string): Record<string, unknown> {
  const hash = sha256(email.trim().toLowerCase());
  return {
    hash,
    display_name: displayName,
    profile_url: `https://gravatar.com/${hash.slice(0, 8)}`,
    verified_accounts: [],
  };
}

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'gravatar', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function providerAt(baseUrl: string, timeoutMs = 1000): Provider {
  const provider = createGravatarProvider(providerConfig(baseUrl, timeoutMs), { maxResponseBytes: 65536 });
  closers.push(() => provider.close());
  return provider;
}

async function demoWith(
  entries: GravatarDemoEntry[],
  timeoutMs = 1000,
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startGravatarDemo({ entries });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs) };
}

const lookupError = (provider: Provider, email: string) =>
  lookupErrorFor(provider, { contactKey: 'k'.repeat(64), email });

describe('createGravatarProvider', () => {
  it('turns a profile into observations with its fields, confidence, source URL and visible verified accounts', async () => {
    const { provider, server } = await demoWith([{ email: ADA, profile: adaProfile() }]);
    const before = new Date().toISOString();

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: ADA });

    const fetchedAt = expect.any(String) as unknown as string;
    const sourceUrl = 'https://gravatar.com/adaquill';
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      { field: 'name.display', value: 'Ada Quill', confidence: 0.9, sourceUrl, fetchedAt },
      { field: 'bio', value: 'Canvasser and choir singer.', confidence: 0.9, sourceUrl, fetchedAt },
      { field: 'avatarUrl', value: `https://0.gravatar.com/avatar/${ADA_HASH}`, confidence: 0.9, sourceUrl, fetchedAt },
      { field: 'work.title', value: 'Nurse', confidence: 0.9, sourceUrl, fetchedAt },
      { field: 'work.employer', value: 'Summit Clinic', confidence: 0.9, sourceUrl, fetchedAt },
      {
        field: 'profiles',
        value: { network: 'gravatar', handle: 'adaquill', url: sourceUrl, verified: true },
        confidence: 0.9,
        sourceUrl,
        fetchedAt,
      },
      {
        field: 'profiles',
        value: { network: 'github', handle: 'aquill-demo', url: 'https://github.com/aquill-demo', verified: true },
        confidence: 0.9,
        sourceUrl,
        fetchedAt,
      },
      {
        field: 'profiles',
        value: {
          network: 'mastodon',
          handle: 'adaq@mastodon.example.net',
          url: 'https://mastodon.example.net/@adaq',
          verified: true,
        },
        confidence: 0.9,
        sourceUrl,
        fetchedAt,
      },
    ]);
    for (const o of answer.observations) {
      expect(o.fetchedAt >= before && o.fetchedAt <= new Date().toISOString()).toBe(true);
    }
    expect(server.requestLog().map((r) => [r.method, r.url, r.status])).toEqual([
      ['GET', `/v3/profiles/${ADA_HASH}`, 200],
    ]);
  });

  it('leaves out blank fields of a sparse profile', async () => {
    const email = 'sparse@example.net';
    const { provider } = await demoWith([
      { email, profile: { ...profileFor(email, '  '), description: null, company: '' } },
    ]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email });

    expect(answer.outcome).toBe('matched');
    expect(answer.observations.map((o) => o.field)).toEqual(['profiles']);
  });

  it('answers no_match when Gravatar has no profile for the hash (404)', async () => {
    const { provider, server } = await demoWith([{ email: ADA, profile: adaProfile() }]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: 'nobody@example.org' });

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => r.status)).toEqual([404]);
  });

  it('hashes the trimmed, lower-cased email, so a mixed-case address finds its profile', async () => {
    const { provider, server } = await demoWith([
      { email: 'lena.okafor@example.org', profile: profileFor('lena.okafor@example.org', 'Lena Okafor') },
    ]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: '  Lena.Okafor@Example.org ' });

    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toContainEqual(
      expect.objectContaining({ field: 'name.display', value: 'Lena Okafor' }),
    );
    expect(server.requestLog().map((r) => r.url)).toEqual([`/v3/profiles/${sha256('lena.okafor@example.org')}`]);
  });

  it('classifies a 429 as RateLimited with the delay announced by X-RateLimit-Reset', async () => {
    const { provider } = await demoWith([
      { email: ADA, profile: adaProfile(), fault: { kind: 'rate_limit', retryAfterSeconds: 30 } },
    ]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryable).toBe(true);
    expect(err.httpStatus).toBe(429);
    // The reset is epoch seconds rounded up from now + 30 s.
    expect(err.retryAfterMs).toBeGreaterThan(28_500);
    expect(err.retryAfterMs).toBeLessThanOrEqual(31_000);
  });

  it('reads a Retry-After when a 429 carries no usable X-RateLimit-Reset', async () => {
    const stub = await startProviderStub(
      () => ({
        status: 429,
        headers: { 'retry-after': '12' },
        body: { error: 'Rate limit exceeded', code: 'rate_limit_exceeded' },
      }),
      '/v3',
    );
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryAfterMs).toBe(12_000);
  });

  it('sends nothing more after a reply that says the quota is spent, until its reset', async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 30;
    const stub = await startProviderStub(
      () => ({
        status: 200,
        headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(resetAt) },
        body: adaProfile(),
      }),
      '/v3',
    );
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    expect((await provider.lookup({ contactKey: 'k'.repeat(64), email: ADA })).outcome).toBe('matched');
    const held = await lookupError(provider, ADA);

    expect(held.type).toBe('RateLimited');
    expect(held.retryAfterMs).toBeGreaterThan(28_000);
    expect(stub.requests).toHaveLength(1);
  });

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) => demoWith([{ email: ADA, profile: adaProfile(), fault }], timeoutMs),
    providerAt,
    input: { contactKey: 'k'.repeat(64), email: ADA },
    serverErrorStatus: 500,
    malformedField: 'hash',
    basePath: '/v3',
    firstRequest: `/v3/profiles/${ADA_HASH}`,
    recovery: { fault: { kind: 'rate_limit', retryAfterSeconds: 1 }, statuses: [429, 200] },
  });

  it('refuses a streamed body without content-length once it passes maxResponseBytes', async () => {
    const chunk = JSON.stringify({ filler: 'x'.repeat(8000) });
    const stub = await startProviderStub(
      () => ({
        status: 200,
        body: Readable.from(
          (function* () {
            for (let i = 0; i < 20; i++) yield chunk;
          })(),
        ),
      }),
      '/v3',
    );
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('ResponseTooLarge');
    expect(err.message).toContain('65536');
  });

  it('sends the configured API key as a bearer token', async () => {
    const stub = await startProviderStub(
      () => ({ status: 404, body: { error: 'Profile not found', code: 'not_found' } }),
      '/v3',
    );
    closers.push(() => stub.close());
    const keyed = createGravatarProvider(providerConfig(stub.url), {
      maxResponseBytes: 65536,
      apiKey: 'gravatar-test-key',
    });
    const anonymous = createGravatarProvider(providerConfig(stub.url), { maxResponseBytes: 65536 });
    closers.push(
      () => keyed.close(),
      () => anonymous.close(),
    );

    await keyed.lookup({ contactKey: 'k'.repeat(64), email: ADA });
    await anonymous.lookup({ contactKey: 'k'.repeat(64), email: ADA });

    expect(stub.requests).toHaveLength(2);
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer gravatar-test-key');
    expect(stub.requests[1]?.headers.authorization).toBeUndefined();
    expect(stub.requests[0]?.headers['user-agent']).toMatch(/^contact-enrichment\//);
  });
});
