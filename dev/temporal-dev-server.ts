import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes.js';
import { resolveTemporalBinary } from './temporal-binary.js';

/**
 * One partition per task queue: the server splits a queue's rate limit across its partitions, each with its own
 * burst, so four partitions (the default) both lose rate and add bursts. A provider queue wants exactly one.
 */
export const ONE_PARTITION_FLAGS = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

export interface TemporalDevServerOptions {
  binary: string;
  /** SQLite file that keeps workflows across restarts; created with its folder. */
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  headless?: boolean;
  /** Where the Web UI decodes payloads (the API's codec endpoints). */
  codecEndpoint?: string;
}

export interface TemporalDevServer {
  address: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

/** A headless dev server on `port` keeping its state in `dir`/temporal.db: what tests, benches and scripts start. */
export function headlessDevServerOptions(dir: string, port: number, namespace = 'default'): TemporalDevServerOptions {
  return {
    binary: resolveTemporalBinary('temporal', process.env.TEMPORAL_CLI),
    dbFile: join(dir, 'temporal.db'),
    port,
    uiPort: 0,
    namespace,
    headless: true,
  };
}

/**
 * Starts `temporal server start-dev` (Server + Web UI, SQLite-backed) with our search attributes registered, and
 * waits until it answers. The child is killed with this process.
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  await mkdir(dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--db-filename',
    options.dbFile,
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTE_FLAGS.flatMap((sa) => ['--search-attribute', sa]),
    ...ONE_PARTITION_FLAGS,
    ...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort)]),
    ...(options.codecEndpoint ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
  ];
  const child = spawn(options.binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const address = `127.0.0.1:${options.port}`;
  await waitUntilServing(address, child, () => stderr);
  return {
    address,
    uiUrl: options.headless ? undefined : `http://localhost:${options.uiPort}`,
    stop: () => stopChild(child),
  };
}

async function waitUntilServing(
  address: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`temporal dev server exited at start-up: ${stderr().trim() || '(no output)'}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`temporal dev server did not answer on ${address} within ${timeoutMs / 1000}s: ${stderr().trim()}`);
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone (and its ports are free). */
export function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
