import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** A CSV field, quoted when it needs to be. */
function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Raised when the rejects file cannot be opened or written; the message names the path and the system's code. */
export class RejectsFileError extends Error {
  override readonly name = 'RejectsFileError';
}

const describe = (path: string, err: unknown) =>
  new RejectsFileError(`cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);

/** Where rejected rows go: `line,reason`, one per bad row, in input order. */
export interface RejectsFile {
  write(line: number, reason: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the rejects file (`--rejects FILE`) as CSV with the header `line,reason`. It holds the line number and the
 * reason naming the field, never the row's values: the input file has them, and a second copy of personal data is
 * one more to erase. Writes wait for the disk when it lags (back-pressure), so memory stays flat.
 */
export async function openRejectsFile(path: string): Promise<RejectsFile> {
  const stream: WriteStream = createWriteStream(path, { flags: 'w' });
  // `once` rejects when the stream emits 'error' first (a missing folder, no permission).
  await once(stream, 'open').catch((err: unknown) => Promise.reject(describe(path, err)));
  let failure: Error | undefined;
  stream.on('error', (err) => (failure = describe(path, err)));
  const write = async (text: string) => {
    if (failure) throw failure;
    if (!stream.write(text)) await once(stream, 'drain');
  };
  await write('line,reason\n');
  return {
    write: (line, reason) => write(`${line},${csvField(reason)}\n`),
    close: async () => {
      if (failure) throw failure;
      stream.end();
      await once(stream, 'finish');
    },
  };
}
