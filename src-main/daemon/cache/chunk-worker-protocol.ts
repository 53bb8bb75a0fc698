import type { CacheDiskProblem } from './cache-errors.js';
import type { ChunkerParams } from './fastcdc.js';

/**
 * Messages between the daemon and its chunk worker. The worker does the CPU
 * and disk work of caching off the main thread (where every FUSE op runs):
 * content-defined chunking, the audio boundary scan, sha256 and the store
 * write. One "stream" per fetch.
 */

export interface ChunkWorkerData {
  storeDir: string;
}

export type ToChunkWorker =
  | { type: 'open'; stream: number; start: number; size: number; params: ChunkerParams; knownCuts: number[]; holdFrom: number; trailerScanFrom: number }
  /** Bytes at `offset`, contiguous with the previous ones of the stream. */
  | { type: 'data'; stream: number; offset: number; data: Uint8Array }
  /** No more bytes: cut what is held (trailer cuts when the end of the file was reached). */
  | { type: 'finish'; stream: number };

export type FromChunkWorker =
  /** A chunk of the stream, on disk under `hash` (or not: `problem`). */
  | { type: 'chunk'; stream: number; offset: number; length: number; hash: string; problem?: CacheDiskProblem; error?: string }
  | { type: 'cuts'; stream: number; cuts: number[] }
  /** Every chunk of the stream has been reported. */
  | { type: 'finished'; stream: number };
