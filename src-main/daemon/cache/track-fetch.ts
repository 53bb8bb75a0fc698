import { HeadBoundaryScanner, trailerCuts, TRAILER_SCAN_BYTES } from './audio-boundaries.js';
import { StreamingChunker, type ChunkerParams } from './fastcdc.js';
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
  /** A completed chunk, in file order; `data` is its own buffer (not shared with other chunks). */
  chunk(offset: number, data: Buffer): void;
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
  private readonly chunker: StreamingChunker;
  private readonly head: HeadBoundaryScanner | undefined;
  private failure: unknown;
  private finished = false;
  private stopping = false;
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
    // Nothing ending in the trailer zone is cut before the trailer is known.
    this.chunker = new StreamingChunker(options.params, options.start, { holdFrom: Math.max(options.start, options.size - TRAILER_SCAN_BYTES) });
    for (const cut of options.knownCuts) if (cut > options.start && cut < options.limit) this.chunker.addCut(cut);
    this.head = options.start === 0 ? new HeadBoundaryScanner(options.size) : undefined;
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
      this.complete();
    } catch (err) {
      this.failure = err;
      this.pieces.length = 0;
    } finally {
      this.finished = true;
      this.notify();
      await source.close().catch(() => undefined);
    }
  }

  private accept(data: Buffer): void {
    const offset = this.position;
    this.pieces.push({ offset, data });
    this.position += data.length;
    if (this.head && !this.head.done) {
      const cuts = this.head.push(offset, data);
      if (cuts.length > 0) {
        for (const c of cuts) this.chunker.addCut(c);
        this.options.sink.cuts(cuts);
      }
    }
    this.emit(this.chunker.push(data));
    this.notify();
  }

  /** The end: trailer cuts (at end of file), the last chunks, and the pieces let go. */
  private complete(): void {
    if (this.position >= this.size && this.position > this.start) {
      const tailStart = Math.max(this.start, this.size - TRAILER_SCAN_BYTES);
      const tail = this.collect(tailStart, this.size);
      if (tail) for (const cut of trailerCuts(tail, this.size)) if (cut > this.chunker.emitted) this.chunker.addCut(cut);
    }
    this.emit(this.chunker.finish());
  }

  private emit(chunks: readonly { offset: number; length: number; data: Uint8Array }[]): void {
    for (const c of chunks) {
      // A chunk must not pin a larger buffer in the memory tier.
      const data = Buffer.isBuffer(c.data) && c.data.byteOffset === 0 && c.data.buffer.byteLength === c.length ? c.data : Buffer.from(c.data);
      this.options.sink.chunk(c.offset, data);
    }
    // Pieces wholly before the last emitted chunk's end are served by the chunks now.
    const emitted = this.chunker.emitted;
    while (this.pieces.length > 0 && this.pieces[0]!.offset + this.pieces[0]!.data.length <= emitted) this.pieces.shift();
  }

  /** Concatenated held bytes of [from, to), or undefined if not all held. */
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
    return at === to ? Buffer.concat(parts) : undefined;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
