import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { silentLogger } from '../base/logger.js';
import { HeadBoundaryScanner, trailerCuts } from './audio-boundaries.js';
import { CacheDiskError, classifyDiskError } from './cache-errors.js';
import type { ChunkWorkerData, FromChunkWorker, ToChunkWorker } from './chunk-worker-protocol.js';
import { ChunkStore } from './chunk-store.js';
import { StreamingChunker } from './fastcdc.js';

/**
 * The chunk worker thread: chunks, hashes and stores the bytes of every
 * fetch, in order per stream, and reports each chunk once it is on disk.
 */

interface Stream {
  size: number;
  chunker: StreamingChunker;
  head: HeadBoundaryScanner | undefined;
  /** Held bytes from `trailerScanFrom` on, for the trailer cuts at the end. */
  tail: Uint8Array[];
  trailerScanFrom: number;
  /** Work of this stream, in order. */
  queue: Promise<void>;
}

const port = parentPort!;
const { storeDir } = workerData as ChunkWorkerData;
const storeReady = ChunkStore.open(storeDir, silentLogger);
const streams = new Map<number, Stream>();
const send = (m: FromChunkWorker): void => port.postMessage(m);

port.on('message', (m: ToChunkWorker) => {
  switch (m.type) {
    case 'open':
      streams.set(m.stream, {
        size: m.size,
        chunker: new StreamingChunker(m.params, m.start, { holdFrom: m.holdFrom }),
        head: m.start === 0 ? new HeadBoundaryScanner(m.size) : undefined,
        tail: [],
        trailerScanFrom: m.trailerScanFrom,
        queue: Promise.resolve(),
      });
      for (const cut of m.knownCuts) streams.get(m.stream)!.chunker.addCut(cut);
      break;
    case 'data': {
      const s = streams.get(m.stream);
      if (!s) return;
      const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
      if (s.head && !s.head.done) {
        const cuts = s.head.push(m.offset, data);
        if (cuts.length > 0) {
          for (const c of cuts) s.chunker.addCut(c);
          send({ type: 'cuts', stream: m.stream, cuts });
        }
      }
      if (m.offset + data.length > s.trailerScanFrom) s.tail.push(data.subarray(Math.max(0, s.trailerScanFrom - m.offset)));
      const chunks = s.chunker.push(data);
      s.queue = s.queue.then(() => storeAll(m.stream, chunks));
      break;
    }
    case 'finish': {
      const s = streams.get(m.stream);
      if (!s) return;
      if (s.chunker.position >= s.size && s.tail.length > 0) {
        const tail = Buffer.concat(s.tail);
        // Only a tail that reaches back to the scan start is complete enough to read trailers from.
        if (s.size - tail.length <= s.trailerScanFrom) for (const c of trailerCuts(tail, s.size)) s.chunker.addCut(c);
      }
      const chunks = s.chunker.finish();
      s.queue = s.queue.then(() => storeAll(m.stream, chunks)).then(() => {
        streams.delete(m.stream);
        send({ type: 'finished', stream: m.stream });
      });
      break;
    }
  }
});

async function storeAll(stream: number, chunks: readonly { offset: number; length: number; data: Uint8Array }[]): Promise<void> {
  const store = await storeReady;
  for (const c of chunks) {
    const hash = createHash('sha256').update(c.data).digest('hex');
    try {
      await store.put(hash, c.data);
      send({ type: 'chunk', stream, offset: c.offset, length: c.length, hash });
    } catch (err) {
      const problem = err instanceof CacheDiskError ? err.problem : (classifyDiskError(err) ?? 'io');
      send({ type: 'chunk', stream, offset: c.offset, length: c.length, hash, problem, error: (err as Error).message });
    }
  }
}
