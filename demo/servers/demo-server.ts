/**
 * What every demo provider server hands back, plus the Fastify plumbing they
 * share: a request log (so tests can assert on retries) and listen/close.
 */
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AddressInfo } from 'node:net';
import { LimitEnforcer, type ProviderLimit } from './limit-enforcer.js';

export interface RequestLogEntry {
  method: string;
  /** Path and query as received, e.g. `/v3/profiles/84059b…`. */
  url: string;
  status: number;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

export interface DemoServer {
  /** Base URL to configure the client with, e.g. `http://127.0.0.1:41234/v3` for Gravatar. */
  url: string;
  /** Total requests answered since start. */
  requests: () => number;
  /** Every answered request, oldest first (a copy; safe to keep). */
  requestLog: () => RequestLogEntry[];
  /** Re-arms counted faults (`rate_limit`, `server_error` with `times`) as if no request had been seen. */
  resetFaults(): void;
  /** Requests refused because they exceeded the enforced limit (always 0 without `limit`). */
  violations: () => number;
  close(): Promise<void>;
}

export interface ListenOptions {
  port?: number | undefined;
  host?: string | undefined;
  /** Enforce the provider's own rate limit: refuse (429) and count requests beyond it. Off by default. */
  limit?: ProviderLimit | undefined;
  /** Further windows enforced together with `limit` (a per-second one beside a per-minute one), over every path. */
  limits?: readonly ProviderLimit[] | undefined;
}

export const DEFAULT_DEMO_HOST = '127.0.0.1';

export interface DemoApp {
  app: FastifyInstance;
  log: RequestLogEntry[];
}

/** A quiet Fastify instance that records each answered request. */
export function createDemoApp(): DemoApp {
  const app = Fastify({ logger: false });
  const log: RequestLogEntry[] = [];
  app.addHook('onResponse', async (request, reply) => {
    log.push({
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      at: Math.round(Date.now() - reply.elapsedTime),
    });
  });
  return { app, log };
}

/**
 * Starts listening and wraps the instance as a {@link DemoServer}.
 * `basePath` is appended to the origin to form `url` (`/v3` for Gravatar, empty for GitHub).
 */
export async function listenDemo(
  demo: DemoApp,
  opts: ListenOptions,
  serving: { basePath: string; resetFaults: () => void },
): Promise<DemoServer> {
  const host = opts.host ?? DEFAULT_DEMO_HOST;
  const windows = [...(opts.limit ? [opts.limit] : []), ...(opts.limits ?? [])];
  const enforcer = windows.length > 0 ? new LimitEnforcer(windows) : undefined;
  if (enforcer) {
    demo.app.addHook('onRequest', async (_request, reply) => {
      const verdict = enforcer.admit(Date.now());
      if (!verdict.ok) {
        await reply
          .code(429)
          .header('retry-after', Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)))
          .send({ error: 'rate limit exceeded (demo provider enforcing its limit)' });
      }
    });
  }
  await demo.app.listen({ host, port: opts.port ?? 0 });
  const { port } = demo.app.server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${formatHost(host)}:${port}${serving.basePath}`,
    requests: () => demo.log.length,
    requestLog: () => demo.log.map((entry) => ({ ...entry })),
    resetFaults: serving.resetFaults,
    violations: () => enforcer?.violations ?? 0,
    // Memoised so a test teardown and a signal handler can both call it.
    close: () => (closing ??= demo.app.close()),
  };
}

/** IPv6 literals need brackets inside a URL. */
function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** One reply, already serialised, so body faults can hand-craft broken JSON. */
export interface DemoAnswer {
  status: number;
  body: string;
  headers?: Record<string, string | number>;
}

export function sendAnswer(reply: FastifyReply, answer: DemoAnswer, contentType: string): FastifyReply {
  return reply
    .code(answer.status)
    .headers(answer.headers ?? {})
    .type(contentType)
    .send(answer.body);
}
