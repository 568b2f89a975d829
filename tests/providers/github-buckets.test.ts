import { afterEach, describe, expect, it } from 'vitest';
import { createGithubProvider } from '../../activities/providers/github.js';
import { LookupError } from '../../activities/providers/lookup-error.js';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { startProviderStub } from '../support/provider-stub-server.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const user = (login: string, email: string) => ({
  login,
  id: 1,
  type: 'User',
  email,
  html_url: `https://github.com/${login}`,
});

function providerAt(baseUrl: string) {
  const provider = createGithubProvider(
    { name: 'github', baseUrl, enabled: true, rps: 50, timeoutMs: 2000, maxAttempts: 3 },
    { maxResponseBytes: 65536 },
  );
  closers.push(() => provider.close());
  return provider;
}

describe('GitHub quota buckets (x-ratelimit-resource)', () => {
  it('a search that spends the last search quota does not refuse the /users call; the next search waits', async () => {
    const demo = await startGithubDemo({
      entries: [
        { email: 'ada@example.org', user: user('ada', 'ada@example.org') },
        { email: 'bo@example.org', user: user('bo', 'bo@example.org') },
      ],
      resourceLimits: { search: { max: 1, windowMs: 60_000 }, core: { max: 100, windowMs: 3_600_000 } },
    });
    closers.push(() => demo.close());
    const provider = providerAt(demo.url);

    const first = await provider.lookup({ contactKey: 'k1', email: 'ada@example.org' });
    expect(first.outcome).toBe('matched');
    // Stage 2 (core only) still goes out while the search quota is spent.
    expect((await provider.lookup({ contactKey: 'k2', email: 'x@example.org', handle: 'bo' })).outcome).toBe('matched');
    const refused = await provider.lookup({ contactKey: 'k3', email: 'bo@example.org' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LookupError);
    expect((refused as LookupError).type).toBe('RateLimited');
    expect((refused as LookupError).message).toMatch(/search quota exhausted/);
    expect((refused as LookupError).retryAfterMs).toBeGreaterThan(50_000);
    // Nothing was sent over the limit: the client's own guard refused the third search.
    expect(demo.requestLog().map((r) => [r.url.split('?')[0], r.status])).toEqual([
      ['/search/users', 200],
      ['/users/ada', 200],
      ['/users/bo', 200],
    ]);
    expect(demo.violations()).toBe(0);
  });

  it('the demo meters search and core apart, each refused with 403 and its resource', async () => {
    const demo = await startGithubDemo({
      entries: [{ email: 'ada@example.org', user: user('ada', 'ada@example.org') }],
      resourceLimits: { search: { max: 1, windowMs: 60_000 }, core: { max: 1, windowMs: 60_000 } },
    });
    closers.push(() => demo.close());
    const get = (path: string) => fetch(`${demo.url}${path}`);
    const search = '/search/users?q=ada%40example.org+in%3Aemail+type%3Auser';
    expect((await get(search)).status).toBe(200);
    expect((await get('/users/ada')).status).toBe(200);
    const overSearch = await get(search);
    const overCore = await get('/users/ada');
    expect([overSearch.status, overSearch.headers.get('x-ratelimit-resource')]).toEqual([403, 'search']);
    expect([overCore.status, overCore.headers.get('x-ratelimit-resource')]).toEqual([403, 'core']);
    expect(overCore.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(demo.violations()).toBe(2);
  });

  it('reads incomplete_results: true as retryable, not as no_match', async () => {
    const stub = await startProviderStub(() => ({
      status: 200,
      body: { total_count: 0, incomplete_results: true, items: [] },
    }));
    closers.push(() => stub.close());
    const error = await providerAt(stub.url)
      .lookup({ contactKey: 'k', email: 'ada@example.org' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LookupError);
    expect((error as LookupError).type).toBe('ProviderUnavailable');
    expect((error as LookupError).retryable).toBe(true);
  });
});
