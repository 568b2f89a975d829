// Container healthcheck: exit 0 when the URL answers 2xx within 3 s. Sends METRICS_TOKEN to a /metrics URL.
const url = process.argv[2];
const headers = url.endsWith('/metrics') && process.env.METRICS_TOKEN ? { authorization: `Bearer ${process.env.METRICS_TOKEN}` } : {};
fetch(url, { headers, signal: AbortSignal.timeout(3000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
