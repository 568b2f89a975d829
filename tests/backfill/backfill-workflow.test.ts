import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, cancelSignal, pauseSignal, progressQuery, resumeSignal } from '../../workflows/backfill.js';
import { backfillWorkflowId, type BackfillInput, type BackfillProgress } from '../../schemas/backfill.js';
import { beginStaging, finishStaging, stageBatch } from '../../store/backfills.js';
import { startDemoPipeline, type DemoPipeline } from '../support/enrichment-harness.js';

/** The `backfill` workflow on the real dev server and Postgres, over rows staged as `enrich backfill` stages them. */
describe('the backfill workflow', () => {
  let pipeline: DemoPipeline;
  beforeAll(async () => {
    pipeline = await startDemoPipeline();
  }, 120_000);
  afterAll(async () => pipeline?.close());

  async function stage(id: string, count: number, emailPrefix = id): Promise<string> {
    const workflowId = backfillWorkflowId(id);
    const db = pipeline.harness.database.db;
    await beginStaging(db, { id, workflowId });
    const rows = Array.from({ length: count }, (_, i) => ({
      seq: i + 1,
      line: i + 2,
      signup: { email: `${emailPrefix}.${i}@example.org`, source: 'backfill' },
    }));
    await stageBatch(db, id, rows);
    await finishStaging(db, id, { rows: count, valid: count, rejected: 0 });
    return workflowId;
  }

  const input = (id: string, count: number, continueAsNewPages = 100): BackfillInput => ({
    backfillId: id,
    rows: count,
    rejected: 0,
    // A window of 3: gravatar at 1/s, no lookup to wait more than 3 s.
    pacing: {
      providers: [{ name: 'gravatar', rps: 1, lookupsPerContact: 1 }],
      maxQueueWaitMs: 3000,
      maxWindow: 1000,
      pageSize: 100,
      continueAsNewPages,
    },
  });

  it('admits every row within its window, continues as new, and a second run of the same rows starts nothing', async () => {
    const { env, config } = pipeline;
    const workflowId = await stage('bfwin', 12);
    const handle = await env.client.workflow.start(backfill, {
      workflowId,
      taskQueue: config.temporal.taskQueue,
      args: [input('bfwin', 12, 2)],
    });
    const result = await handle.result();
    expect(result).toMatchObject({ state: 'completed', rows: 12, admitted: 12, started: 12, terminal: 12, open: 0 });
    expect(result.window).toBe(3);
    expect(result.peakOpen).toBeLessThanOrEqual(3);
    expect(result.run).toBeGreaterThan(1);

    // The same supporters in another backfill: every enrichment exists already, none is started twice.
    const again = await env.client.workflow.execute(backfill, {
      workflowId: await stage('bfwin2', 12, 'bfwin'),
      taskQueue: config.temporal.taskQueue,
      args: [input('bfwin2', 12)],
    });
    expect(again).toMatchObject({ state: 'completed', admitted: 12, started: 0, existing: 12, terminal: 12 });
  }, 120_000);

  /** Stages `rows` supporters as backfill `name` and starts its workflow. */
  async function startStaged(name: string, rows: number) {
    const { env, config } = pipeline;
    return env.client.workflow.start(backfill, {
      workflowId: await stage(name, rows),
      taskQueue: config.temporal.taskQueue,
      args: [input(name, rows)],
    });
  }

  it('admits nothing while paused, and finishes once resumed', async () => {
    const handle = await startStaged('bfpause', 15);
    await handle.signal(pauseSignal);
    // Paused: the open enrichments settle, and none is admitted after them.
    let paused: BackfillProgress;
    for (;;) {
      paused = await handle.query(progressQuery);
      if (paused.state === 'paused' && paused.open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(paused.admitted).toBeLessThan(15);
    expect((await handle.query(progressQuery)).admitted).toBe(paused.admitted);
    await handle.signal(resumeSignal);
    expect(await handle.result()).toMatchObject({ state: 'completed', admitted: 15, terminal: 15 });
  }, 120_000);

  it('stops admitting when cancelled, and says so', async () => {
    const handle = await startStaged('bfcancel', 40);
    await handle.signal(cancelSignal);
    const result = await handle.result();
    expect(result.state).toBe('cancelled');
    expect(result.admitted).toBeLessThan(40);
    const progress = await handle.query(progressQuery);
    expect(progress.state).toBe('cancelled');
  }, 120_000);
});
