import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config.js';
import { dataConverterFor } from './codec/data-converter.js';

/** The Temporal address to use: the configured one, else the local dev server's port. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}

export async function createTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress(config) });
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config) });
}
