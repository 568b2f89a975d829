import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Runs the real `enrich` binary, as a user would; resolves with its exit code and both outputs. */
async function enrich(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['bin/enrich.js', ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs `enrich` with `input` on its stdin. */
function enrichWithStdin(
  args: string[],
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/enrich.js', ...args], { env: { ...process.env, LOG_LEVEL: 'silent' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('enrich backfill (the command)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-backfill-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validates demo/supporters.csv in a dry run and prints the summary as one JSON object, with no progress bar off a terminal', async () => {
    const { code, stdout, stderr } = await enrich(['backfill', 'demo/supporters.csv', '--json', '--dry-run']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ rows: 50, started: 0, existing: 0, rejected: 0, suppressed: 0 });
  });

  it('exits 1 with a one-line reason for a header without an email column', async () => {
    const path = join(dir, 'no-email.csv');
    await writeFile(path, 'name,city\nDana,Columbus\n');
    const noEmail = await enrich(['backfill', path, '--dry-run', '--rejects', join(dir, 'rejects.csv')]);
    expect(noEmail.code).toBe(1);
    expect(noEmail.stderr).toMatch(/^enrich: backfill: the header has no email column .*\n$/);
    expect(await readFile(join(dir, 'rejects.csv'), 'utf8').catch(() => 'none')).toBe('line,reason\n');
  });

  it('reads JSONL from stdin (-) and writes the rejects file', async () => {
    const rejects = join(dir, 'stdin-rejects.csv');
    const input = [
      '{"email": "stdin.one@example.org"}',
      '{"email": "broken"}',
      '{"email": "stdin.two@example.org", "birthYear": 1990}',
      '',
    ].join('\n');
    const { code, stdout, stderr } = await enrichWithStdin(
      ['backfill', '-', '--dry-run', '--json', '--rejects', rejects],
      input,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({ rows: 3, started: 0, existing: 0, rejected: 1, suppressed: 0 });
    expect(await readFile(rejects, 'utf8')).toBe('line,reason\n2,email: must be an email address\n');
  });
});
