import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A Postgres cluster of the test's own, in a temporary folder on a free port, so a test can stop and restart it
 * without disturbing the shared server the other tests use. Built from the machine's PostgreSQL binaries
 * (`pg_config --bindir`, else the newest `/usr/lib/postgresql/<n>/bin`); its contrib extensions (pg_trgm,
 * fuzzystrmatch, unaccent) are the system's. Postgres refuses to run as root, so under root the cluster belongs to
 * the `postgres` OS user and its programs run as that user.
 */
export interface PrivatePostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication). */
  url: string;
  port: number;
  /** Where the data, the socket and the server log live. */
  dir: string;
  /** Starts the server and waits until it accepts connections. */
  start(): Promise<void>;
  /** Stops the server in fast mode: open sessions are cut, as in a restart. */
  stop(): Promise<void>;
  /** The end of the server log, for a failure message. */
  logTail(): string;
  /** Stops the server (if it runs) and deletes the folder. */
  destroy(): Promise<void>;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function binDir(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // pg_config is not installed: look where Debian and Ubuntu put the server.
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(root, v, 'bin')));
  }
  const found = candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')));
  if (!found)
    throw new Error(
      `no PostgreSQL server binaries (initdb, pg_ctl) found; looked in: ${candidates.join(', ') || '(nothing)'}`,
    );
  return found;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(command: string, args: string[], as: RunAs, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...as,
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output.trim()}`));
    });
  });
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  const as = runAs();
  const dir = await mkdtemp(join(tmpdir(), 'enrich-fault-pg-'));
  if (as.uid !== undefined && as.gid !== undefined) await chown(dir, as.uid, as.gid);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  let running = false;

  const readLog = (): string => {
    try {
      return execFileSync('tail', ['-n', '30', log], { encoding: 'utf8' });
    } catch {
      return '';
    }
  };
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // A throwaway cluster: durability is not what these tests measure, speed is.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
  ].join(' ');
  const handle: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    async start() {
      await run(join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', serverOptions, '-w', '-t', '60', 'start'], as, dir);
      running = true;
    },
    async stop() {
      await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '60', 'stop'], as, dir);
      running = false;
    },
    logTail: readLog,
    async destroy() {
      if (running)
        await handle
          .stop()
          .catch(() => run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], as, dir).catch(() => ''));
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync'],
      as,
      dir,
    );
    await handle.start();
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return handle;
}
