/**
 * A small cache of byte ranges of one file, so a tag parser's many tiny reads
 * (3, 4, 9 bytes...) become one or two real reads.
 *
 * Origin-agnostic: it sits on a `ByteRangeReader`, so the same code serves a
 * local file (one pread per segment) and, later, a remote object (one ranged
 * GET per segment). A read not covered by a cached segment loads a new
 * segment of at least `segmentBytes` starting there; reads bigger than
 * `maxSegmentBytes` bypass the cache; total cached bytes are bounded.
 */

export interface ByteRangeReader {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `target[offset..]`; 0 only at the end. */
  read(target: Uint8Array, offset: number, length: number, position: number): Promise<number>;
}

export interface SegmentCacheOptions {
  segmentBytes?: number;
  maxSegmentBytes?: number;
  maxCachedBytes?: number;
}

interface Segment {
  start: number;
  data: Uint8Array;
}

export class SegmentCache {
  private readonly segments: Segment[] = [];
  private readonly segmentBytes: number;
  private readonly maxSegmentBytes: number;
  private readonly maxCachedBytes: number;
  private cachedBytes = 0;
  /** Bytes read from the underlying reader (what a remote origin would transfer). */
  bytesFetched = 0;

  constructor(
    private readonly reader: ByteRangeReader,
    options: SegmentCacheOptions = {},
  ) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024;
    this.maxSegmentBytes = options.maxSegmentBytes ?? 1024 * 1024;
    this.maxCachedBytes = options.maxCachedBytes ?? 8 * 1024 * 1024;
  }

  get size(): number {
    return this.reader.size;
  }

  /** Makes [position, position + length) cached (clamped to the file). */
  async load(position: number, length: number): Promise<void> {
    const end = Math.min(this.size, position + length);
    if (position >= end || this.find(position, end) !== undefined) return;
    const segEnd = Math.min(this.size, Math.max(end, position + this.segmentBytes));
    const data = new Uint8Array(segEnd - position);
    const n = await this.fill(data, 0, data.length, position);
    this.add({ start: position, data: n === data.length ? data : data.subarray(0, n) });
  }

  /** The cached bytes of [position, position + length), or undefined if not all cached. */
  slice(position: number, length: number): Uint8Array | undefined {
    const end = Math.min(this.size, position + length);
    const seg = this.find(position, end);
    return seg ? seg.data.subarray(position - seg.start, end - seg.start) : undefined;
  }

  /** Copies up to `length` bytes at `position` into `target`; short only at end of file. */
  async read(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    const end = Math.min(this.size, position + length);
    if (position >= end) return 0;
    let seg = this.find(position, end);
    if (!seg) {
      if (end - position > this.maxSegmentBytes || this.cachedBytes >= this.maxCachedBytes) {
        return this.fill(target, offset, end - position, position);
      }
      await this.load(position, end - position);
      seg = this.find(position, end);
      if (!seg) return this.fill(target, offset, end - position, position);
    }
    target.set(seg.data.subarray(position - seg.start, end - seg.start), offset);
    return end - position;
  }

  private find(position: number, end: number): Segment | undefined {
    for (const s of this.segments) if (s.start <= position && s.start + s.data.length >= end) return s;
    return undefined;
  }

  private add(seg: Segment): void {
    this.segments.push(seg);
    this.cachedBytes += seg.data.length;
  }

  /** Reads until `length` bytes or end of file. */
  private async fill(target: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const n = await this.reader.read(target, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    this.bytesFetched += done;
    return done;
  }
}
