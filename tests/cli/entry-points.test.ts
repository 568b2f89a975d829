import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { cliContext } from '../../cli/context.js';

const run = promisify(execFile);

/** Runs the real `enrich` binary with `env` over the test's environment; the exit code and both outputs. */
async function enrich(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['bin/enrich.js', ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; killed?: boolean; stdout?: string; stderr?: string };
    return { code: e.killed ? -1 : (e.code ?? -1), stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('the enrich entry point', () => {
  it('exits 1 at once on an unknown worker queue, before the Temporal runtime is installed to hold the process open', async () => {
    const { code, stdout, stderr } = await enrich(['worker', '--queues', 'workflows,nope']);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      'enrich: worker: unknown queue(s) nope; choose from workflows, gravatar, github, mastodon, bluesky, fec, census, ban, voterfile\n',
    );
  }, 40_000);

  it('reports a bad configuration as one line and exit 1, for a top-level and a nested command alike, and help needs none', async () => {
    const bad = { METRICS_PORT: 'abc' };
    const message = 'enrich: invalid configuration: METRICS_PORT: Invalid input: expected number, received NaN\n';
    for (const args of [
      ['contact', 'dana@example.org'],
      ['voters', 'rematch'],
    ]) {
      expect(await enrich(args, bad)).toEqual({ code: 1, stdout: '', stderr: message });
    }
    const help = await enrich(['voters', '--help'], bad);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: enrich voters \[options\] \[command\]/);
  }, 60_000);
});

describe('cliContext', () => {
  it('loads the configuration in the preAction hook, which runs for nested commands too, and hands the action the frozen object', async () => {
    const program = new Command('enrich').exitOverride();
    const context = cliContext(program, { LOG_LEVEL: 'warn' });
    expect(() => context.config).toThrow(/before any action/);
    const seen: unknown[] = [];
    const group = program.command('group');
    group.command('inner').action(() => void seen.push(context.config));
    await program.parseAsync(['group', 'inner'], { from: 'user' });
    expect(seen).toHaveLength(1);
    expect(Object.isFrozen(seen[0])).toBe(true);
    expect(context.logger.level).toBe('warn');
    expect(context.logger).toBe(context.logger);
  });

  it('fails the action with the configuration error, without running it', async () => {
    const program = new Command('enrich').exitOverride();
    cliContext(program, { VOTERFILE_LOW_THRESHOLD: '0.9', VOTERFILE_HIGH_THRESHOLD: '0.5' });
    let ran = false;
    program.command('x').action(() => {
      ran = true;
    });
    await expect(program.parseAsync(['x'], { from: 'user' })).rejects.toThrow(
      /^invalid configuration: VOTERFILE_LOW_THRESHOLD/,
    );
    expect(ran).toBe(false);
  });
});
