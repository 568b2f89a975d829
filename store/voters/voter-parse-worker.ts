import { parentPort, workerData } from 'node:worker_threads';
import { readerOf, voterCopyBlock, type VoterReaderSetup } from './voter-copy-block.js';

/**
 * A worker thread of a voter import (see parallel-voter-copy.ts): turns blocks of lines into COPY text with the
 * reader of `workerData` (the file's resolved header and mapping), and sends each back with its id; the text's
 * buffer is transferred, not copied.
 */
const read = readerOf(workerData as VoterReaderSetup);
parentPort!.on('message', ({ id, text, firstLine }: { id: number; text: string; firstLine: number }) => {
  const block = voterCopyBlock(read, text, firstLine);
  parentPort!.postMessage({ id, ...block }, [block.copy.buffer as ArrayBuffer]);
});
