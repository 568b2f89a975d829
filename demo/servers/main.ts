/**
 * Runs the demo Gravatar and GitHub servers on their own, for poking with curl:
 *
 *   npx tsx demo/servers/main.ts [--host 127.0.0.1] [--gravatar-port 0] [--github-port 0] [--data-dir demo/data]
 */
import { parseArgs } from 'node:util';
import { startDemoProviders } from './start-demo-providers.js';

function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag} must be a port number (0-65535)`);
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string' },
      'gravatar-port': { type: 'string' },
      'github-port': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const providers = await startDemoProviders({
    host: values.host,
    dataDir: values['data-dir'],
    ports: {
      gravatar: parsePort(values['gravatar-port'], '--gravatar-port'),
      github: parsePort(values['github-port'], '--github-port'),
    },
  });
  console.log(`gravatar ${providers.gravatar.url}`);
  console.log(`github   ${providers.github.url}`);
  console.log('Ctrl-C to stop.');

  const stop = (): void => {
    providers.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
