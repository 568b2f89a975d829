import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { isBlank, MAX_RECORD_CHARS, splitTabs } from './tab-fields.js';
import type { VoterCopyBlock, VoterReaderSetup } from './voter-copy-block.js';
import { VoterFileError } from './voter-file-format.js';

/** Characters of the file per block sent to a worker: about 3,000 lines of North Carolina's layout. */
const BLOCK_CHARS = 1 << 20;
const PROGRESS_EVERY = 50_000;

export interface ParallelVoterCopyOptions {
  /** The voter file's text, decoded, with LF line ends; tab-separated. */
  text: AsyncIterable<string>;
  /** What reading rows needs, from the header's fields (throws a VoterFileError when a required column is missing). */
  onHeader: (header: string[]) => VoterReaderSetup;
  /** Told about each line that is not loaded, in file order. */
  reject: (line: number, reason: string) => Promise<void>;
  /** Rows read and rows rejected, counted as blocks come back. */
  stats: { rows: number; rejected: number };
  progress: (rows: number) => void;
  /** Worker threads (default: one per CPU, at most four). */
  workers?: number;
  /** Characters per block (default about a megabyte); tests make it small to cut the file in many places. */
  blockChars?: number;
}

/** The workers' count: the import's own thread only cuts the file into blocks, and Postgres takes the COPY. */
const defaultWorkers = () => Math.max(1, Math.min(4, availableParallelism()));

/**
 * The COPY text of a tab-separated voter file, read by worker threads: this thread cuts the text into blocks of
 * whole lines and the workers turn them into rows (voter-copy-block.ts), in parallel; blocks come back in file
 * order, with their rejects, so the result is the one the streamed path gives (`delimitedRecords` →
 * `voterRowReader` → COPY text). Reading and folding the rows is most of an import's time and one thread's work;
 * this spreads it over the machine's cores. Memory stays flat: at most two blocks per worker are in flight.
 */
export async function* voterCopyInWorkers(options: ParallelVoterCopyOptions): AsyncGenerator<Buffer> {
  const blockChars = options.blockChars ?? BLOCK_CHARS;
  const iterator = options.text[Symbol.asyncIterator]();
  let buffer = '';
  let line = 0;
  let ended = false;
  const more = async () => {
    const next = await iterator.next();
    if (next.done) ended = true;
    else buffer += next.value;
  };

  // The header: the first line that is not blank, read here.
  let setup: VoterReaderSetup | undefined;
  while (setup === undefined) {
    const end = buffer.indexOf('\n');
    if (end === -1) {
      if (ended) {
        if (isBlank(buffer)) throw new VoterFileError('the file is empty (no header row)');
        line++;
        setup = options.onHeader(splitTabs(buffer));
        buffer = '';
        break;
      }
      if (buffer.length > MAX_RECORD_CHARS) throw new VoterFileError(`line ${line + 1}: longer than ${MAX_RECORD_CHARS} characters; is this a tab-separated file?`);
      await more();
      continue;
    }
    line++;
    const row = buffer.slice(0, end);
    buffer = buffer.slice(end + 1);
    if (!isBlank(row)) setup = options.onHeader(splitTabs(row));
  }

  const workers = Array.from(
    { length: options.workers ?? defaultWorkers() },
    () => new Worker(new URL('./voter-parse-worker.mjs', import.meta.url), { workerData: setup }),
  );
  const waiting = new Map<number, { resolve: (block: VoterCopyBlock) => void; reject: (err: unknown) => void }>();
  let failure: Error | undefined;
  const failAll = (err: unknown) => {
    failure ??= err instanceof Error ? err : new Error(String(err));
    for (const { reject } of waiting.values()) reject(failure);
    waiting.clear();
  };
  for (const worker of workers) {
    worker.on('message', (message: VoterCopyBlock & { id: number }) => {
      waiting.get(message.id)?.resolve(message);
      waiting.delete(message.id);
    });
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      if (code !== 0) failAll(new Error(`a voter import worker stopped (exit code ${code})`));
    });
  }
  let nextId = 0;
  const inFlight: Array<Promise<VoterCopyBlock>> = [];
  const send = (text: string, firstLine: number) => {
    const id = nextId++;
    inFlight.push(
      new Promise<VoterCopyBlock>((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        waiting.set(id, { resolve, reject });
        workers[id % workers.length]!.postMessage({ id, text, firstLine });
      }),
    );
  };
  let nextProgress = PROGRESS_EVERY;
  /** The oldest block, back from its worker: its rejects told, its counts added, its COPY text. */
  const receive = async (): Promise<Buffer> => {
    const block = await inFlight.shift()!;
    options.stats.rows += block.rows;
    for (const { line: at, reason } of block.rejects) {
      options.stats.rejected++;
      await options.reject(at, reason);
    }
    if (options.stats.rows >= nextProgress) {
      options.progress(options.stats.rows);
      nextProgress = (Math.floor(options.stats.rows / PROGRESS_EVERY) + 1) * PROGRESS_EVERY;
    }
    return Buffer.from(block.copy.buffer, block.copy.byteOffset, block.copy.byteLength);
  };

  try {
    while (!ended || buffer.length > 0) {
      if (!ended && buffer.length < blockChars) {
        await more();
        continue;
      }
      const cut = ended ? buffer.length - 1 : buffer.lastIndexOf('\n');
      if (cut === -1) {
        if (buffer.length > MAX_RECORD_CHARS) throw new VoterFileError(`line ${line + 1}: longer than ${MAX_RECORD_CHARS} characters; is this a tab-separated file?`);
        await more();
        continue;
      }
      const block = buffer.slice(0, cut + 1);
      buffer = buffer.slice(cut + 1);
      send(block, line + 1);
      for (let i = block.indexOf('\n'); i !== -1; i = block.indexOf('\n', i + 1)) line++;
      if (inFlight.length >= 2 * workers.length) yield await receive();
    }
    while (inFlight.length) yield await receive();
  } finally {
    // Blocks still in flight (a failed COPY) are abandoned with their workers.
    for (const pending of inFlight) pending.catch(() => undefined);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
