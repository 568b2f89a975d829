import { afterEach } from 'vitest';

/**
 * A list of closers that runs, all at once, after each test of the file that calls this at its top level: a test
 * pushes a `close` for each server and provider it starts.
 */
export function closeAfterEach(): Array<() => Promise<void>> {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return closers;
}
