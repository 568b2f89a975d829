import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../worker/start-workers.js';

const REPLAY_DIR = fileURLToPath(new URL('../replay/', import.meta.url));

/**
 * Deploy safety: histories recorded from representative runs (happy, flagged, retried by an operator, reset, voter file, a quota wait) must
 * replay on today's workflow code. A change that would break running workflows fails here; guard it with
 * `patched()` and record new histories with `npx tsx scripts/export-replay-histories.ts`, keeping the old ones.
 */
describe('enrichContact replay', () => {
  const files = readdirSync(REPLAY_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has the representative histories', () => {
    expect(files).toEqual(
      expect.arrayContaining(['flagged.json', 'happy.json', 'quota.json', 'reset.json', 'retried.json', 'voter.json']),
    );
  });

  it('covers the quota-wait path: a RateLimited failure, the quota-wait patch marker, then a timer', () => {
    const history = JSON.parse(readFileSync(`${REPLAY_DIR}quota.json`, 'utf8')) as {
      events: Array<{ eventType: string; markerRecordedEventAttributes?: { details?: unknown } }>;
    };
    const types = history.events.map((e) => e.eventType);
    const marker = history.events.findIndex((e) =>
      JSON.stringify(e.markerRecordedEventAttributes?.details ?? '').includes(
        Buffer.from(JSON.stringify({ id: 'quota-wait', deprecated: false })).toString('base64'),
      ),
    );
    expect(marker).toBeGreaterThan(types.indexOf('EVENT_TYPE_ACTIVITY_TASK_FAILED'));
    expect(types.indexOf('EVENT_TYPE_ACTIVITY_TASK_FAILED')).toBeGreaterThan(-1);
    expect(types.indexOf('EVENT_TYPE_TIMER_STARTED', marker)).toBeGreaterThan(marker);
  });

  it('replays every recorded history without a nondeterminism error', async () => {
    const histories = files.map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(`${REPLAY_DIR}${file}`, 'utf8')) as unknown,
    }));
    const results: Array<{ workflowId: string; error: unknown }> = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      results.push({ workflowId: result.workflowId, error: result.error });
    }
    expect(results.map((r) => r.workflowId).sort()).toEqual(files.map((f) => f.replace(/\.json$/, '')));
    expect(results.filter((r) => r.error !== undefined)).toEqual([]);
  });
});
