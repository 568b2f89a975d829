import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { Config } from '../config.js';
import { dataConverterFor } from './codec/data-converter.js';

/** The Temporal address to use: the configured one, else the local dev server's port. */
export function temporalAddress(config: Config): string {
  return config.temporal.address ?? `127.0.0.1:${config.temporal.port}`;
}

/**
 * How to reach Temporal, for client and worker connections alike: the address, and for Temporal Cloud (or any
 * server behind TLS) TLS with an API key or a client certificate (mTLS) read from its PEM files.
 */
export function temporalConnectionOptions(config: Config): {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
} {
  const { apiKey, tls } = config.temporal;
  if (!tls.enabled) return { address: temporalAddress(config) };
  const clientCertPair =
    tls.certPath && tls.keyPath ? { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) } : undefined;
  return {
    address: temporalAddress(config),
    tls: clientCertPair ? { clientCertPair } : true,
    ...(apiKey ? { apiKey } : {}),
  };
}

export async function createTemporalClient(config: Config): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(config));
  return new Client({ connection, namespace: config.temporal.namespace, dataConverter: dataConverterFor(config) });
}
