import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, secretsEqual } from '../domain/secrets.js';
import { collectProcessMetrics } from '../activities/metrics.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics-exposition.js';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** When set, scrapes need `Authorization: Bearer <token>`. */
  token?: string | undefined;
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker process's `GET /metrics` (Prometheus text format): its lookup metrics, Node's process metrics, and the
 * Temporal runtime's own metrics when TEMPORAL_METRICS_BIND_ADDRESS is set. Anything else is a 404.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  collectProcessMetrics();
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (options.token) {
      const given = bearerToken(req.headers.authorization);
      if (!given || !secretsEqual(given, options.token)) {
        res
          .writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' })
          .end('missing or invalid metrics token\n');
        return;
      }
    }
    renderMetrics().then(
      (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
