import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackfillRow } from '../../cli/backfill/backfill-row.js';
import { csvRows } from '../../cli/backfill/csv-rows.js';
import { decodeText } from '../../domain/decode-text.js';
import { jsonlRows } from '../../cli/backfill/jsonl-rows.js';
import { SignupSchema } from '../../schemas/signup.js';

const HEADER = 'email,given_name,family_name,address,postal_code,locality,region,country,birth_year,consent_social';

/** Reads input bytes as `enrich backfill` does (decoding, then the row reader), in chunks of the given size. */
async function readRows(bytes: Buffer, chunkSize: number, reader: typeof csvRows): Promise<BackfillRow[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const rows: BackfillRow[] = [];
  for await (const row of reader(decodeText(Readable.from(chunks), { encoding: 'utf-8' }), 'fuzz')) rows.push(row);
  return rows;
}

/** Every row is a valid signup or a reject with a reason, at a line of the input, in line order. */
function expectWellFormed(rows: BackfillRow[], lineCount: number): void {
  let previous = 0;
  for (const row of rows) {
    expect(Number.isInteger(row.line)).toBe(true);
    expect(row.line).toBeGreaterThanOrEqual(previous);
    expect(row.line).toBeGreaterThanOrEqual(1);
    expect(row.line).toBeLessThanOrEqual(lineCount);
    previous = row.line;
    if ('signup' in row) expect(SignupSchema.safeParse(row.signup).success).toBe(true);
    else expect(row.reason).toMatch(/\S/);
  }
}

/** CSV cells as people and tools get them wrong: quotes, commas, line breaks, blanks, emails, flags, non-ASCII. */
const cell = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '"',
    '""',
    '"a,b"',
    '"line\nbreak"',
    '"unclosed',
    'true',
    'no',
    'maybe',
    '1988',
    'FR',
    'USA',
    '27601',
    '=cmd()',
    'é',
    '\u0000',
  ),
  fc.emailAddress(),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
const line = fc.oneof(
  fc.array(cell, { minLength: 0, maxLength: 12 }).map((cells) => cells.join(',')),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const lineEnd = fc.constantFrom('\n', '\r\n', '\r');

describe('backfill CSV reader (fuzzed)', () => {
  it('answers every arbitrary line with a valid row or a reject with its line number, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(line, lineEnd), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        async (lines, chunkSize) => {
          const text = `${HEADER}\n${lines.map(([l, end]) => `${l}${end}`).join('')}`;
          const rows = await readRows(Buffer.from(text, 'utf8'), chunkSize, csvRows);
          expectWellFormed(rows, text.split(/\r\n|\n|\r/).length);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('drops no line: without quotes, every non-empty line is one row at its own line number', async () => {
    const unquoted = line.map((l) => l.replace(/["\r\n]/g, ''));
    await fc.assert(
      fc.asyncProperty(fc.array(unquoted, { maxLength: 12 }), async (lines) => {
        const rows = await readRows(
          Buffer.from(`${HEADER}\n${lines.map((l) => `${l}\n`).join('')}`, 'utf8'),
          4096,
          csvRows,
        );
        const expected = lines.flatMap((l, i) => (l === '' ? [] : [i + 2]));
        expect(rows.map((r) => r.line)).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('reads arbitrary bytes (not UTF-8, byte-order marks, NULs) after the header the same way', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 8 }),
        fc.integer({ min: 1, max: 64 }),
        async (lines, chunkSize) => {
          const bytes = Buffer.concat([
            Buffer.from(`${HEADER}\n`),
            ...lines.flatMap((l) => [Buffer.from(l), Buffer.from('\n')]),
          ]);
          const rows = await readRows(bytes, chunkSize, csvRows);
          expectWellFormed(rows, bytes.toString('latin1').split(/\r\n|\n|\r/).length);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('turns a well-formed row into a signup and a malformed one into a reject, line by line', async () => {
    const good = fc.tuple(fc.emailAddress(), fc.constantFrom('', 'Ada'), fc.constantFrom('', 'true', 'false'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(good, fc.constant(undefined)), { minLength: 1, maxLength: 10 }),
        async (spec) => {
          const lines = spec.map((row) => (row ? `"${row[0]}",${row[1]},,,,,,,,${row[2]}` : 'not-an-email,,,,,,,,,'));
          const rows = await readRows(Buffer.from(`${HEADER}\n${lines.join('\n')}\n`), 4096, csvRows);
          expect(rows.map((r) => r.line)).toEqual(spec.map((_, i) => i + 2));
          rows.forEach((row, i) => {
            const valid = SignupSchema.safeParse({ email: spec[i]?.[0] }).success;
            expect('signup' in row).toBe(spec[i] !== undefined && valid);
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers every arbitrary JSONL line with a valid row or a reject with its line number, never a throw', async () => {
    const jsonLine = fc.oneof(
      fc.json({ maxDepth: 3 }),
      fc
        .record(
          { email: fc.oneof(fc.emailAddress(), fc.jsonValue()), givenName: fc.jsonValue(), consent: fc.jsonValue() },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(jsonLine, { maxLength: 10 }), async (lines) => {
        const text = lines.map((l) => l.replace(/\n/g, ' ')).join('\n');
        const rows = await readRows(Buffer.from(text, 'utf8'), 17, jsonlRows);
        expectWellFormed(rows, Math.max(1, text.split('\n').length));
      }),
      { numRuns: 100 },
    );
  });
});
