import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { CONTACT_STATUSES } from '../../schemas/contact-record.js';
import { collectProcessMetrics } from '../../activities/metrics.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from '../../worker/metrics-exposition.js';
import type { ApiDeps } from '../api-deps.js';
import { bearerToken, secretsEqual } from '../../domain/secrets.js';

/**
 * `GET /metrics` (Prometheus text format): contacts by status from the store, counted at each scrape (flagged
 * contacts are `enrich_flagged_contacts`), this process's lookup metrics (under `enrich dev` the workers run here
 * too), Node's process metrics, and the Temporal runtime's own when this process serves them. With METRICS_TOKEN set
 * a scrape needs `Authorization: Bearer $METRICS_TOKEN`; the figures are counts, never personal data.
 */
export function metricsRoutes(app: FastifyInstance, { config, db }: ApiDeps): void {
  collectProcessMetrics();
  const registry = new Registry();
  const countByStatus = async (): Promise<Map<string, number>> => {
    const rows = await db
      .selectFrom('contacts')
      .select(['status', db.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute();
    return new Map(rows.map((r) => [r.status, Number(r.n)]));
  };
  // One query serves both gauges of a scrape: the second reuses the first's answer.
  let pending: Promise<Map<string, number>> | undefined;
  const counts = () => (pending ??= countByStatus().finally(() => setImmediate(() => (pending = undefined))));

  new Gauge({
    name: 'enrich_contacts',
    help: 'Contacts in the store by status (running, enriched, flagged, suppressed, …).',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const byStatus = await counts();
      this.reset();
      for (const status of new Set<string>([...CONTACT_STATUSES, ...byStatus.keys()]))
        this.set({ status }, byStatus.get(status) ?? 0);
    },
  });
  new Gauge({
    name: 'enrich_flagged_contacts',
    help: 'Contacts flagged for a person to look at (a lookup failed for good, or confident sources disagree).',
    registers: [registry],
    async collect() {
      this.set((await counts()).get('flagged') ?? 0);
    },
  });

  app.get('/metrics', async (req, reply) => {
    const token = config.metrics.token;
    if (token) {
      const given = bearerToken(req.headers.authorization);
      if (!given || !secretsEqual(given, token)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or invalid metrics token' });
      }
    }
    return reply.type(METRICS_CONTENT_TYPE).send(await renderMetrics([registry]));
  });
}
