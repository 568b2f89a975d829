// `npm run build`: the `enrich` CLI as JavaScript in dist/ (bin/enrich.js runs it, so no command compiles
// TypeScript at each call) and the workflow bundles workers load, with a manifest of the sources they came from.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { bundleWorkflowCode } from '@temporalio/worker';
import { FAILURE_CONVERTER_PATH } from '../client/codec/data-converter.js';
import { WORKFLOWS_PATH } from '../worker/start-workers.js';
import {
  DIST_DIR,
  sha256,
  WORKFLOW_BUNDLE_MANIFEST,
  type WorkflowBundleManifest,
} from '../worker/prebuilt-workflow-bundle.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BUNDLES = { plain: 'workflow-bundle.js', encryptedFailures: 'workflow-bundle.encrypted-failures.js' } as const;

/**
 * Sources find their neighbours (the demo's data, the failure converter, the voter parser's thread, the venv)
 * through `import.meta.url`. In a bundle that would be the chunk's URL in dist/, so each source's
 * `import.meta.url` is rewritten to its own file's URL, computed from the chunk's: paths stay relative, and the
 * built CLI works wherever the project is, as long as dist/ stays beside the sources.
 */
const keepSourceUrls: Plugin = {
  name: 'keep-source-urls',
  setup(plugin) {
    plugin.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      const fromDist = relative(DIST_DIR, args.path).split('\\').join('/');
      const url = `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

async function buildCli(): Promise<void> {
  await build({
    entryPoints: { enrich: join(ROOT, 'cli/main.ts') },
    outdir: DIST_DIR,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [keepSourceUrls],
  });
}

/** The project's own files the workflow code imports, as esbuild resolves them (packages left out). */
async function workflowSources(): Promise<string[]> {
  const { metafile } = await build({
    entryPoints: [WORKFLOWS_PATH],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'neutral',
    packages: 'external',
    logLevel: 'silent',
  });
  return Object.keys(metafile.inputs).map((input) => relative(ROOT, join(ROOT, input)));
}

async function buildWorkflowBundles(): Promise<void> {
  const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };
  const [plain, encryptedFailures] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet }),
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath: FAILURE_CONVERTER_PATH, logger: quiet }),
  ]);
  writeFileSync(join(DIST_DIR, BUNDLES.plain), plain.code);
  writeFileSync(join(DIST_DIR, BUNDLES.encryptedFailures), encryptedFailures.code);
  const files = [...(await workflowSources()), relative(ROOT, FAILURE_CONVERTER_PATH)].sort();
  const manifest: WorkflowBundleManifest = {
    bundles: BUNDLES,
    sources: Object.fromEntries(files.map((file) => [file, sha256(join(ROOT, file))])),
  };
  writeFileSync(WORKFLOW_BUNDLE_MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Builds dist/ from scratch: the CLI and the workflow bundles. */
export async function buildDist(): Promise<void> {
  rmSync(DIST_DIR, { recursive: true, force: true });
  mkdirSync(DIST_DIR, { recursive: true });
  await Promise.all([buildCli(), buildWorkflowBundles()]);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  await buildDist();
  process.stdout.write(`built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
