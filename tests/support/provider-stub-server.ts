import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

/** One request as the stub received it. */
export interface StubRequest {
  method: string;
  /** Path and query as received, e.g. `/search/users?q=…`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** What the stub answers; an object body is sent as JSON, a string body as is, a stream chunked (no content-length). */
export interface StubReply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ProviderStubServer {
  /** `http://127.0.0.1:<port>` plus the base path given at start. */
  url: string;
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Every request received, oldest first. */
  requests: StubRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP server for provider tests whose replies a test decides request by request, for the exchanges the
 * demo servers cannot produce (a redirect, a user that disappears between search and fetch) and to capture the
 * headers a client sends.
 */
export async function startProviderStub(
  answer: (request: StubRequest) => StubReply | Promise<StubReply>,
  basePath = '',
): Promise<ProviderStubServer> {
  const app = Fastify({ logger: false });
  const requests: StubRequest[] = [];
  app.all('/*', async (request, reply) => {
    const seen: StubRequest = { method: request.method, url: request.url, headers: { ...request.headers } };
    requests.push(seen);
    const { status, headers = {}, body } = await answer(seen);
    void reply.code(status).headers(headers);
    if (body === undefined) return reply.send();
    if (body instanceof Readable) return reply.type(headers['content-type'] ?? 'application/json').send(body);
    if (typeof body === 'string') return reply.type(headers['content-type'] ?? 'application/json').send(body);
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(body));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  return { url: `${origin}${basePath}`, origin, requests, close: () => (closing ??= app.close()) };
}
