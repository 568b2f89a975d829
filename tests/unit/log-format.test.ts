import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Logs one entry carrying personal data from a fresh process whose logger has `format`; its stderr. */
async function stderrOf(format: string): Promise<string> {
  const script = [
    "import('./logger.ts').then(({ createLogger }) => {",
    `const logger = createLogger('info', 'test', '${format}');`,
    "logger.info({ email: 'dana@example.org', signup: { givenName: 'Dana' }, err: new Error('boom'), queue: 'github' }, 'lookup done');",
    '});',
  ].join('\n');
  const { stderr } = await run('node_modules/.bin/tsx', ['--eval', script], { timeout: 30_000 });
  return stderr;
}

describe('log format', () => {
  it('is JSON lines when stderr is not a terminal (auto), as log collectors expect', async () => {
    const entry = JSON.parse(await stderrOf('auto')) as Record<string, unknown>;
    expect(entry).toMatchObject({ msg: 'lookup done', email: '[redacted]', signup: '[redacted]', queue: 'github' });
    expect(entry.err).toMatchObject({ message: 'boom', type: 'Error' });
  });

  it('is one readable line per entry when pretty, with the same redaction', async () => {
    const text = await stderrOf('pretty');
    expect(text.startsWith('{')).toBe(false);
    expect(text).toMatch(/INFO.*\(test\): lookup done/);
    expect(text).toContain('queue: "github"');
    expect(text).toContain('email: "[redacted]"');
    expect(text).toContain('boom');
    expect(text).not.toContain('dana@example.org');
    expect(text).not.toContain('Dana');
  });
});
