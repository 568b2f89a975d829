import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../config.js';
import type { Signup } from '../../schemas/signup.js';
import {
  startEnrichment,
  type StartEnrichmentOptions,
  type StartEnrichmentResult,
} from '../../client/start-enrichment.js';
import { dataConverterFor } from '../../client/codec/data-converter.js';
import { temporalConnectionOptions } from '../../client/temporal-client.js';

/** How long one start attempt may wait for Temporal before it counts as failed (and is retried). */
export const START_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * The backfill's start function: `startEnrichment` (deterministic workflow ID, `existing` for a known supporter)
 * with a deadline per attempt, so an unreachable server fails the attempt instead of hanging the row. Its
 * enrichments run at the backfill priority (`PRIORITY_BACKFILL`).
 */
export function temporalStarter(
  client: Client,
  config: Config,
  attemptTimeoutMs = START_ATTEMPT_TIMEOUT_MS,
  options: StartEnrichmentOptions = {},
): (signup: Signup) => Promise<StartEnrichmentResult> {
  return (signup) =>
    client.connection.withDeadline(Date.now() + attemptTimeoutMs, () =>
      // Behind live signups and retries on every provider queue, unless the caller says otherwise.
      startEnrichment(client, config, signup, new Date(), { priority: 'backfill', ...options }),
    );
}

/**
 * A connection for a backfill: lazy, so an unreachable server fails the first starts (which are retried) rather than
 * the command, and without the client's own gRPC retries, so a row's attempts and backoff are the backfill's alone
 * (`start-with-retry.ts`) and an outage is reported in seconds, not minutes. TLS and the API key are the
 * configured ones (Temporal Cloud), as for every other client; `address` overrides the configured address.
 */
export function backfillClient(address: string, config: Config): Client {
  const connection = Connection.lazy({ ...temporalConnectionOptions(config), address, interceptors: [] });
  // Encrypted like every client of the project: the signups it starts carry personal data.
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config) });
}
