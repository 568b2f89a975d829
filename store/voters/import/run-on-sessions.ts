import type { SqlSession } from '../sql-session.js';

/** One step of the index phase: a name for the timings, the work, and the steps that must be done before it. */
export interface IndexStep {
  name: string;
  run: (session: SqlSession) => Promise<unknown>;
  after?: string[];
}

/** A step that is one statement. */
export const statement = (name: string, sql: string, after?: string[]): IndexStep => ({
  name,
  run: (session) => session.query(sql),
  after,
});

/**
 * Runs the steps on the sessions, each session taking the next step whose prerequisites are done; returns each
 * step's time. A failed step stops the others from starting more, and fails the whole once they have stopped.
 */
export async function runOnSessions(sessions: SqlSession[], steps: IndexStep[]): Promise<Record<string, number>> {
  const pending = [...steps];
  const done = new Set<string>();
  const timings: Record<string, number> = {};
  let failed = false;
  let wake: () => void = () => undefined;
  let changed = new Promise<void>((resolve) => (wake = resolve));
  const signal = () => {
    wake();
    changed = new Promise<void>((resolve) => (wake = resolve));
  };
  const outcomes = await Promise.allSettled(
    sessions.map(async (session) => {
      while (pending.length && !failed) {
        const index = pending.findIndex((step) => (step.after ?? []).every((name) => done.has(name)));
        if (index === -1) {
          await changed;
          continue;
        }
        const [step] = pending.splice(index, 1);
        const started = Date.now();
        try {
          await step!.run(session);
        } catch (err) {
          failed = true;
          signal();
          throw err;
        }
        timings[step!.name] = Date.now() - started;
        done.add(step!.name);
        signal();
      }
    }),
  );
  const failure = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failure) throw failure.reason;
  return timings;
}
