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

const tooLong = (line: number) =>
  new VoterFileError(`line ${line}: longer than ${MAX_RECORD_CHARS} characters; is this a tab-separated file?`);

/** The file's text as it comes in: what has been read and not yet cut into blocks, and the lines cut so far. */
interface TextReader {
  buffer: string;
  line: number;
  ended: boolean;
  /** Reads the next piece of the text onto the buffer (or marks the end). */
  more(): Promise<void>;
}

function textReader(text: AsyncIterable<string>): TextReader {
  const iterator = text[Symbol.asyncIterator]();
  const reader: TextReader = {
    buffer: '',
    line: 0,
    ended: false,
    more: async () => {
      const next = await iterator.next();
      if (next.done) reader.ended = true;
      else reader.buffer += next.value;
    },
  };
  return reader;
}

/** The header: the first line that is not blank, read here; what reading rows needs, from its fields. */
async function readHeader(
  text: TextReader,
  onHeader: (header: string[]) => VoterReaderSetup,
): Promise<VoterReaderSetup> {
  for (;;) {
    const end = text.buffer.indexOf('\n');
    if (end === -1) {
      if (text.ended) {
        if (isBlank(text.buffer)) throw new VoterFileError('the file is empty (no header row)');
        text.line++;
        const setup = onHeader(splitTabs(text.buffer));
        text.buffer = '';
        return setup;
      }
      if (text.buffer.length > MAX_RECORD_CHARS) throw tooLong(text.line + 1);
      await text.more();
      continue;
    }
    text.line++;
    const row = text.buffer.slice(0, end);
    text.buffer = text.buffer.slice(end + 1);
    if (!isBlank(row)) return onHeader(splitTabs(row));
  }
}

/**
 * The next block of whole lines, of about `blockChars` (the rest of the text at its end), with the number of its
 * first line; undefined once the text is all cut.
 */
async function nextBlock(
  text: TextReader,
  blockChars: number,
): Promise<{ text: string; firstLine: number } | undefined> {
  while (!text.ended || text.buffer.length > 0) {
    if (!text.ended && text.buffer.length < blockChars) {
      await text.more();
      continue;
    }
    const cut = text.ended ? text.buffer.length - 1 : text.buffer.lastIndexOf('\n');
    if (cut === -1) {
      if (text.buffer.length > MAX_RECORD_CHARS) throw tooLong(text.line + 1);
      await text.more();
      continue;
    }
    const block = text.buffer.slice(0, cut + 1);
    text.buffer = text.buffer.slice(cut + 1);
    const firstLine = text.line + 1;
    for (let i = block.indexOf('\n'); i !== -1; i = block.indexOf('\n', i + 1)) text.line++;
    return { text: block, firstLine };
  }
  return undefined;
}

/** The worker threads: a block sent to one comes back as its COPY text and rejects; a failed worker fails them all. */
interface ParseWorkers {
  size: number;
  send(text: string, firstLine: number): Promise<VoterCopyBlock>;
  terminate(): Promise<void>;
}

function startParseWorkers(count: number, setup: VoterReaderSetup): ParseWorkers {
  const workers = Array.from(
    { length: count },
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
  return {
    size: workers.length,
    send: (text, firstLine) => {
      const id = nextId++;
      return new Promise<VoterCopyBlock>((resolve, reject) => {
        if (failure !== undefined) return reject(failure);
        waiting.set(id, { resolve, reject });
        workers[id % workers.length]!.postMessage({ id, text, firstLine });
      });
    },
    terminate: async () => {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

/** Takes blocks back from the workers, oldest first: each one's rejects told, its counts added, its COPY text. */
function blockReceiver(options: ParallelVoterCopyOptions): (pending: Promise<VoterCopyBlock>) => Promise<Buffer> {
  let nextProgress = PROGRESS_EVERY;
  return async (pending) => {
    const block = await pending;
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
}

/**
 * The COPY text of a tab-separated voter file, read by worker threads: this thread cuts the text into blocks of
 * whole lines and the workers turn them into rows (voter-copy-block.ts), in parallel; blocks come back in file
 * order, with their rejects, so the result is the one the streamed path gives (`delimitedRecords` →
 * `voterRowReader` → COPY text). Reading and folding the rows is most of an import's time and one thread's work;
 * this spreads it over the machine's cores. Memory stays flat: at most two blocks per worker are in flight.
 */
export async function* voterCopyInWorkers(options: ParallelVoterCopyOptions): AsyncGenerator<Buffer> {
  const blockChars = options.blockChars ?? BLOCK_CHARS;
  const text = textReader(options.text);
  const setup = await readHeader(text, options.onHeader);
  const workers = startParseWorkers(options.workers ?? defaultWorkers(), setup);
  const receive = blockReceiver(options);
  const inFlight: Array<Promise<VoterCopyBlock>> = [];
  try {
    for (
      let block = await nextBlock(text, blockChars);
      block !== undefined;
      block = await nextBlock(text, blockChars)
    ) {
      inFlight.push(workers.send(block.text, block.firstLine));
      if (inFlight.length >= 2 * workers.size) yield await receive(inFlight.shift()!);
    }
    while (inFlight.length) yield await receive(inFlight.shift()!);
  } finally {
    // Blocks still in flight (a failed COPY) are abandoned with their workers.
    for (const pending of inFlight) pending.catch(() => undefined);
    await workers.terminate();
  }
}
