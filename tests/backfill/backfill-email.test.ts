import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill } from '../../cli/backfill/backfill.js';

/**
 * The backfill validates emails with the same schema as the API: each address the API fuzzer of issue #15 got
 * accepted is a rejects-file line with its line number and the reason, and the good rows around it still count.
 * A dry run reads, validates and writes the rejects exactly as a real run does, without Temporal.
 */
describe('backfill email validation', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enrich-backfill-email-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes each row with a bad email to the rejects file with its line and the reason, and keeps IDN rows', async () => {
    const csv = [
      'Email Address,First Name',
      'good.one@example.org,Good',
      'ada\u0000@example.org,Nul',
      'ada\u202e@example.org,Rtl',
      '<ada@example.org>,Angle',
      'mailto:ada@example.org,Mailto',
      'javascript:alert(1)//@x.org,Script',
      'ada@example..org,Dots',
      'ada@-example.org,Hyphen',
      'ada@.example.org,Leading',
      'ada@😀.example,Emoji',
      'User@Bücher.de,Idn',
      '',
    ].join('\n');
    const rejectsPath = join(dir, 'rejects.csv');

    const result = await backfill({
      input: Readable.from([Buffer.from(csv, 'utf8')]),
      concurrency: 2,
      dryRun: true,
      rejectsPath,
    });

    expect(result).toMatchObject({ rows: 11, valid: 2, rejected: 9, started: 0 });
    expect((await readFile(rejectsPath, 'utf8')).split('\n')).toEqual([
      'line,reason',
      '3,Email Address: contains a control or bidirectional formatting character (U+0000)',
      '4,Email Address: contains a control or bidirectional formatting character (U+202E)',
      '5,Email Address: is wrapped in angle brackets; give the bare address',
      '6,Email Address: starts with a URL scheme (mailto:); give the bare address',
      '7,Email Address: starts with a URL scheme (javascript:); give the bare address',
      '8,Email Address: the domain has an empty label',
      '9,Email Address: a domain label starts or ends with a hyphen',
      '10,Email Address: the domain has an empty label',
      '11,"Email Address: the domain contains ""😀"", which is not a letter, digit or hyphen"',
      '',
    ]);
  });
});
