import cliProgress from 'cli-progress';
import type { BackfillProgress } from './backfill.js';

/** Draws the backfill's progress; `stop` leaves the last state on screen. */
export interface ProgressBar {
  update(progress: BackfillProgress): void;
  stop(): void;
}

const NO_BAR: ProgressBar = { update: () => undefined, stop: () => undefined };

/**
 * A progress bar on `stream` (stderr), only when it is a terminal: piped or redirected output stays clean for
 * scripts. With a known input size the bar shows the share of bytes read; on stdin it shows counts only. Redrawn
 * at most 5 times a second by cli-progress, so per-row updates cost nothing.
 */
export function createProgressBar(stream: NodeJS.WriteStream, totalBytes: number | undefined): ProgressBar {
  if (!stream.isTTY) return NO_BAR;
  const counts = '{rows} rows | {rate} rows/s | started {started} | existing {existing} | rejected {rejected}';
  const bar = new cliProgress.SingleBar({
    stream,
    fps: 5,
    hideCursor: true,
    clearOnComplete: false,
    format: totalBytes ? `backfill [{bar}] {percentage}% | ${counts}` : `backfill ${counts}`,
    barsize: 24,
  });
  const payload = (p: BackfillProgress) => ({
    rows: p.rows,
    rate: p.elapsedMs > 0 ? Math.round((p.rows * 1000) / p.elapsedMs) : 0,
    started: p.started,
    existing: p.existing,
    rejected: p.rejected,
  });
  bar.start(totalBytes || 1, 0, { rows: 0, rate: 0, started: 0, existing: 0, rejected: 0 });
  return {
    update: (p) => bar.update(totalBytes ? Math.min(p.bytesRead, totalBytes) : 0, payload(p)),
    stop: () => bar.stop(),
  };
}
