import { startProviderStub, type ProviderStubServer } from './provider-stub-server.js';

export interface RedirectPair {
  /** Answers every request with a 302 to the same path on `target`. */
  redirector: ProviderStubServer;
  /** Another origin (another port); a client that follows the redirect would reach it. */
  target: ProviderStubServer;
  close(): Promise<void>;
}

/**
 * Two local servers: one that redirects every request to the other, as a provider (or something pretending to be
 * one) might send a client to a host it was never configured for. The target answers 200 with an empty JSON object
 * and records what reaches it.
 */
export async function startRedirectPair(basePath = ''): Promise<RedirectPair> {
  const target = await startProviderStub(() => ({ status: 200, body: {} }));
  const redirector = await startProviderStub(
    (request) => ({ status: 302, headers: { location: `${target.origin}${request.url}` }, body: '' }),
    basePath,
  );
  return {
    redirector,
    target,
    close: async () => {
      await Promise.all([redirector.close(), target.close()]);
    },
  };
}
