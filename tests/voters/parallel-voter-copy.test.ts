import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decodeText } from '../../domain/decode-text.js';
import { delimitedRecords } from '../../store/voters/delimited-records.js';
import { voterCopyInWorkers } from '../../store/voters/parallel-voter-copy.js';
import type { VoterReaderSetup } from '../../store/voters/voter-copy-block.js';
import { NCVOTER_MAPPING, VoterFileError, voterReaderSetup } from '../../store/voters/voter-file-format.js';
import { copyLine, voterRowReader } from '../../store/voters/voter-row.js';
import { VOTER_COLUMNS } from '../../store/voters/voter-tables.js';

const DEMO_VOTERS = 'demo/data/ncvoter-demo.txt';

const setupOf = (header: string[]): VoterReaderSetup => voterReaderSetup(header, NCVOTER_MAPPING).setup;

/** The streamed path, one record after another: the COPY text and the rejects the parallel path must give. */
async function streamed(text: string) {
  let read: ReturnType<typeof voterRowReader> | undefined;
  let copy = '';
  const rejects: Array<[number, string]> = [];
  let rows = 0;
  for await (const batch of delimitedRecords(Readable.from([text]), '\t')) {
    for (const record of batch) {
      if ('reason' in record) throw new Error(record.reason);
      if (!read) {
        const setup = setupOf(record.values);
        read = voterRowReader(setup.header, setup.mapping, setup.districtIndex);
        continue;
      }
      rows++;
      const row = read(record.values, record.line);
      if ('reason' in row) rejects.push([record.line, row.reason]);
      else copy += copyLine(row, VOTER_COLUMNS);
    }
  }
  return { copy, rejects, rows };
}

async function parallel(text: string, blockChars: number, pieceChars = 97, workers = 2) {
  const stats = { rows: 0, rejected: 0 };
  const rejects: Array<[number, string]> = [];
  // The text arrives in small pieces, so blocks are cut across them.
  const pieces = Array.from({ length: Math.ceil(text.length / pieceChars) }, (_, i) =>
    text.slice(i * pieceChars, (i + 1) * pieceChars),
  );
  let copy = '';
  for await (const chunk of voterCopyInWorkers({
    text: Readable.from(pieces),
    onHeader: setupOf,
    reject: (line, reason) => {
      rejects.push([line, reason]);
      return Promise.resolve();
    },
    stats,
    progress: () => undefined,
    workers,
    blockChars,
  })) {
    copy += chunk.toString('utf8');
  }
  return { copy, rejects, rows: stats.rows, rejected: stats.rejected };
}

describe('reading a voter file in worker threads', () => {
  it('gives the streamed path’s COPY text and rejects, in file order, wherever the blocks are cut', async () => {
    let demo = '';
    for await (const piece of decodeText(createReadStream(DEMO_VOTERS), { encoding: 'utf-8' })) demo += piece;
    // Blank lines, a line with too few fields, and no line feed after the last line.
    const lines = demo.split('\n');
    const text = [...lines.slice(0, 5), '', '   ', '"1"\t"x"', ...lines.slice(5)].join('\n').replace(/\n+$/, '');
    const expected = await streamed(text);
    expect(expected.rejects.length).toBeGreaterThanOrEqual(3);
    expect(expected.copy.split('\n').length).toBeGreaterThan(40);
    for (const blockChars of [1, 300, 4_096, 1 << 20]) {
      const got = await parallel(text, blockChars);
      expect(got.copy, `blocks of ${blockChars}`).toBe(expected.copy);
      expect(got.rejects, `blocks of ${blockChars}`).toEqual(expected.rejects);
      expect(got.rows).toBe(expected.rows);
      expect(got.rejected).toBe(expected.rejects.length);
    }
  });

  it('fails, and stops its workers, when a worker cannot read the blocks', async () => {
    const text = await readFile(DEMO_VOTERS, 'latin1');
    const broken = voterCopyInWorkers({
      text: Readable.from([text]),
      // A setup the worker cannot build its reader from: it throws as it starts.
      onHeader: () => ({ header: null, mapping: null, districtIndex: [] }) as unknown as VoterReaderSetup,
      reject: () => Promise.resolve(),
      stats: { rows: 0, rejected: 0 },
      progress: () => undefined,
      workers: 2,
      blockChars: 200,
    });
    const consume = async () => {
      for await (const chunk of broken) void chunk;
    };
    await expect(consume()).rejects.toThrow(/Cannot read properties of null/);
  });

  it('refuses a file with no header and a line longer than any record can be', async () => {
    await expect(parallel('\n  \n', 100)).rejects.toThrow(VoterFileError);
    const header = (await readFile(DEMO_VOTERS, 'latin1')).split('\n')[0]!;
    await expect(parallel(`${header}\n${'x'.repeat(1_100_000)}`, 100, 65_536)).rejects.toThrow(/longer than/);
  });
});
