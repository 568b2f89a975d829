import { isUtf8 } from 'node:buffer';

/** The encodings a backfill file may be in: UTF-8, or Latin-1 as spreadsheet tools write it (Windows-1252). */
export type InputEncoding = 'utf-8' | 'latin-1';

/** What {@link decodeText} found out while reading; read it once the text has been consumed. */
export interface DecodeState {
  encoding: InputEncoding;
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EMPTY = Buffer.alloc(0);

/**
 * Windows-1252's characters at 0x80–0x9F, where ISO-8859-1 has C1 controls (0 = undefined there too, kept as is).
 * Node's TextDecoder maps the label `windows-1252` to plain ISO-8859-1, so the difference is applied here.
 */
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0, 0,
  0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

/**
 * Latin-1 as spreadsheet tools write it, i.e. Windows-1252 (Excel's "CSV" on Windows, most voter files): ISO-8859-1
 * with printable characters (€, curly quotes, dashes) in place of the C1 controls, so it reads ISO-8859-1 the same.
 */
function decodeLatin1(bytes: Buffer): string {
  return bytes
    .toString('latin1')
    .replace(/[\u0080-\u009f]/g, (c) => String.fromCharCode(CP1252_HIGH[c.charCodeAt(0) - 0x80] || c.charCodeAt(0)));
}

/** How many leading bytes of `buf` end on a complete UTF-8 sequence; the rest may continue in the next chunk. */
function completeUtf8Length(buf: Buffer): number {
  for (let i = buf.length - 1; i >= Math.max(0, buf.length - 4); i--) {
    const byte = buf[i] as number;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const needed = byte < 0x80 ? 1 : byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return i + needed > buf.length ? i : buf.length;
  }
  return buf.length;
}

/**
 * Decodes a byte stream to text in one pass and constant memory: UTF-8 until the first byte sequence that is not
 * valid UTF-8, then Latin-1 (Windows-1252) from there on, for stdin as for files. What came before the switch was
 * valid UTF-8, which in a Latin-1 file means plain ASCII, so it reads the same either way. Also drops a byte-order
 * mark and turns CRLF line ends into LF (also inside quoted fields), so line numbers count the same for every file.
 */
export async function* decodeText(chunks: AsyncIterable<Buffer | string>, state: DecodeState): AsyncGenerator<string> {
  let pending: Buffer = EMPTY;
  let first = true;
  let carryCr = false;

  const normalise = (text: string, last = false): string => {
    let t = carryCr ? `\r${text}` : text;
    carryCr = !last && t.endsWith('\r');
    if (carryCr) t = t.slice(0, -1);
    return t.replace(/\r\n/g, '\n');
  };

  const decode = (bytes: Buffer, final: boolean): string => {
    if (state.encoding === 'latin-1') return decodeLatin1(bytes);
    const cut = final ? bytes.length : completeUtf8Length(bytes);
    const head = bytes.subarray(0, cut);
    if (isUtf8(head)) {
      pending = cut < bytes.length ? Buffer.from(bytes.subarray(cut)) : EMPTY;
      return head.toString('utf8');
    }
    state.encoding = 'latin-1';
    pending = EMPTY;
    return decodeLatin1(bytes);
  };

  for await (const chunk of chunks) {
    let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    if (pending.length) bytes = Buffer.concat([pending, bytes]);
    pending = EMPTY;
    if (first) {
      if (bytes.length < UTF8_BOM.length && UTF8_BOM.subarray(0, bytes.length).equals(bytes)) {
        pending = Buffer.from(bytes); // too short to tell whether it is a BOM yet
        continue;
      }
      if (bytes.subarray(0, 3).equals(UTF8_BOM)) bytes = bytes.subarray(3);
      first = false;
    }
    const text = normalise(decode(bytes, false));
    if (text) yield text;
  }
  const rest = normalise(pending.length ? decode(pending, true) : '', true);
  if (rest) yield rest;
}
