import { existsSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the application's code lives; tests, benches, scripts and the demo may import anything. */
const SOURCE =
  /^(schemas|domain|store|activities|workflows|client|worker|api|dev|cli)\/.*\.(ts|mjs)$|^(config|logger)\.ts$/;

/** The relative imports of every source file, resolved to repository paths (`x.js` → `x.ts`). */
function importGraph(): Map<string, string[]> {
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((file) => SOURCE.test(file) && existsSync(join(ROOT, file)));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => normalize(join(dirname(file), name)))
      .map((target) => (existsSync(join(ROOT, target)) ? target : target.replace(/\.js$/, '.ts')));
    graph.set(file, targets);
  }
  return graph;
}

/** The strongly connected components of more than one file (Tarjan): each is an import circle. */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('the layers of the code base', () => {
  it('has no import circle among the application sources', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(circles(graph)).toEqual([]);
  });

  it('finds a circle when there is one (the check can fail)', () => {
    const planted = new Map([
      ['store/a.ts', ['store/b.ts']],
      ['store/b.ts', ['store/a.ts', 'schemas/c.ts']],
      ['schemas/c.ts', []],
    ]);
    expect(circles(planted)).toEqual([['store/a.ts', 'store/b.ts']]);
  });

  it('lint refuses an upward import (domain importing the store) and accepts a downward one', async () => {
    const upward = join(ROOT, 'domain', `planted-upward-${process.pid}.ts`);
    const downward = join(ROOT, 'store', `planted-downward-${process.pid}.ts`);
    await writeFile(
      upward,
      "import { upsertContact } from '../store/contacts.js';\n\nexport const planted = upsertContact;\n",
    );
    await writeFile(
      downward,
      "import { normalizeEmail } from '../schemas/email.js';\n\nexport const planted = normalizeEmail;\n",
    );
    try {
      const results = await new ESLint({ cwd: ROOT }).lintFiles([upward, downward]);
      const rulesOf = (file: string) => results.find((r) => r.filePath === file)!.messages.map((m) => m.ruleId);
      expect(rulesOf(upward), relative(ROOT, upward)).toContain('import-x/no-restricted-paths');
      expect(rulesOf(downward), relative(ROOT, downward)).toEqual([]);
    } finally {
      await Promise.all([rm(upward, { force: true }), rm(downward, { force: true })]);
    }
  });
});
