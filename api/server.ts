import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openStore } from '../store/open-store.js';
import { createTemporalClient } from '../client/temporal-client.js';
import { untilSignal } from '../worker/until-signal.js';
import { buildApi } from './build-api.js';

/**
 * `enrich api`: serves the HTTP API on API_HOST:API_PORT until SIGINT or SIGTERM, then closes it, the Temporal
 * connection and the store. Refuses to start without API_TOKEN (records out), or without SIGNUP_TOKEN or
 * WEBHOOK_SECRET (signups in): an API nobody can authenticate to is a misconfiguration, not a service.
 */
export async function runApi(config: Config, logger: Logger): Promise<void> {
  if (!config.api.apiToken) throw new Error('api: API_TOKEN must be set');
  if (!config.api.signupToken && !config.api.webhookSecret)
    throw new Error('api: set SIGNUP_TOKEN or WEBHOOK_SECRET so signups can be authenticated');
  const database = await openStore(config, logger);
  const temporal = await createTemporalClient(config);
  const api = buildApi({ config, temporal, db: database.db, logger });
  await api.listen({ host: config.api.host, port: config.api.port });
  await untilSignal(async () => {
    await api.close();
    await temporal.connection.close();
    await database.close();
  });
}
