/**
 * A child process hosting the benches' demo providers, so simulating them costs the measured process nothing.
 * In front of each demo server sits a small proxy that answers after `--latency-ms` and drops the providers'
 * quota headers (the latency and throughput benches measure our pipeline, not a provider's hourly budget).
 * Prints one JSON line `{ "urls": { "<provider>": "<base url>" } }` on stdout once listening; runs until killed.
 *
 *   node --import tsx bench/support/provider-host.ts --contacts 500 --latency-ms 150
 */
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startBenchProviders } from './bench-providers.js';

/** Headers through which providers announce their quotas; the provider clients would otherwise pace themselves. */
const QUOTA_HEADER = /^(x-ratelimit-|ratelimit|x-rate-limit-|retry-after$)/i;

function withoutQuota(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !QUOTA_HEADER.test(name)));
}

/** Forwards every request to `target` (same path and query) after `latencyMs`; answers without quota headers. */
async function startProxy(target: URL, latencyMs: number): Promise<number> {
  const server = createServer((req, res) => {
    void (async () => {
      if (latencyMs > 0) await delay(latencyMs);
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, withoutQuota(answer.headers));
          answer.pipe(res);
        },
      );
      upstream.on('error', (err) => res.writeHead(502).end(String(err)));
      req.pipe(upstream);
    })();
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const { values } = parseArgs({
  options: { contacts: { type: 'string', default: '1000' }, 'latency-ms': { type: 'string', default: '0' } },
});
const providers = await startBenchProviders(Number(values.contacts), { enforceLimits: false });
const urls: Record<string, string> = {};
for (const provider of providers) {
  const target = new URL(provider.server.url);
  const port = await startProxy(target, Number(values['latency-ms']));
  urls[provider.name] = `http://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`;
}
process.stdout.write(`${JSON.stringify({ urls })}\n`);
process.once('SIGTERM', () => process.exit(0));
