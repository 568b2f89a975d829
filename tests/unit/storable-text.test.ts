import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { csvRows } from '../../cli/backfill/csv-rows.js';
import { jsonlRows } from '../../cli/backfill/jsonl-rows.js';
import type { BackfillRow } from '../../cli/backfill/backfill-row.js';
import { SignupSchema } from '../../schemas/signup.js';
import { storableJson, storableLine, storableText } from '../../schemas/storable-text.js';

/** What Postgres cannot keep in text or jsonb, or what has no place in a name: NUL, lone surrogates, controls. */
const UNSTORABLE =
  // eslint-disable-next-line no-control-regex -- the test looks for exactly these
  /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

async function rows(
  read: (text: AsyncIterable<string>, source: string) => AsyncGenerator<BackfillRow>,
  text: string,
): Promise<BackfillRow[]> {
  const out: BackfillRow[] = [];
  for await (const row of read(Readable.from([text]), 'test')) out.push(row);
  return out;
}

describe('storableText and storableLine', () => {
  it('remove NUL and controls, replace lone surrogates, keep tabs and line feeds in free text only', () => {
    expect(storableText('Ada\u0000 Lovelace')).toBe('Ada Lovelace');
    expect(storableText('bio\r\nline two\rthree\tend\u001b[31m')).toBe('bio\nline two\nthree\tend[31m');
    expect(storableText('lone \ud800 high, lone \udc00 low, pair \ud83c\udf0d')).toBe(
      'lone \ufffd high, lone \ufffd low, pair 🌍',
    );
    expect(storableText('C1 \u0085 and DEL \u007f')).toBe('C1  and DEL ');
    expect(storableLine('Ada\n\tLovelace\r\n')).toBe('Ada Lovelace ');
    expect(storableLine('Zoë 🌍 O’Brien-Łukasz 山田')).toBe('Zoë 🌍 O’Brien-Łukasz 山田');
  });

  it('leave nothing unstorable in any string, and change nothing in a string that was storable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(storableText(value)).not.toMatch(UNSTORABLE);
        expect(storableLine(value)).not.toMatch(UNSTORABLE);
        expect(storableLine(value)).not.toMatch(/[\t\n\r]/);
        if (!UNSTORABLE.test(value) && !value.includes('\r')) expect(storableText(value)).toBe(value);
      }),
    );
  });

  it('storableJson cleans every string of a parsed reply, keys included, and keeps "__proto__" a plain key', () => {
    const parsed = JSON.parse(
      '{"display\\u0000Name":"Ada\\u0000","links":[{"url":"https://x.example/\\ud800"}],"n":1,"ok":true,"none":null,"__proto__":{"a":"b\\u0000"}}',
    ) as unknown;
    const clean = storableJson(parsed) as Record<string, unknown>;
    expect(clean).toEqual({
      displayName: 'Ada',
      links: [{ url: 'https://x.example/\ufffd' }],
      n: 1,
      ok: true,
      none: null,
      ['__proto__']: { a: 'b' },
    });
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(JSON.stringify(clean)).not.toMatch(/\\u0000|\\ud800/);
  });
});

describe('every signup entry point made storable by the signup schema', () => {
  it('SignupSchema (API, webhooks, CLI) cleans each text field, and refuses one left empty', () => {
    const parsed = SignupSchema.parse({
      email: 'ada@example.org',
      givenName: 'Ada\u0000',
      familyName: 'Love\ud800lace',
      phone: '+1 919\u0007 555 0100',
      postalAddress: {
        lines: ['12 Elm St\nApt 3'],
        locality: 'Raleigh\u0000',
        region: 'NC',
        postalCode: '27601',
        country: 'us',
      },
      source: 'form\u001b',
      consent: { socialProfiles: true, noticeVersion: 'v1\u0000', source: 'form:x#consent\u0000' },
    });
    expect(parsed).toEqual({
      email: 'ada@example.org',
      givenName: 'Ada',
      familyName: 'Love\ufffdlace',
      phone: '+1 919 555 0100',
      postalAddress: {
        lines: ['12 Elm St', 'Apt 3'],
        locality: 'Raleigh',
        region: 'NC',
        postalCode: '27601',
        country: 'US',
      },
      source: 'form',
      consent: { socialProfiles: true, noticeVersion: 'v1', source: 'form:x#consent' },
    });
    const empty = SignupSchema.safeParse({ email: 'ada@example.org', familyName: '\u0000\u0000' });
    expect(empty.success).toBe(false);
    expect(empty.error?.issues[0]?.path).toEqual(['familyName']);
  });

  it('a CSV backfill row with NUL bytes and lone surrogates is started clean', async () => {
    const read = await rows(
      csvRows,
      'email,first_name,last_name,city\nada@example.org,Ada\u0000,Love\ud800lace,Raleigh\u0001\n',
    );
    expect(read).toEqual([
      {
        line: 2,
        signup: expect.objectContaining({
          givenName: 'Ada',
          familyName: 'Love\ufffdlace',
          postalAddress: { locality: 'Raleigh' },
        }),
      },
    ]);
  });

  it('a JSONL backfill line with NUL escapes and lone surrogates is started clean', async () => {
    const read = await rows(
      jsonlRows,
      '{"email":"ada@example.org","givenName":"Ada\\u0000","familyName":"\\udc00Lovelace"}\n',
    );
    expect(read).toEqual([
      { line: 1, signup: expect.objectContaining({ givenName: 'Ada', familyName: '\ufffdLovelace' }) },
    ]);
  });
});
