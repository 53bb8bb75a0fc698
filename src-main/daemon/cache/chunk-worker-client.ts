import { Worker } from 'node:worker_threads';
import type { Logger } from '../base/logger.js';
import type { CacheDiskProblem } from './cache-errors.js';
import type { ChunkWorkerData, FromChunkWorker, ToChunkWorker } from './chunk-worker-protocol.js';
import type { ChunkerParams } from './fastcdc.js';

/**
 * The daemon's side of the chunk worker: one thread (started on first use)
 * that chunks, hashes and stores the bytes of every fetch, so the main
 * thread, where every FUSE op runs, only moves bytes.
 */

export interface ChunkStreamSink {
  /** A chunk on disk (or not: `problem`), in file order. */
  chunk(offset: number, length: number, hash: string, problem?: CacheDiskProblem, error?: string): void;
  cuts(cuts: readonly number[]): void;
  /** Every chunk has been reported (or the worker died: `error`). */
  finished(error?: Error): void;
}

export interface ChunkStreamOptions {
  start: number;
  size: number;
  params: ChunkerParams;
  knownCuts: readonly number[];
  holdFrom: number;
  trailerScanFrom: number;
}

/** One fetch's bytes on their way to the store. */
export interface ChunkStream {
  push(offset: number, data: Buffer): void;
  finish(): void;
}

const WORKER_URL = new URL('./chunk-worker.js', import.meta.url);

export class ChunkWorkerClient {
  private worker: Worker | undefined;
  private readonly sinks = new Map<number, ChunkStreamSink>();
  private nextStream = 1;
  private disposed = false;
  /** Streams told to finish whose last chunks are not reported yet. */
  private readonly finishing = new Set<number>();
  private settledWaiters: (() => void)[] = [];

  constructor(
    private readonly storeDir: string,
    private readonly logger: Logger,
  ) {}

  open(options: ChunkStreamOptions, sink: ChunkStreamSink): ChunkStream {
    const worker = this.ensureWorker();
    const stream = this.nextStream++;
    this.sinks.set(stream, sink);
    this.post(worker, { type: 'open', stream, ...options, knownCuts: [...options.knownCuts] });
    let finished = false;
    return {
      // A copy goes over: the fetch keeps its bytes to serve readers.
      push: (offset, data) => {
        if (!finished) this.post(worker, { type: 'data', stream, offset, data });
      },
      finish: () => {
        if (finished) return;
        finished = true;
        this.finishing.add(stream);
        this.post(worker, { type: 'finish', stream });
      },
    };
  }

  /** Resolves when every stream told to finish has reported its last chunk. */
  settled(): Promise<void> {
    if (this.finishing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private streamDone(stream: number): void {
    this.sinks.delete(stream);
    this.finishing.delete(stream);
    if (this.finishing.size > 0) return;
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }

  /** Waits for the streams in flight, then stops the thread. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const worker = this.worker;
    if (!worker) return;
    const deadline = Date.now() + 10_000;
    while (this.sinks.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.worker = undefined;
    await worker.terminate();
  }

  private post(worker: Worker, m: ToChunkWorker): void {
    worker.postMessage(m);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    if (this.disposed) throw new Error('the chunk worker is stopped');
    const worker = new Worker(WORKER_URL, { workerData: { storeDir: this.storeDir } satisfies ChunkWorkerData });
    worker.on('message', (m: FromChunkWorker) => {
      const sink = this.sinks.get(m.stream);
      if (!sink) return;
      switch (m.type) {
        case 'chunk':
          sink.chunk(m.offset, m.length, m.hash, m.problem, m.error);
          break;
        case 'cuts':
          sink.cuts(m.cuts);
          break;
        case 'finished':
          this.streamDone(m.stream);
          sink.finished();
          break;
      }
    });
    const fail = (err: Error): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      if (!this.disposed) this.logger.error('the chunk worker stopped; starting a new one for the next fetch', { reason: err.message });
      const sinks = [...this.sinks.entries()];
      for (const [stream, s] of sinks) {
        this.streamDone(stream);
        s.finished(err);
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}
