/**
 * Throughput: contacts per second through the whole pipeline with providers answering at once, next to a bare
 * Temporal workflow of the same shape — the same activities on the same task queues in the same batches, with
 * no-op bodies and no payload codec — run on the same dev server by workers in the same process, in alternating
 * rounds. Their ratio says
 * whether our code (providers' HTTP clients, Postgres writes, the merge, encryption) or Temporal sets the pace.
 * Target: at least 0.8 of the bare figure. Writes bench/results/throughput.json.
 *
 *   npm run bench:throughput [-- --contacts 300 --in-flight 50]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import pLimit from 'p-limit';
import { startEnrichment } from '../client/start-enrichment.js';
import type { BareActivities } from './support/bare-workflow.js';
import { benchSignups } from './support/bench-providers.js';
import { reportBench } from './support/bench-results.js';
import {
  benchProviderEnv,
  positiveInt,
  round,
  startBenchStack,
  startProviderHost,
  type BenchStack,
} from './support/bench-stack.js';

const USAGE = 'npm run bench:throughput -- [--contacts N] [--in-flight N] [--warmup N]';
const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '300' },
    'in-flight': { type: 'string', default: '50' },
    warmup: { type: 'string', default: '10' },
  },
});
const CONTACTS = positiveInt(values.contacts, USAGE);
const IN_FLIGHT = positiveInt(values['in-flight'], USAGE);
const WARMUP = positiveInt(values.warmup, USAGE);
const TASK_QUEUE = 'bench-throughput';
const BARE_QUEUE = 'bench-bare';
/** Rounds the measured contacts are split into, alternating bare and ours. */
const ROUNDS = 4;
const BARE_WORKFLOWS = fileURLToPath(new URL('./support/bare-workflow.ts', import.meta.url));

/** Runs `count` jobs with at most IN_FLIGHT at a time; returns the seconds from the first start to the last end. */
async function timed(count: number, job: (i: number) => Promise<unknown>): Promise<number> {
  const limit = pLimit(IN_FLIGHT);
  const began = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => limit(() => job(i))));
  return (performance.now() - began) / 1000;
}

/**
 * The batches of activities a finished workflow scheduled, as task queues: activities scheduled by the same
 * workflow task form one batch.
 */
async function activityBatches(client: Client, workflowId: string): Promise<string[][]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const batches = new Map<string, string[]>();
  for (const event of history.events ?? []) {
    if (event.eventType !== proto.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) continue;
    const attributes = event.activityTaskScheduledEventAttributes!;
    const key = String(attributes.workflowTaskCompletedEventId);
    batches.set(key, [...(batches.get(key) ?? []), attributes.taskQueue!.name!]);
  }
  return [...batches.values()];
}

const t0 = performance.now();
const progress = (step: string) =>
  process.stderr.write(`throughput: ${step} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
const signups = benchSignups(2 * WARMUP + CONTACTS);
const host = await startProviderHost({ contacts: signups.length, latencyMs: 0 });
let bench: BenchStack | undefined;
let bareConnection: NativeConnection | undefined;
const bareWorkers: Worker[] = [];
let bareRunning: Promise<unknown> | undefined;
try {
  bench = await startBenchStack({ taskQueue: TASK_QUEUE, providerEnv: benchProviderEnv(host.urls, 1000) });
  const { client, config } = bench;
  const enrich = async (i: number) => {
    const { workflowId } = await startEnrichment(client, config, signups[i]!);
    const result = (await client.workflow.getHandle(workflowId).result()) as { status: string };
    if (result.status !== 'enriched') throw new Error(`enrichment ended ${result.status}, not enriched`);
    return workflowId;
  };

  // Warm-up (not measured), and the shapes to copy: a US supporter (Census, FEC) and a French one (BAN).
  progress('stack up');
  const warm = await Promise.all(Array.from({ length: WARMUP }, (_, i) => enrich(i)));
  const shapes = await Promise.all([activityBatches(client, warm[0]!), activityBatches(client, warm[1]!)]);
  const bareShapes = shapes.map((batches) =>
    batches.map((batch) => batch.map((queue) => queue.replace(TASK_QUEUE, BARE_QUEUE))),
  );
  const activitiesPerContact = (shapes[0].flat().length + shapes[1].flat().length) / 2;

  // The bare workers: the same queues, the same per-queue options as ours (startWorkers), no-op activities.
  bareConnection = await NativeConnection.connect({ address: bench.stack.temporalAddress });
  const noop: BareActivities = { noop: () => Promise.resolve() };
  const queues = [...new Set(bareShapes.flat(2))];
  for (const queue of queues) {
    const provider = queue !== BARE_QUEUE;
    bareWorkers.push(
      await Worker.create({
        connection: bareConnection,
        taskQueue: queue,
        activities: noop,
        ...(provider
          ? { maxTaskQueueActivitiesPerSecond: 1000, maxConcurrentActivityTaskExecutions: 20 }
          : { workflowsPath: BARE_WORKFLOWS }),
      }),
    );
  }
  bareRunning = Promise.all(bareWorkers.map((w) => w.run()));
  progress(`warmed up; bare workers on ${queues.join(', ')}`);
  // Its own client: no payload codec, as the bare workers have none.
  const bareClient = new Client({ connection: client.connection, namespace: config.temporal.namespace });
  const bare = (i: number) =>
    bareClient.workflow.execute('bareEnrichment', {
      workflowId: `bench-bare-${i}`,
      taskQueue: BARE_QUEUE,
      args: [bareShapes[i % 2]],
    });
  await Promise.all(Array.from({ length: WARMUP }, (_, i) => bare(i)));

  // Measured in alternating rounds (bare first in each), so a change in the machine's load hits both alike.
  let bareSeconds = 0;
  let ourSeconds = 0;
  const perRound = Math.ceil(CONTACTS / ROUNDS);
  for (let done = 0; done < CONTACTS; done += perRound) {
    const count = Math.min(perRound, CONTACTS - done);
    bareSeconds += await timed(count, (i) => bare(WARMUP + done + i));
    ourSeconds += await timed(count, (i) => enrich(2 * WARMUP + done + i));
    progress(`${done + count} of each: bare ${bareSeconds.toFixed(1)} s, ours ${ourSeconds.toFixed(1)} s`);
  }

  const ours = CONTACTS / ourSeconds;
  const bareRate = CONTACTS / bareSeconds;
  const figures = {
    contacts: CONTACTS,
    in_flight: IN_FLIGHT,
    activities_per_contact: activitiesPerContact,
    contacts_per_second: round(ours, 2),
    bare_workflows_per_second: round(bareRate, 2),
    ratio_to_bare: round(ours / bareRate),
  };
  process.stdout.write(
    `throughput bench: ${CONTACTS} contacts (${activitiesPerContact} activities each), ${IN_FLIGHT} in flight, providers answering at once, ` +
      `alternating in ${ROUNDS} rounds with as many bare workflows of the same shape\n`,
  );
  const met = await reportBench('throughput', figures, { ratio_to_bare: { min: 0.8 } });
  if (!met) process.stderr.write('bench:throughput: the target was missed (see the table)\n');
} finally {
  for (const worker of bareWorkers) if (worker.getState() === 'RUNNING') worker.shutdown();
  await bareRunning?.catch(() => undefined);
  await bareConnection?.close();
  await bench?.cleanups.run();
  await host.close();
}
