import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` writes: the CLI, the workflow bundles and their manifest. */
export const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const WORKFLOW_BUNDLE_MANIFEST = join(DIST_DIR, 'workflow-bundle.json');

/**
 * What the build records beside the workflow bundles: each source file that went into them (relative to the
 * project root) with its SHA-256, so a worker can tell a bundle built from other sources.
 */
export interface WorkflowBundleManifest {
  /** One bundle without a custom failure converter, one with the converter that encrypted payloads need. */
  bundles: { plain: string; encryptedFailures: string };
  sources: Record<string, string>;
}

export function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The source files whose content differs from the manifest's, or that are gone (relative paths). */
export function staleSources(manifest: WorkflowBundleManifest, root = PROJECT_ROOT): string[] {
  return Object.entries(manifest.sources)
    .filter(([file, digest]) => {
      const path = join(root, file);
      return !existsSync(path) || sha256(path) !== digest;
    })
    .map(([file]) => file);
}

/**
 * The workflow bundle built ahead of time (`npm run build`), so a worker starts without running webpack over
 * the sources. Refused, in one line that says what to do, when it is missing or when a source it was built from
 * has changed since: a worker running old workflow code beside new activities would be a quiet, confusing bug.
 * Where the sources are not shipped (an image holding only dist/), there is nothing to compare and the bundle
 * is taken as built.
 */
export function prebuiltWorkflowBundle(encryptedFailures: boolean): { codePath: string } {
  if (!existsSync(WORKFLOW_BUNDLE_MANIFEST))
    throw new Error('no prebuilt workflow bundle in dist/: run `npm run build`');
  const manifest = JSON.parse(readFileSync(WORKFLOW_BUNDLE_MANIFEST, 'utf8')) as WorkflowBundleManifest;
  const shipped = Object.keys(manifest.sources).some((file) => existsSync(join(PROJECT_ROOT, file)));
  const stale = shipped ? staleSources(manifest) : [];
  if (stale.length > 0)
    throw new Error(
      `the workflow bundle in dist/ is stale (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''} changed since it was built): run \`npm run build\``,
    );
  const file = encryptedFailures ? manifest.bundles.encryptedFailures : manifest.bundles.plain;
  return { codePath: join(DIST_DIR, file) };
}
