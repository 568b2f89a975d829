import { bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../worker/start-workers.js';

const noop = () => undefined;
const quiet = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop };

/**
 * Whatever workflow code imports is loaded into every cached workflow's sandbox. Validation libraries belong to
 * activities and clients: zod in the bundle cost about 1 MB per cached workflow (bench/memory.ts).
 */
describe('workflow bundle', () => {
  it('holds no zod, pg, kysely or undici', async () => {
    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
    for (const library of ['node_modules/zod/', 'node_modules/pg/', 'node_modules/kysely/', 'node_modules/undici/']) {
      expect(code.includes(library), library).toBe(false);
    }
    // The bundle's own modules are there, so the check above looks at the right text.
    expect(code).toContain('schemas/lookup-outcomes.ts');
  });
});
