import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streetKeys } from '../../domain/voter-matching/normalise.js';
import { delimitedRecords, type DelimitedRecord } from '../../store/voters/delimited-records.js';
import { NCVOTER_MAPPING, resolveHeader, type VoterFileMapping } from '../../store/voters/voter-file-format.js';
import { copyLine, voterRowReader, type RowReject, type VoterField } from '../../store/voters/voter-row.js';
import { VOTER_COLUMNS, type VoterRow } from '../../store/voters/voter-tables.js';

async function records(text: string, delimiter = '\t'): Promise<DelimitedRecord[]> {
  const all: DelimitedRecord[] = [];
  for await (const batch of delimitedRecords(Readable.from([text]), delimiter)) all.push(...batch);
  return all;
}

/** What the reader did before it remembered streets: the field cleaned, then read whole. */
const cleaned = (value: string) => value.replace(/\s+/g, ' ').trim() || null;

const MAPPING: VoterFileMapping = {
  ...NCVOTER_MAPPING,
  districts: {},
  columns: { voterId: 'id', lastName: 'last', street: 'street' },
};
const HEADER = ['id', 'last', 'street'];
const read = voterRowReader(resolveHeader<VoterField>(HEADER, MAPPING.columns, ['voterId', 'lastName']), MAPPING, []);
const isReject = (row: VoterRow | RowReject): row is RowReject => 'reason' in row;

describe('delimitedRecords (tab-separated, every field quoted)', () => {
  it('reads empty fields and fields with escaped quotes as a loader would', async () => {
    const got = await records('"a"\t""\t"b"\n"O""NEIL"\t""\t"x"\n\n"c"\t"d"');
    expect(got).toEqual([
      { line: 1, values: ['a', '', 'b'] },
      { line: 2, values: ['O"NEIL', '', 'x'] },
      { line: 4, values: ['c', 'd'] },
    ]);
  });

  it('splits any line of quoted fields into exactly its fields', async () => {
    const value = fc.stringMatching(/^[A-Za-z0-9 #/.-]{0,8}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(value, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }),
        async (rows) => {
          const text = rows.map((fields) => fields.map((f) => `"${f}"`).join('\t')).join('\n');
          const got = await records(text);
          expect(got.map((r) => ('values' in r ? r.values : r.reason))).toEqual(rows);
        },
      ),
    );
  });
});

describe('voterRowReader', () => {
  it('gives every address the keys streetKeys gives the cleaned line', () => {
    const word = fc.constantFrom(
      '482',
      '0482',
      '12',
      '2214-B',
      '1/2',
      'W',
      'N',
      'MARKET',
      'ST',
      'NINTH',
      'APT',
      '#',
      '4',
      'PARK',
      'RD',
      'Avenue',
      'lot',
    );
    const gap = fc.constantFrom(' ', '  ', '\t', ' \t ');
    const line = fc
      .tuple(fc.array(fc.tuple(word, gap), { maxLength: 6 }), fc.constantFrom('', ' ', '  '))
      .map(([parts, end]) => parts.map(([w, g]) => w + g).join('') + end);
    fc.assert(
      fc.property(line, (street) => {
        const row = read(['V1', 'SMITH', street], 2);
        expect(isReject(row)).toBe(false);
        const keys = streetKeys(cleaned(street));
        expect(row).toMatchObject({
          res_address: cleaned(street),
          house_number: keys.houseNumber ?? null,
          street_core: keys.streetCore ?? null,
        });
      }),
      { numRuns: 500 },
    );
  });

  it('writes rows as COPY text, escaping what COPY reads specially', () => {
    const row = read(['V1', 'SMITH', '12 back\\slash st'], 2) as VoterRow;
    const line = copyLine({ ...row, districts: { ward: 'a\tb' } }, VOTER_COLUMNS);
    expect(line.endsWith('\n')).toBe(true);
    const fields = line.slice(0, -1).split('\t');
    expect(fields).toHaveLength(VOTER_COLUMNS.length);
    expect(fields[VOTER_COLUMNS.indexOf('res_address')]).toBe('12 back\\\\slash st');
    expect(fields[VOTER_COLUMNS.indexOf('middle_name')]).toBe('\\N');
    expect(fields[VOTER_COLUMNS.indexOf('districts')]).toBe('{"ward":"a\\\\tb"}');
  });
});
