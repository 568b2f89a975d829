import { describe, expect, it } from 'vitest';
import { createGithubProvider } from '../../activities/providers/github.js';
import { LookupError } from '../../activities/providers/lookup-error.js';
import { startGithubDemo } from '../../demo/servers/github-server.js';
import { LOOKUP_ERROR_TYPES } from '../../schemas/lookup.js';
import { closeAfterEach } from '../support/provider-closers.js';

/**
 * The demo servers meter a provider's limit over every path together, in each of its windows: the rate-limit
 * bench relies on it to catch a lookup that spends more than one request (GitHub: a search, then the user).
 */
const closers = closeAfterEach();

const user = (login: string, email: string) => ({
  login,
  id: login.length,
  html_url: `https://github.com/${login}`,
  type: 'User',
  name: null,
  email,
});

describe('demo provider limits over all paths', () => {
  it('counts a violation when a search and a user request together exceed a per-minute window neither path exceeds alone', async () => {
    const server = await startGithubDemo({
      entries: [
        { email: 'ada@example.org', user: user('ada-demo', 'ada@example.org') },
        { email: 'bo@example.org', user: user('bo-demo', 'bo@example.org') },
      ],
      // A per-second window that the two lookups keep, and a per-minute one of 3 requests.
      limits: [
        { max: 100, windowMs: 1000 },
        { max: 3, windowMs: 60_000 },
      ],
    });
    closers.push(() => server.close());
    const github = createGithubProvider(
      { name: 'github', baseUrl: server.url, enabled: true, rps: 50, timeoutMs: 1000, maxAttempts: 1 },
      { maxResponseBytes: 65_536 },
    );
    closers.push(() => github.close());

    const first = await github.lookup({ contactKey: 'k'.repeat(64), email: 'ada@example.org' });
    expect(first.outcome).toBe('matched');
    expect(server.violations()).toBe(0);

    // The second lookup's search is the window's third request; its user request is the fourth: refused.
    const second = await github
      .lookup({ contactKey: 'k'.repeat(64), email: 'bo@example.org' })
      .catch((err: unknown) => err);
    expect(second).toBeInstanceOf(LookupError);
    expect((second as LookupError).type).toBe(LOOKUP_ERROR_TYPES.rateLimited);
    expect(server.violations()).toBe(1);
    const paths = server.requestLog().map((entry) => `${entry.url.split('?')[0]} ${entry.status}`);
    // Two requests per path, under the window each; four together, one over it.
    expect(paths).toEqual(['/search/users 200', '/users/ada-demo 200', '/search/users 200', '/users/bo-demo 429']);
  });
});
