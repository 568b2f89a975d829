import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';

const run = promisify(execFile);

describe('enrich voters (the commands)', () => {
  let dir: string;
  let testDb: TestDatabase;
  let env: NodeJS.ProcessEnv;

  /** Runs the real `enrich` binary against the test database; resolves with its exit code and both outputs. */
  async function enrich(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run('node', ['bin/enrich.js', ...args], { env, timeout: 60_000 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-voters-cli-'));
    testDb = await createTestDatabase();
    env = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: testDb.url };
    expect((await enrich(['migrate'])).code).toBe(0);
  });
  afterAll(async () => {
    await testDb.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports the demo file with its history, writes the rejects, and rematches', async () => {
    const rejects = join(dir, 'rejects.csv');
    const imported = await enrich([
      'voters',
      'import',
      'demo/data/ncvoter-demo.txt',
      '--format',
      'ncvoter',
      '--history',
      'demo/data/ncvhis-demo.txt',
      '--rejects',
      rejects,
      '--json',
    ]);
    expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(imported.stdout)).toMatchObject({
      rows: 2809,
      voters: 2806,
      rejected: 3,
      historyRows: 5584,
      encoding: 'latin-1',
    });
    expect((await readFile(rejects, 'utf8')).split('\n')[0]).toBe('line,reason');
    const rematched = await enrich(['voters', 'rematch', '--json']);
    expect(rematched.code).toBe(0);
    expect(JSON.parse(rematched.stdout)).toMatchObject({ importId: '1', contacts: 0, changes: { new_match: 0 } });
  });

  it('exits 1 with a one-line reason for a csv without a mapping, a missing file and a bad mapping', async () => {
    const noMapping = await enrich(['voters', 'import', 'demo/data/ncvoter-demo.txt', '--format', 'csv']);
    expect(noMapping.code).toBe(1);
    expect(noMapping.stderr).toMatch(/^enrich: voters import: --format csv needs --mapping FILE/);
    const missing = await enrich(['voters', 'import', join(dir, 'nope.txt'), '--format', 'ncvoter']);
    expect(missing.stderr).toMatch(/^enrich: voters import: cannot read .*nope\.txt \(ENOENT\)\n$/);
    const badMapping = await enrich([
      'voters',
      'import',
      'demo/data/ncvoter-demo.txt',
      '--format',
      'csv',
      '--mapping',
      'demo/supporters.csv',
    ]);
    expect(badMapping.code).toBe(1);
    expect(badMapping.stderr).toMatch(/the mapping is not JSON/);
  });
});
