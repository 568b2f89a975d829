import { Readable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { backfill } from '../../cli/backfill/backfill.js';
import { CsvHeaderError, fieldForHeader, mapHeader } from '../../cli/backfill/column-aliases.js';
import { csvRowSignup } from '../../cli/backfill/csv-row-signup.js';
import { decodeText, type DecodeState } from '../../domain/decode-text.js';
import type { StartEnrichmentResult } from '../../client/start-enrichment.js';

async function decode(chunks: Buffer[]): Promise<{ text: string; state: DecodeState }> {
  const state: DecodeState = { encoding: 'utf-8' };
  let text = '';
  for await (const part of decodeText(Readable.from(chunks), state)) text += part;
  return { text, state };
}

describe('decodeText', () => {
  it('keeps UTF-8 whose characters are split across chunks, and drops the byte-order mark', async () => {
    const bytes = Buffer.from('\ufeffemail,name\nchloé@example.org,Zoë 🌍\n', 'utf8');
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    expect(await decode(chunks)).toEqual({
      text: 'email,name\nchloé@example.org,Zoë 🌍\n',
      state: { encoding: 'utf-8' },
    });
  });

  it('falls back to Windows-1252 at the first byte that is not UTF-8, keeping what came before', async () => {
    const ascii = Buffer.from('email,name\na@example.org,Plain\n');
    const latin = Buffer.from([...Buffer.from('b@example.org,Chlo'), 0xe9, 0x20, 0x80, 0x20, 0x92, 0x96, 0x0a]);
    expect(await decode([ascii, latin])).toEqual({
      text: 'email,name\na@example.org,Plain\nb@example.org,Chloé € ’–\n',
      state: { encoding: 'latin-1' },
    });
  });

  it('turns CRLF into LF, also when CR and LF arrive in different chunks', async () => {
    const { text } = await decode([Buffer.from('a,b\r'), Buffer.from('\nc,d\r\n'), Buffer.from('e\r')]);
    expect(text).toBe('a,b\nc,d\ne\r');
  });
});

describe('CSV header mapping', () => {
  it('accepts the common spellings of each column', () => {
    const cases: Array<[string, string]> = [
      ['Email Address', 'email'],
      ['E-mail', 'email'],
      ['EMAIL', 'email'],
      ['first_name', 'givenName'],
      ['FirstName', 'givenName'],
      ['Surname', 'familyName'],
      ['last name', 'familyName'],
      ['zip5', 'postalCode'],
      ['ZIP', 'postalCode'],
      ['Street', 'address'],
      ['City', 'locality'],
      ['State', 'region'],
      ['birth_year', 'birthYear'],
      ['consent_social', 'consentSocial'],
      ['Consent Date', 'consentAt'],
      ['notice_version', 'consentNotice'],
      ['consent_source', 'consentSource'],
    ];
    for (const [header, field] of cases) expect(fieldForHeader(header), header).toBe(field);
    expect(fieldForHeader('Notes')).toBeUndefined();
  });

  it('skips unknown columns, and refuses a header without an email column or with one field twice', () => {
    expect(mapHeader(['Email', 'Notes', 'zip'])).toEqual({
      columns: ['email', false, 'postalCode'],
      headers: { email: 'Email', postalCode: 'zip' },
    });
    expect(() => mapHeader(['name', 'city'])).toThrow(CsvHeaderError);
    expect(() => mapHeader(['email', 'zip', 'postal_code'])).toThrow(/"zip" and "postal_code" both name postalCode/);
  });
});

describe('CSV consent columns', () => {
  const header = mapHeader(['email', 'consent_social', 'Consent Date', 'notice_version', 'consent_source']);

  it('keeps when, under which notice and where consent was given, with the answer', () => {
    const row = csvRowSignup(
      {
        email: 'c@example.org',
        consentSocial: 'yes',
        consentAt: '2026-03-01T09:00:00Z',
        consentNotice: 'v3',
        consentSource: 'form:petition',
      },
      2,
      header,
      'backfill',
    );
    expect(row).toEqual({
      line: 2,
      signup: expect.objectContaining({
        consent: { socialProfiles: true, at: '2026-03-01T09:00:00Z', noticeVersion: 'v3', source: 'form:petition' },
      }) as unknown,
    });
  });

  it('rejects a consent time that is not one, naming the column as written', () => {
    expect(
      csvRowSignup({ email: 'c@example.org', consentSocial: 'yes', consentAt: 'last spring' }, 3, header, 'backfill'),
    ).toEqual({
      line: 3,
      reason: expect.stringContaining('Consent Date:') as unknown,
    });
  });

  it('ignores the details when the answer itself is blank', () => {
    const row = csvRowSignup({ email: 'c@example.org', consentAt: '2026-03-01T09:00:00Z' }, 4, header, 'backfill');
    expect('signup' in row && row.signup.consent).toBeUndefined();
  });
});

describe('backfill streaming', () => {
  it('reads only a bounded amount ahead of the starts, however long the input', async () => {
    const total = 20_000;
    let pulled = 0;
    let startsCalled = 0;
    let maxAhead = 0;
    function* input() {
      yield Buffer.from('email\n');
      for (let i = 0; i < total; i++) {
        pulled++;
        yield Buffer.from(`row.${i}@example.org\n`);
      }
    }
    const start = async (): Promise<StartEnrichmentResult> => {
      startsCalled++;
      maxAhead = Math.max(maxAhead, pulled - startsCalled);
      await tick();
      return { workflowId: 'w', contactKey: 'k', status: 'started' };
    };
    const result = await backfill({
      input: Readable.from(input(), { objectMode: true, highWaterMark: 1 }),
      concurrency: 4,
      start,
    });
    expect(result).toMatchObject({ rows: total, started: total });
    // Back-pressure: what is read but not yet started is a few stream buffers' worth (csv-parse holds 16 KiB), not
    // the file (here ~450 KiB), so memory does not grow with the input.
    const rowBytes = 'row.10000@example.org\n'.length;
    expect(maxAhead * rowBytes).toBeLessThan(64 * 1024);
    expect(maxAhead).toBeLessThan(total / 10);
  });
});
