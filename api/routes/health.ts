import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { ApiDeps } from '../api-deps.js';

/** A health check must answer quickly even when a dependency hangs. */
const HEALTH_TIMEOUT_MS = 2000;

/** `GET /healthz`: 200 when Temporal and Postgres answer, else 503 naming which did not. */
export function healthRoutes(app: FastifyInstance, { temporal, db }: ApiDeps): void {
  app.get('/healthz', async (_req, reply) => {
    const checks = await Promise.allSettled([
      temporal.connection.withDeadline(Date.now() + HEALTH_TIMEOUT_MS, () =>
        temporal.workflowService.getSystemInfo({}),
      ),
      sql`select 1`.execute(db),
    ]);
    const failed = (['temporal', 'postgres'] as const).filter((_, i) => checks[i]?.status === 'rejected');
    return reply.code(failed.length ? 503 : 200).send({ ok: failed.length === 0, failed });
  });
}
