/**
 * `npm run bench`: every benchmark, one after another, each as its own process at a size that lets the whole run
 * finish within 10 minutes on a 2-core machine; then ONE table (bench, figure, value, target, met?) and
 * bench/RESULTS.md with that table and the machine it ran on. Each bench also runs alone (`npm run bench:<name>`,
 * at its full default size) and writes bench/results/<name>.json either way. Their own output goes to
 * <tmp>/enrich-bench-logs/<name>.log.
 *
 *   npm run bench [-- --only latency,throughput]
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { meets, type BenchResults } from './support/bench-results.js';

interface Bench {
  name: string;
  script: string;
  args: string[];
  /** What was measured, for the table: the size this run used. */
  size: (figures: Record<string, number>) => string;
  /** Figures shown besides the targeted ones. */
  context?: string[];
  timeoutSeconds: number;
}

const n = (value: number | undefined) => (value ?? 0).toLocaleString('en-US');

/** The run: sizes chosen so the sum stays under 10 minutes (each bench's timeout is its budget). */
const BENCHES: Bench[] = [
  {
    name: 'latency',
    script: 'latency.ts',
    args: ['--samples', '30'],
    size: (f) => `${n(f.samples)} signups one at a time, providers answering in ${n(f.provider_latency_ms)} ms`,
    context: ['p95_seconds'],
    timeoutSeconds: 120,
  },
  {
    name: 'throughput',
    script: 'throughput.ts',
    args: ['--contacts', '200'],
    size: (f) =>
      `${n(f.contacts)} contacts, ${f.activities_per_contact ?? '?'} activities each, ${n(f.in_flight)} in flight`,
    context: ['contacts_per_second', 'bare_workflows_per_second'],
    timeoutSeconds: 150,
  },
  {
    name: 'rate-limits',
    script: 'rate-limits.ts',
    args: ['--contacts', '100', '--workers', '3'],
    size: (f) => `${n(f.contacts)} contacts, ${n(f.workers)} worker processes, 7 providers`,
    timeoutSeconds: 240, // two phases (default rates, then the largest accepted), each on a fresh stack
  },
  {
    name: 'memory',
    script: 'memory.ts',
    args: ['--workflows', '600'],
    size: (f) =>
      `${n(f.workflows_in_flight)} workflows in flight, more than the cache holds (10,000: --workflows 10000)`,
    context: ['peak_rss_mb', 'heap_used_mb', 'kb_per_workflow', 'sticky_cache_size'],
    timeoutSeconds: 180,
  },
  {
    name: 'backfill',
    script: 'backfill.ts',
    args: ['--rows', '2000'],
    size: (f) => `${n(f.rows)} rows (100,000 alone)`,
    timeoutSeconds: 90,
  },
  {
    name: 'segment',
    script: 'segment.ts',
    args: ['--contacts', '20000'],
    size: (f) => `${n(f.contacts)} contacts (100,000 alone)`,
    timeoutSeconds: 90,
  },
  {
    name: 'cli',
    script: 'cli.ts',
    args: ['--runs', '10'],
    size: (f) => `fresh \`enrich\` processes against a running stack, median of ${n(f.runs)}`,
    context: ['contact_from_source_seconds'],
    timeoutSeconds: 90,
  },
  {
    name: 'voterfile',
    script: 'voterfile.ts',
    args: ['--rows', '100000'],
    size: (f) => `${n(f.rows)} voter rows, ${n(f.supporters)} supporters (1,000,000 alone)`,
    timeoutSeconds: 150,
  },
  {
    name: 'zones',
    script: 'zones.ts',
    args: ['--voters', '200000', '--supporters', '20000', '--precincts', '2700'],
    size: (f) =>
      `${n(f.voters)} voters, ${n(f.votes)} votes, ${n(f.supporters)} supporters, ${n(f.precincts)} precincts (1,000,000 voters, 100,000 supporters alone)`,
    context: ['summary_build_seconds'],
    timeoutSeconds: 90,
  },
];

const { values } = parseArgs({ options: { only: { type: 'string' } } });
const only = values.only?.split(',').map((s) => s.trim());
const chosen = BENCHES.filter((b) => !only || only.includes(b.name));
const HERE = fileURLToPath(new URL('./', import.meta.url));
const RESULTS = `${HERE}results/`;
const LOGS = join(tmpdir(), 'enrich-bench-logs');

interface Outcome {
  bench: Bench;
  seconds: number;
  error?: string;
  results?: BenchResults;
}

/** Runs one bench as `node --import tsx bench/<script> <args>`, its output to LOGS/<name>.log. */
async function runBench(bench: Bench): Promise<Outcome> {
  const began = performance.now();
  const logPath = join(LOGS, `${bench.name}.log`);
  const log = createWriteStream(logPath);
  const child = spawn(process.execPath, ['--import', 'tsx', `${HERE}${bench.script}`, ...bench.args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  const timer = setTimeout(() => child.kill('SIGTERM'), bench.timeoutSeconds * 1000 * 1.5);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  log.end();
  const seconds = (performance.now() - began) / 1000;
  const results = await readFile(`${RESULTS}${bench.name}.json`, 'utf8')
    .then((text) => JSON.parse(text) as BenchResults)
    .catch(() => undefined);
  const fresh = results && Date.parse(results.at) >= Date.now() - seconds * 1000 - 1000 ? results : undefined;
  // A bench that missed a target may exit 1 (voterfile does): its figures still count. Without fresh figures it failed.
  if (!fresh) return { bench, seconds, error: `exit ${code ?? 'killed'}, no results; see ${logPath}` };
  return { bench, seconds, results: fresh };
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(Number(value.toFixed(3)));
}

function table(outcomes: Outcome[]): string[][] {
  const rows: string[][] = [];
  for (const { bench, seconds, error, results } of outcomes) {
    if (!results) {
      rows.push([bench.name, 'FAILED', error ?? '', '', 'no', `${seconds.toFixed(0)} s`]);
      continue;
    }
    const shown = [...Object.keys(results.targets), ...(bench.context ?? []).filter((k) => !(k in results.targets))];
    shown.forEach((figure, i) => {
      const value = results.figures[figure];
      const target = results.targets[figure];
      rows.push([
        i === 0 ? bench.name : '',
        figure,
        value === undefined ? '—' : formatValue(value),
        target ? ('min' in target ? `≥ ${target.min}` : `≤ ${target.max}`) : '',
        target ? (value !== undefined && meets(value, target) ? 'yes' : 'NO') : '',
        i === 0 ? `${seconds.toFixed(0)} s; ${bench.size(results.figures)}` : '',
      ]);
    });
  }
  return rows;
}

const HEADER = ['bench', 'figure', 'value', 'target', 'met?', 'run'];

function plain(rows: string[][]): string {
  const widths = HEADER.map((_, i) => Math.max(...[HEADER, ...rows].map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function markdown(rows: string[][]): string {
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map(line)].join('\n');
}

function machineFacts(): string[] {
  const cpu = cpus();
  return [
    `- CPU: ${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} cores`,
    `- RAM: ${Math.round(totalmem() / 2 ** 30)} GiB`,
    `- Node ${process.version} on ${process.platform}/${process.arch}`,
    `- Date: ${new Date().toISOString()}`,
  ];
}

await mkdir(RESULTS, { recursive: true });
await mkdir(LOGS, { recursive: true });
const began = performance.now();
const outcomes: Outcome[] = [];
for (const bench of chosen) {
  process.stderr.write(`bench: ${bench.name} ${bench.args.join(' ')} … `);
  const outcome = await runBench(bench);
  process.stderr.write(outcome.error ? `FAILED (${outcome.error})\n` : `${outcome.seconds.toFixed(0)} s\n`);
  outcomes.push(outcome);
}
const total = (performance.now() - began) / 1000;
const rows = table(outcomes);
process.stdout.write(`\n${plain(rows)}\n\n${chosen.length} benches in ${(total / 60).toFixed(1)} min\n`);

const missed = rows.filter((r) => r[4] === 'NO').length;
await writeFile(
  `${HERE}RESULTS.md`,
  [
    '# Benchmark results',
    '',
    `The latest \`npm run bench\`: ${chosen.length} benches in ${(total / 60).toFixed(1)} minutes, ${missed === 0 ? 'every target met' : `${missed} target(s) missed`}. ` +
      'Each bench also runs alone at its full size (`npm run bench:<name>`); figures are per bench in `bench/results/<name>.json`.',
    '',
    markdown(rows),
    '',
    '## Machine',
    '',
    ...machineFacts(),
    '',
    'The dev server (SQLite), Postgres, the workers and the load all share this one machine.',
    '',
  ].join('\n'),
);
process.exitCode = outcomes.some((o) => o.error) ? 1 : 0;
