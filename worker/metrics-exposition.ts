import { Registry } from 'prom-client';
import { appMetrics } from '../activities/metrics.js';
import { temporalRuntimeMetricsUrl } from './runtime.js';

/** The Temporal runtime's own metrics, when this process serves them; a comment line when they cannot be read. */
async function temporalRuntimeMetrics(): Promise<string> {
  const url = temporalRuntimeMetricsUrl();
  if (!url) return '';
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return `# temporal runtime metrics unavailable: HTTP ${res.status}\n`;
    return await res.text();
  } catch (err) {
    return `# temporal runtime metrics unavailable: ${err instanceof Error ? err.message : String(err)}\n`;
  }
}

/** The Prometheus text exposition content type (version 0.0.4), which prom-client and the Temporal runtime both write. */
export const METRICS_CONTENT_TYPE = appMetrics.contentType;

/**
 * Everything this process exposes on `/metrics`: the application's metrics, any `extra` registries (the API's
 * store gauges), then the Temporal runtime's own metrics when it serves them (names prefixed `temporal_`).
 */
export async function renderMetrics(extra: Registry[] = []): Promise<string> {
  const own = await Registry.merge([appMetrics, ...extra]).metrics();
  const runtime = await temporalRuntimeMetrics();
  return `${own.endsWith('\n') ? own : `${own}\n`}${runtime}`;
}
