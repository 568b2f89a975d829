import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  prebuiltWorkflowBundle,
  WORKFLOW_BUNDLE_MANIFEST,
  type WorkflowBundleManifest,
} from '../../worker/prebuilt-workflow-bundle.js';

const run = promisify(execFile);
const manifest = JSON.parse(readFileSync(WORKFLOW_BUNDLE_MANIFEST, 'utf8')) as WorkflowBundleManifest;
const copies: string[] = [];

/**
 * A copy of the project as `npm run build` leaves it (bin/, dist/, package.json and the sources the workflow
 * bundle was built from), with node_modules linked: the built CLI finds dist/ and the sources from where it is.
 */
function projectCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'enrich-dist-'));
  copies.push(root);
  for (const path of ['bin', 'dist', 'package.json', ...Object.keys(manifest.sources)]) {
    cpSync(path, join(root, path), { recursive: true });
  }
  symlinkSync(join(process.cwd(), 'node_modules'), join(root, 'node_modules'));
  return root;
}

async function enrichIn(root: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [join(root, 'bin/enrich.js'), ...args], {
      env: { ...process.env, LOG_LEVEL: 'silent', TEMPORAL_ADDRESS: '127.0.0.1:1' },
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

afterAll(() => copies.forEach((root) => rmSync(root, { recursive: true, force: true })));

describe('the prebuilt workflow bundle', () => {
  it('is what workers load when the sources are the ones it was built from', () => {
    expect(Object.keys(manifest.sources)).toContain('workflows/enrich-contact.ts');
    const plain = readFileSync(prebuiltWorkflowBundle(false).codePath, 'utf8');
    const encrypted = readFileSync(prebuiltWorkflowBundle(true).codePath, 'utf8');
    expect(plain).toContain('workflows/enrich-contact.ts');
    // Only the bundle for encrypted payloads carries the failure converter that moves messages into payloads.
    expect(encrypted).toContain('failure-converter.cjs');
    expect(plain).not.toContain('failure-converter.cjs');
  });

  it('is refused by `enrich worker` in one line once a workflow source changed, before anything connects', async () => {
    const root = projectCopy();
    appendFileSync(join(root, 'workflows/enrich-contact.ts'), '\n// edited after the build\n');
    const { code, stdout, stderr } = await enrichIn(root, ['worker', '--queues', 'workflows']);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(
      'enrich: the workflow bundle in dist/ is stale (workflows/enrich-contact.ts changed since it was built): run `npm run build`\n',
    );
  }, 40_000);

  it('is asked for by name when dist/ has none, and the CLI says how to build when dist/ is missing', async () => {
    const root = projectCopy();
    rmSync(join(root, 'dist', 'workflow-bundle.json'));
    const noBundle = await enrichIn(root, ['worker', '--queues', 'workflows']);
    expect(noBundle).toMatchObject({
      code: 1,
      stderr: 'enrich: no prebuilt workflow bundle in dist/: run `npm run build`\n',
    });
    rmSync(join(root, 'dist'), { recursive: true });
    const noDist = await enrichIn(root, ['--help']);
    expect(noDist).toMatchObject({
      code: 1,
      stderr: 'enrich: dist/ is missing: run `npm run build` (or `npm run setup`)\n',
    });
  }, 40_000);
});
