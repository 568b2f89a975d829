// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/**
 * The layers, lowest first: each may import the ones before it, never one after (checked by import-x's
 * no-restricted-paths; tests/unit/layers.test.ts plants an upward import and checks that this refuses it).
 * schemas: types and zod schemas · domain: pure functions (merge, matching, OSDI, rate budget) · config.ts and
 * logger.ts · store: Postgres · activities · workflows (activities and store as types only, see below) · client:
 * Temporal client operations · worker · api · dev: the local stack · cli: the `enrich` command.
 */
export const LAYERS = [
  ['schemas'],
  ['domain'],
  ['config.ts', 'logger.ts'],
  ['store'],
  ['activities'],
  ['workflows'],
  ['client'],
  ['worker'],
  ['api'],
  ['dev'],
  ['cli'],
];

const layerZones = LAYERS.slice(0, -1).flatMap((targets, level) =>
  targets.map((target) => ({
    target: `./${target}`,
    from: LAYERS.slice(level + 1)
      .flat()
      .map((upper) => `./${upper}`),
    message: `${target} is below these layers (schemas ← domain ← config ← store ← activities ← workflows ← client ← worker ← api ← dev ← cli): import downward only.`,
  })),
);

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', '.venv/', 'dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Forgetting to await a Workflow or Activity API is a silent bug; make it loud.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: { 'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }] },
  },
  {
    // Files and functions a reader can hold: application code only (migrations are one long list by nature).
    files: ['{schemas,domain,store,activities,workflows,client,worker,api,dev,cli}/**/*.ts', 'config.ts', 'logger.ts'],
    ignores: ['store/migrations/**'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Vitest's asymmetric matchers (expect.objectContaining, …) are typed `any` by design.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['eslint.config.js', 'bin/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no activity implementations.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((name) => [name, `node:${name}`]),
            'kysely',
            'pg',
            'undici',
            'pino',
            'fastify',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ].map((name) => ({ name, message: 'Workflow code must stay deterministic: do I/O in activities.' })),
          patterns: [
            {
              group: [
                '../activities/*',
                '../activities/**',
                '../store/*',
                '../store/**',
                '../domain/*',
                '../domain/**',
              ],
              allowTypeImports: true,
              message: 'Import activities and store code into workflows as types only.',
            },
          ],
        },
      ],
    },
  },
  {
    // The store knows nothing of Temporal, so it can be reused by scripts and the API.
    files: ['store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/*'], message: 'store/ must not depend on Temporal.' }] },
      ],
    },
  },
);
