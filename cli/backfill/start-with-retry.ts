import { setTimeout as sleep } from 'node:timers/promises';

/** How a backfill retries a start that Temporal did not acknowledge. */
export interface StartRetryOptions {
  /** Attempts per row, the first included. */
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** About 15 s of trying per row (0.5 + 1 + 2 + 4 + 8 s), enough to ride out a server restart, not to hide an outage. */
export const DEFAULT_START_RETRY: StartRetryOptions = { attempts: 6, initialDelayMs: 500, maxDelayMs: 8000 };

/** An error's message with its causes' (`Failed to start Workflow: 14 UNAVAILABLE: No connection established`). */
function describe(err: unknown): string {
  const messages: string[] = [];
  for (let e: unknown = err; e !== undefined && messages.length < 4; e = e instanceof Error ? e.cause : undefined) {
    messages.push(e instanceof Error ? e.message : JSON.stringify(e));
  }
  return messages.join(': ');
}

/** Raised when a row's start was not acknowledged after every attempt; the row was not started. */
export class StartNotAcknowledgedError extends Error {
  override readonly name = 'StartNotAcknowledgedError';
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`not acknowledged after ${attempts} attempt(s): ${describe(cause)}`);
  }
}

/**
 * Runs `start` until it resolves, waiting with exponential backoff and jitter between attempts. An abort (Ctrl-C)
 * ends the wait at once and gives up the row: it is reported as not started, and a re-run starts it.
 */
export async function startWithRetry<T>(
  start: () => Promise<T>,
  options: StartRetryOptions,
  signal?: AbortSignal,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    try {
      return await start();
    } catch (err) {
      lastError = err;
      if (attempt === options.attempts || signal?.aborted)
        return Promise.reject(new StartNotAcknowledgedError(attempt, err));
      const delay = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (attempt - 1));
      try {
        await sleep(delay * (0.75 + Math.random() * 0.5), undefined, { signal });
      } catch {
        return Promise.reject(new StartNotAcknowledgedError(attempt, err));
      }
    }
  }
  return Promise.reject(new StartNotAcknowledgedError(options.attempts, lastError));
}
