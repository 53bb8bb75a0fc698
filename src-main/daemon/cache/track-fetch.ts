import { TRAILER_SCAN_BYTES } from './audio-boundaries.js';
import type { CacheDiskProblem } from './cache-errors.js';
import type { ChunkStream, ChunkStreamOptions, ChunkStreamSink } from './chunk-worker-client.js';
import type { ChunkerParams } from './fastcdc.js';
import type { RangeSource } from './range-source.js';

/**
 * One sequential fetch of a track version from its origin, from `start` up
 * to `limit`: the bytes are served to readers as soon as they arrive (from
 * `pieces`) and cut into content-defined chunks handed to the sink.
 *
 * The fetch keeps `readAhead` bytes ahead of what readers want and then
 * pauses; a paused fetch that nobody wants more of for `idleMs` finishes
 * (its last chunk is cut where it stopped). It never reads past `limit`,
 * which moves down when another fetch starts further on or bytes there are
 * already cached.
 *
 * Forced cuts: a fetch from offset 0 finds the audio payload's start (end of
 * ID3v2 / FLAC metadata, MP4 boxes) as it streams; one that reaches the end
 * of the file cuts at the start of an ID3v1/APE trailer. So a retag changes
 * only the small head and tail chunks.
 */

export interface FetchSink {
  /** A completed chunk, in file order, on disk under `hash` unless `problem`; `data` is its own buffer. */
  chunk(offset: number, data: Buffer, hash: string, problem?: CacheDiskProblem, error?: string): void;
  /** Head boundaries found while streaming from 0 (kept so later fetches can cut there too). */
  cuts(cuts: readonly number[]): void;
}

export interface FetchOptions {
  start: number;
  size: number;
  limit: number;
  /** Absolute offset readers want up to (plus read-ahead); the fetch pauses there. */
  wanted: number;
  params: ChunkerParams;
  source: RangeSource;
  sink: FetchSink;
  /** Forced cuts known already (from an earlier fetch from 0). */
  knownCuts: readonly number[];
  idleMs: number;
  /** Where the bytes go to be chunked, hashed and stored (the chunk worker). */
  openChunkStream(options: ChunkStreamOptions, sink: ChunkStreamSink): ChunkStream;
}

interface Piece {
  offset: number;
  data: Buffer;
}

const FIRST_PIECE = 128 * 1024;
const MAX_PIECE = 1024 * 1024;

export class TrackFetch {
  readonly start: number;
  private readonly size: number;
  private limitAt: number;
  private wantedUpTo: number;
  private position: number;
  private readonly pieces: Piece[] = [];
  private readonly chunks: ChunkStream;
  /** Bytes before this were handed over as chunks. */
  private chunkedUpTo: number;
  private chunksDone = deferred();
  private failure: unknown;
  private finished = false;
  private stopping = false;
  private readsDone = false;
  private wake: (() => void) | undefined;
  private progress = deferred();
  /** Resolves when the fetch has ended (done or failed). */
  readonly ended: Promise<void>;

  constructor(private readonly options: FetchOptions) {
    this.start = options.start;
    this.size = options.size;
    this.limitAt = options.limit;
    this.wantedUpTo = options.wanted;
    this.position = options.start;
    this.chunkedUpTo = options.start;
    const trailerScanFrom = Math.max(options.start, options.size - TRAILER_SCAN_BYTES);
    this.chunks = options.openChunkStream(
      {
        start: options.start,
        size: options.size,
        params: options.params,
        knownCuts: options.knownCuts.filter((c) => c > options.start && c < options.limit),
        // Nothing ending in the trailer zone is cut before the trailer is known.
        holdFrom: trailerScanFrom,
        trailerScanFrom,
      },
      {
        chunk: (offset, length, hash, problem, error) => this.onChunk(offset, length, hash, problem, error),
        cuts: (cuts) => options.sink.cuts(cuts),
        finished: () => this.chunksDone.resolve(),
      },
    );
    this.ended = this.run();
  }

  /** Bytes fetched so far end here. */
  get pos(): number {
    return this.position;
  }

  get limit(): number {
    return this.limitAt;
  }

  get done(): boolean {
    return this.finished;
  }

  get error(): unknown {
    return this.failure;
  }

  /** Readers want bytes up to `end` (read-ahead included). */
  want(end: number): void {
    if (end <= this.wantedUpTo) return;
    this.wantedUpTo = end;
    this.wake?.();
  }

  /** Stop at `offset` (another fetch or cached bytes start there). */
  setLimit(offset: number): void {
    if (offset >= this.limitAt) return;
    this.limitAt = Math.max(offset, this.position);
    this.wake?.();
  }

  /** Finish soon: no further reads; the chunks so far are cut and handed over. */
  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  /** Resolves at the next arrival of bytes, or when the fetch ends. */
  changed(): Promise<void> {
    return this.progress.promise;
  }

  /** Fetched bytes at `position` (up to `end`) still held by the fetch, or undefined. */
  bytesAt(position: number, end: number): Buffer | undefined {
    for (const p of this.pieces) {
      if (position >= p.offset && position < p.offset + p.data.length) {
        return p.data.subarray(position - p.offset, Math.min(end, p.offset + p.data.length) - p.offset);
      }
    }
    return undefined;
  }

  /** No more origin reads: only the last chunks are still on their way. */
  get readingDone(): boolean {
    return this.readsDone;
  }

  /** Paused: as far ahead as anyone wanted. */
  get paused(): boolean {
    return this.position >= this.wantedUpTo;
  }

  /** Whether a reader at `position` should wait for this fetch rather than start another. */
  reaches(position: number, reach: number): boolean {
    // Bytes before the first held piece were handed over as chunks already.
    const heldFrom = this.pieces[0]?.offset ?? this.position;
    return !this.finished && position >= heldFrom && position < this.limitAt && position <= this.position + reach;
  }

  private notify(): void {
    const p = this.progress;
    this.progress = deferred();
    p.resolve();
  }

  private async run(): Promise<void> {
    const { source, idleMs } = this.options;
    let pieceSize = FIRST_PIECE;
    try {
      while (this.position < this.limitAt && !this.stopping) {
        if (this.position >= this.wantedUpTo) {
          const woken = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), idleMs);
            this.wake = () => {
              clearTimeout(timer);
              resolve(true);
            };
          });
          this.wake = undefined;
          if (!woken) break; // nobody wanted more for a while
          continue;
        }
        const length = Math.min(pieceSize, this.limitAt - this.position);
        pieceSize = Math.min(pieceSize * 2, MAX_PIECE);
        const buffer = Buffer.allocUnsafe(length);
        const got = await source.read(buffer, 0, length, this.position);
        if (got === 0) throw new Error(`the origin file ends at ${this.position}, before its catalogued size ${this.size} (changed since the scan)`);
        // The limit may have moved down while the read was in flight.
        const keep = Math.min(got, Math.max(0, this.limitAt - this.position));
        if (keep === 0) break;
        this.accept(buffer.subarray(0, keep));
      }
    } catch (err) {
      this.failure = err;
    }
    this.readsDone = true;
    await source.close().catch(() => undefined);
    // The chunks of what was fetched are kept even when the fetch failed: those bytes are right.
    this.chunks.finish();
    await this.chunksDone.promise;
    if (this.failure !== undefined) this.pieces.length = 0;
    this.finished = true;
    this.notify();
  }

  private accept(data: Buffer): void {
    const offset = this.position;
    this.pieces.push({ offset, data });
    this.position += data.length;
    this.chunks.push(offset, data);
    this.notify();
  }

  /** A chunk is on disk (or not): its bytes go to the sink, the pieces before it are let go. */
  private onChunk(offset: number, length: number, hash: string, problem?: CacheDiskProblem, error?: string): void {
    const data = this.collect(offset, offset + length);
    this.chunkedUpTo = offset + length;
    if (data) this.options.sink.chunk(offset, data, hash, problem, error);
    while (this.pieces.length > 0 && this.pieces[0]!.offset + this.pieces[0]!.data.length <= this.chunkedUpTo) this.pieces.shift();
    this.notify();
  }

  /** The held bytes of [from, to) in one buffer of their own, or undefined if not all held. */
  private collect(from: number, to: number): Buffer | undefined {
    const parts: Buffer[] = [];
    let at = from;
    for (const p of this.pieces) {
      const pEnd = p.offset + p.data.length;
      if (pEnd <= at || p.offset >= to) continue;
      if (p.offset > at) return undefined;
      parts.push(p.data.subarray(at - p.offset, Math.min(to, pEnd) - p.offset));
      at = Math.min(to, pEnd);
    }
    if (at !== to) return undefined;
    // A copy: a chunk must not pin a larger piece in the memory tier.
    return Buffer.concat(parts, to - from);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
