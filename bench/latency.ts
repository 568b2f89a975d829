/**
 * Signup-to-record latency: one supporter at a time is posted to the API (`POST /v1/signups`), and the clock stops
 * when their enrichment has merged the record (the workflow's result). The demo providers answer every request
 * after `--latency-ms` (default 150 ms), so the two lookup stages alone take twice that: the target p50 of 0.6 s
 * leaves as much again for Temporal, Postgres and our code. Prints p50/p95 and writes bench/results/latency.json.
 *
 *   npm run bench:latency [-- --samples 40 --latency-ms 150 --timeline]
 */
import { parseArgs } from 'node:util';
import { benchSignups } from './support/bench-providers.js';
import { reportBench } from './support/bench-results.js';
import { historyTimeline } from './support/history-timeline.js';
import {
  benchProviderEnv,
  percentile,
  positiveInt,
  round,
  startBenchStack,
  startProviderHost,
  type BenchStack,
} from './support/bench-stack.js';

const USAGE = 'npm run bench:latency -- [--samples N] [--latency-ms MS] [--warmup N]';
const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '40' },
    'latency-ms': { type: 'string', default: '150' },
    warmup: { type: 'string', default: '5' },
    timeline: { type: 'boolean', default: false },
  },
});
const SAMPLES = positiveInt(values.samples, USAGE);
const WARMUP = positiveInt(values.warmup, USAGE);
const LATENCY_MS = Number(values['latency-ms']);

/** Posts one signup to the API and waits for the record; returns the seconds it took. */
async function signupToRecord(bench: BenchStack, signup: object): Promise<{ seconds: number; workflowId: string }> {
  const began = performance.now();
  const res = await fetch(`${bench.stack.apiUrl}/v1/signups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bench.stack.signupToken}` },
    body: JSON.stringify(signup),
  });
  if (res.status !== 202) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
  const { workflowId } = (await res.json()) as { workflowId: string };
  const result = (await bench.client.workflow.getHandle(workflowId).result()) as { status: string };
  const seconds = (performance.now() - began) / 1000;
  if (result.status !== 'enriched') throw new Error(`enrichment ended ${result.status}, not enriched`);
  return { seconds, workflowId };
}

const signups = benchSignups(WARMUP + SAMPLES);
const host = await startProviderHost({ contacts: signups.length, latencyMs: LATENCY_MS });
let bench: BenchStack | undefined;
try {
  bench = await startBenchStack({ taskQueue: 'bench-latency', providerEnv: benchProviderEnv(host.urls, 1000) });
  // Warm-up (not measured): the first workflow tasks load the bundle, JIT-compile the hot paths, open connections.
  for (const signup of signups.slice(0, WARMUP)) await signupToRecord(bench, signup);
  const runs: Array<{ seconds: number; workflowId: string }> = [];
  for (const signup of signups.slice(WARMUP)) runs.push(await signupToRecord(bench, signup));
  const seconds = runs.map((r) => r.seconds);
  if (values.timeline) {
    // Where the median run's time went, event by event (`--timeline`).
    const median = [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
    process.stdout.write(
      `median run (${median.seconds.toFixed(3)} s):\n${(await historyTimeline(bench.client, median.workflowId)).join('\n')}\n`,
    );
  }

  const figures = {
    samples: SAMPLES,
    provider_latency_ms: LATENCY_MS,
    p50_seconds: round(percentile(seconds, 50)),
    p95_seconds: round(percentile(seconds, 95)),
    max_seconds: round(Math.max(...seconds)),
    min_seconds: round(Math.min(...seconds)),
  };
  process.stdout.write(
    `latency bench: ${SAMPLES} signups one at a time through the API, providers answering in ${LATENCY_MS} ms\n`,
  );
  const met = await reportBench('latency', figures, { p50_seconds: { max: 0.6 } });
  if (!met) process.stderr.write('bench:latency: the target was missed (see the table)\n');
} finally {
  await bench?.cleanups.run();
  await host.close();
}
