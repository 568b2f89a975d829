/**
 * Runs the demo providers on their own, for poking with curl:
 *
 *   npm run demo:providers -- [--host 127.0.0.1] [--data-dir demo/data]
 */
import { parseArgs } from 'node:util';
import { HTTP_PROVIDER_NAMES } from '../../schemas/providers.js';
import { startDemoProviders } from './start-demo-providers.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { host: { type: 'string' }, 'data-dir': { type: 'string' } } });
  const providers = await startDemoProviders({ host: values.host, dataDir: values['data-dir'] });
  for (const name of HTTP_PROVIDER_NAMES) console.log(`${name.padEnd(9)} ${providers[name].url}`);
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
