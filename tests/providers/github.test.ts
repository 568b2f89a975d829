import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../config.js';
import { createGithubProvider } from '../../activities/providers/github.js';
import type { Provider, ProviderDeps } from '../../activities/providers/provider.js';
import { startGithubDemo, type GithubDemoEntry } from '../../demo/servers/github-server.js';
import type { DemoServer } from '../../demo/servers/demo-server.js';
import { closeAfterEach } from '../support/provider-closers.js';
import { itClassifiesProviderReplies, lookupError as lookupErrorFor } from '../support/provider-reply-classes.js';
import { startProviderStub } from '../support/provider-stub-server.js';

const ADA = 'ada.quill@example.org';

function githubUser(login: string, email: string | null, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    login,
    id: 1000 + login.length,
    node_id: `U_${login}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${1000 + login.length}?v=4`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
    name: null,
    company: null,
    blog: '',
    location: null,
    email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 3,
    public_gists: 0,
    followers: 1,
    following: 1,
    created_at: '2015-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

const adaUser = () =>
  githubUser('AQuill-Demo', ADA, {
    name: 'Ada Quill',
    company: '@summit-clinic',
    location: 'Akron, OH',
    bio: ' Writes volunteer tools. ',
    twitter_username: 'adaquill',
  });

function providerConfig(baseUrl: string, timeoutMs = 1000): ProviderConfig {
  return { name: 'github', baseUrl, enabled: true, rps: 50, timeoutMs, maxAttempts: 3 };
}

const closers = closeAfterEach();

function providerAt(baseUrl: string, timeoutMs = 1000, deps: Partial<ProviderDeps> = {}): Provider {
  const provider = createGithubProvider(providerConfig(baseUrl, timeoutMs), { maxResponseBytes: 65536, ...deps });
  closers.push(() => provider.close());
  return provider;
}

async function demoWith(
  entries: GithubDemoEntry[],
  timeoutMs = 1000,
): Promise<{ server: DemoServer; provider: Provider }> {
  const server = await startGithubDemo({ entries });
  closers.push(() => server.close());
  return { server, provider: providerAt(server.url, timeoutMs) };
}

const lookupError = (provider: Provider, email: string) =>
  lookupErrorFor(provider, { contactKey: 'k'.repeat(64), email });

/** The decoded `q` of each search request in a demo server's log. */
function searchQueries(server: DemoServer): string[] {
  return server
    .requestLog()
    .filter((r) => r.url.startsWith('/search/users'))
    .map((r) => new URL(r.url, 'http://demo').searchParams.get('q') ?? '');
}

describe('createGithubProvider', () => {
  it('turns the user whose public email matches into observations, the typed twitter handle at lower confidence', async () => {
    const { provider, server } = await demoWith([{ email: ADA, user: adaUser() }]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: ADA });

    const fetchedAt = expect.any(String) as unknown as string;
    const sourceUrl = 'https://github.com/AQuill-Demo';
    expect(answer.outcome).toBe('matched');
    expect(answer.observations).toEqual([
      {
        field: 'profiles',
        value: { network: 'github', handle: 'AQuill-Demo', url: sourceUrl, verified: true },
        confidence: 0.85,
        sourceUrl,
        fetchedAt,
      },
      { field: 'name.display', value: 'Ada Quill', confidence: 0.85, sourceUrl, fetchedAt },
      { field: 'work.employer', value: 'summit-clinic', confidence: 0.85, sourceUrl, fetchedAt },
      { field: 'bio', value: 'Writes volunteer tools.', confidence: 0.85, sourceUrl, fetchedAt },
      {
        field: 'avatarUrl',
        value: 'https://avatars.githubusercontent.com/u/1011?v=4',
        confidence: 0.85,
        sourceUrl,
        fetchedAt,
      },
      {
        field: 'profiles',
        value: { network: 'twitter', handle: 'adaquill', url: 'https://x.com/adaquill', verified: false },
        confidence: 0.6,
        sourceUrl,
        fetchedAt,
      },
    ]);
    expect(server.requestLog().map((r) => [r.url.split('?')[0], r.status])).toEqual([
      ['/search/users', 200],
      ['/users/AQuill-Demo', 200],
    ]);
    expect(searchQueries(server)).toEqual([`${ADA} in:email type:user`]);
  });

  it('reports only the profile of a sparse user whose name, bio and company are null', async () => {
    const email = 'sofia.sparse@example.org';
    const { provider } = await demoWith([{ email, user: githubUser('ssparse', email, { avatar_url: null }) }]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email });

    expect(answer.outcome).toBe('matched');
    expect(answer.observations.map((o) => [o.field, o.value])).toEqual([
      ['profiles', { network: 'github', handle: 'ssparse', url: 'https://github.com/ssparse', verified: true }],
    ]);
  });

  it('answers no_match when the search finds no user (200 with 0 items)', async () => {
    const { provider, server } = await demoWith([{ email: ADA, user: adaUser() }]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: 'nobody@example.org' });

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(server.requestLog().map((r) => [r.url.split('?')[0], r.status])).toEqual([['/search/users', 200]]);
  });

  it('answers no_match when a user with no public email exists but search cannot find them', async () => {
    const { provider } = await demoWith([{ email: ADA, user: githubUser('quiet-ada', null) }]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: ADA });

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
  });

  it('answers no_match when the user found by search is gone by the time it is fetched (404)', async () => {
    const stub = await startProviderStub((request) =>
      request.url.startsWith('/search/users')
        ? {
            status: 200,
            body: {
              total_count: 1,
              incomplete_results: false,
              items: [
                {
                  login: 'gone-user',
                  id: 7,
                  node_id: 'U_7',
                  html_url: 'https://github.com/gone-user',
                  type: 'User',
                  site_admin: false,
                  score: 1,
                },
              ],
            },
          }
        : {
            status: 404,
            body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
          },
    );
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: ADA });

    expect(answer).toEqual({ outcome: 'no_match', observations: [] });
    expect(stub.requests.map((r) => r.url.split('?')[0])).toEqual(['/search/users', '/users/gone-user']);
  });

  it('fetches a login named by a verified link directly, with that link as its confidence', async () => {
    const { provider, server } = await demoWith([
      { email: 'grace.kim@example.com', user: githubUser('gkim-designs', null) },
    ]);

    const answer = await provider.lookup({
      contactKey: 'k'.repeat(64),
      email: 'grace.kim@example.com',
      handle: 'gkim-designs',
      linkConfidence: 0.9,
    });

    expect(answer.outcome).toBe('matched');
    expect(answer.observations[0]).toMatchObject({
      value: { network: 'github', handle: 'gkim-designs', verified: true },
      confidence: 0.9,
    });
    expect(server.requestLog().map((r) => r.url)).toEqual(['/users/gkim-designs']);
  });

  it('finds the user of a mixed-case email with one email search', async () => {
    const { provider, server } = await demoWith([
      { email: 'lena.okafor@example.org', user: githubUser('lokafor', 'lena.okafor@example.org') },
    ]);

    const answer = await provider.lookup({ contactKey: 'k'.repeat(64), email: 'Lena.Okafor@Example.org' });

    expect(answer.outcome).toBe('matched');
    expect(answer.observations[0]?.value).toMatchObject({ network: 'github', handle: 'lokafor' });
    // The search carries the normalised email, as every other use of it does.
    expect(searchQueries(server)).toEqual(['lena.okafor@example.org in:email type:user']);
  });

  it('throws AmbiguousMatch, without fetching either user, when two users show the same email', async () => {
    const { provider, server } = await demoWith([
      { email: ADA, user: githubUser('ada-one', ADA) },
      { email: ADA, user: githubUser('ada-two', ADA) },
    ]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('AmbiguousMatch');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/2 users/);
    expect(server.requestLog().map((r) => r.url.split('?')[0])).toEqual(['/search/users']);
  });

  it('classifies a primary rate limit (403, x-ratelimit-remaining 0) as RateLimited until x-ratelimit-reset', async () => {
    const { provider } = await demoWith([{ email: ADA, user: adaUser(), fault: { kind: 'rate_limit' } }]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.retryable).toBe(true);
    expect(err.httpStatus).toBe(403);
    // The demo announces a reset 2 s ahead, in whole epoch seconds rounded up.
    expect(err.retryAfterMs).toBeGreaterThan(1_500);
    expect(err.retryAfterMs).toBeLessThanOrEqual(3_000);
  });

  it('classifies a primary rate limit answered with 429 the same way', async () => {
    const { provider } = await demoWith([{ email: ADA, user: adaUser(), fault: { kind: 'rate_limit', status: 429 } }]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.httpStatus).toBe(429);
    expect(err.retryAfterMs).toBeGreaterThan(1_500);
    expect(err.retryAfterMs).toBeLessThanOrEqual(3_000);
  });

  it('classifies a secondary rate limit (403 with retry-after) as RateLimited for the retry-after seconds', async () => {
    const { provider } = await demoWith([
      { email: ADA, user: adaUser(), fault: { kind: 'rate_limit', retryAfterSeconds: 7 } },
    ]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.httpStatus).toBe(403);
    expect(err.retryAfterMs).toBe(7_000);
  });

  it('classifies a secondary rate limit answered with 429 and retry-after the same way', async () => {
    const { provider } = await demoWith([
      { email: ADA, user: adaUser(), fault: { kind: 'rate_limit', retryAfterSeconds: 4, status: 429 } },
    ]);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('RateLimited');
    expect(err.httpStatus).toBe(429);
    expect(err.retryAfterMs).toBe(4_000);
  });

  it('treats a 403 that is not a rate limit as ProviderRejected', async () => {
    const stub = await startProviderStub(() => ({
      status: 403,
      headers: { 'x-ratelimit-remaining': '29', 'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 60) },
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
        status: '403',
      },
    }));
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('ProviderRejected');
    expect(err.retryable).toBe(false);
    expect(err.httpStatus).toBe(403);
  });

  itClassifiesProviderReplies({
    demoWithFault: (fault, timeoutMs) => demoWith([{ email: ADA, user: adaUser(), fault }], timeoutMs),
    providerAt,
    input: { contactKey: 'k'.repeat(64), email: ADA },
    serverErrorStatus: 500,
    malformedReply: 'a search result',
    malformedField: 'total_count',
    firstRequest: '/search/users?q=ada.quill%40example.org+in%3Aemail+type%3Auser',
    // The rate-limited search, then the search and the user fetch.
    recovery: { fault: { kind: 'rate_limit', retryAfterSeconds: 1 }, statuses: [403, 200, 200] },
  });

  it('classifies a user of the wrong shape as MalformedResponse naming the field', async () => {
    const stub = await startProviderStub((request) =>
      request.url.startsWith('/search/users')
        ? {
            status: 200,
            body: {
              total_count: 1,
              incomplete_results: false,
              items: [{ login: 'ada', id: 1, html_url: 'https://github.com/ada', type: 'User' }],
            },
          }
        : { status: 200, body: { ...githubUser('ada', ADA), html_url: 42 } },
    );
    closers.push(() => stub.close());
    const provider = providerAt(stub.url);

    const err = await lookupError(provider, ADA);

    expect(err.type).toBe('MalformedResponse');
    expect(err.message).toMatch(/at html_url:/);
  });

  it('sends the API version, the GitHub media type and the configured token', async () => {
    const stub = await startProviderStub(() => ({
      status: 200,
      body: { total_count: 0, incomplete_results: false, items: [] },
    }));
    closers.push(() => stub.close());
    const withToken = providerAt(stub.url, 1000, { apiKey: 'ghp_testtoken' });
    const anonymous = providerAt(stub.url);

    await withToken.lookup({ contactKey: 'k'.repeat(64), email: ADA });
    await anonymous.lookup({ contactKey: 'k'.repeat(64), email: ADA });

    expect(stub.requests).toHaveLength(2);
    const [sent, unauthenticated] = stub.requests;
    expect(sent?.headers).toMatchObject({
      authorization: 'Bearer ghp_testtoken',
      'x-github-api-version': '2022-11-28',
      accept: 'application/vnd.github+json',
    });
    expect(unauthenticated?.headers.authorization).toBeUndefined();
    expect(unauthenticated?.headers['x-github-api-version']).toBe('2022-11-28');
  });
});
