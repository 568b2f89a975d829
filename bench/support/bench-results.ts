import { cpus, totalmem } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** A target a figure must meet: at least `min`, or at most `max`. */
export type Target = { min: number } | { max: number };

export interface BenchResults {
  name: string;
  machine: string;
  at: string;
  figures: Record<string, number>;
  targets: Record<string, Target>;
}

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

export function meets(value: number, target: Target): boolean {
  return 'min' in target ? value >= target.min : value <= target.max;
}

/**
 * Prints the figures as a table (with each target and whether it is met) and writes them to
 * `bench/results/<name>.json` as `{name, machine, at, figures, targets}` (bench/README.md). Returns whether every
 * target was met.
 */
export async function reportBench(
  name: string,
  figures: Record<string, number>,
  targets: Record<string, Target>,
): Promise<boolean> {
  const results: BenchResults = { name, machine: machineDescription(), at: new Date().toISOString(), figures, targets };
  const rows = Object.entries(figures).map(([figure, value]) => {
    const target = targets[figure];
    const goal = target ? ('min' in target ? `>= ${target.min}` : `<= ${target.max}`) : '';
    const verdict = target ? (meets(value, target) ? 'ok' : 'MISSED') : '';
    return [figure, Number.isInteger(value) ? String(value) : value.toFixed(3), goal, verdict];
  });
  const widths = [0, 1, 2, 3].map((i) =>
    Math.max(...[['figure', 'value', 'target', ''], ...rows].map((r) => r[i]!.length)),
  );
  const line = (r: string[]) =>
    r
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `\n${name} — ${results.machine}\n${line(['figure', 'value', 'target', ''])}\n${rows.map(line).join('\n')}\n`,
  );
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(`${RESULTS_DIR}${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
  return Object.entries(targets).every(
    ([figure, target]) => figures[figure] !== undefined && meets(figures[figure], target),
  );
}
