/**
 * Waits for SIGINT or SIGTERM, then calls `stop` once and resolves when it has finished: how the long-running
 * entry points (`enrich worker`, `enrich api`, `enrich dev`) shut down. A second signal during the stop is ignored.
 */
export function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write('\nstopping…\n');
      void stop().finally(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
