import type { ManifestEntry } from './cache-index.js';
import type { CacheDiskProblem } from './cache-errors.js';
import type { ChunkStream, ChunkStreamOptions, ChunkStreamSink } from './chunk-worker-client.js';
import type { ChunkerParams } from './fastcdc.js';
import type { RangeSource, RangeSourceFactory } from './range-source.js';
import { TrackFetch } from './track-fetch.js';

/**
 * The read path of one track version (fingerprint), shared by every open
 * handle and prefetch of it.
 *
 * A read is served, piece by piece, from (1) cached chunks (memory tier,
 * then disk, verified) or (2) the bytes of a fetch in flight, and where
 * neither has them, (3) a new fetch from the origin starting right there:
 * a seek far ahead does not wait for the file to stream up to it. Fetches
 * stay `readAhead` ahead of the furthest reader, so a player never waits on
 * a chunk boundary. Chunks a fetch completes are handed to the cache, which
 * stores them and tells this track (`addEntry`).
 *
 * While the cache cannot store (passthrough), the uncached parts are read
 * straight from the origin instead.
 */

/** What a track needs of the cache around it. */
export interface TrackCacheHost {
  readonly params: ChunkerParams;
  readAhead(): number;
  /** Bytes within this distance ahead of a fetch are waited for rather than fetched anew. */
  readonly reach: number;
  readonly fetchIdleMs: number;
  /** Can chunks be stored now? (false: passthrough) */
  storing(): boolean;
  /** A cached chunk's bytes (memory tier, then disk, verified), or undefined when gone or bad. */
  chunkData(entry: ManifestEntry): Promise<Buffer | undefined>;
  /** A chunk a fetch completed, on disk under `hash` unless `problem`: index it and keep it warm. */
  storeChunk(track: CachedTrack, offset: number, data: Buffer, hash: string, problem?: CacheDiskProblem, error?: string): void;
  /** Where a fetch's bytes go to be chunked, hashed and stored. */
  openChunkStream(options: ChunkStreamOptions, sink: ChunkStreamSink): ChunkStream;
  /** Head boundaries found while streaming from 0. */
  storeCuts(track: CachedTrack): void;
  /** A chunk on disk was missing or corrupt: forget it everywhere. */
  dropChunk(hash: string): void;
  countRead(hit: boolean): void;
}

export interface CoverageEntry extends ManifestEntry {
  /** Bytes held until the disk write lands (then the memory tier / disk have them). */
  staged?: Buffer;
}

export class CachedTrack {
  /** Sorted by offset, non-overlapping. */
  private entries: CoverageEntry[];
  private readonly fetches: TrackFetch[] = [];
  private direct: RangeSource | undefined;
  private userCount = 0;
  private cuts: number[];

  constructor(
    readonly fingerprint: string,
    readonly size: number,
    entries: readonly ManifestEntry[],
    cuts: readonly number[],
    private sourceFactory: RangeSourceFactory,
    private readonly host: TrackCacheHost,
  ) {
    this.entries = [...entries].sort((a, b) => a.offset - b.offset);
    this.cuts = [...cuts];
  }

  /** Open handles and prefetches using it. */
  get users(): number {
    return this.userCount;
  }

  /** Resolves when the fetches that have stopped reading (reached their limit or failed) have handed over their chunks. */
  async fetchesEnding(): Promise<void> {
    await Promise.all(this.fetches.filter((f) => f.readingDone).map((f) => f.ended));
  }

  /** Resolves when no fetch runs. */
  async idle(): Promise<void> {
    while (this.fetches.some((f) => !f.done)) await Promise.all(this.fetches.map((f) => f.ended));
  }

  /** Used, or still fetching; the cache lets an unused track go. */
  get inUse(): boolean {
    return this.userCount > 0 || this.fetches.some((f) => !f.done);
  }

  retain(sourceFactory?: RangeSourceFactory): void {
    this.userCount++;
    // The newest opener knows the current replicas best.
    if (sourceFactory) this.sourceFactory = sourceFactory;
  }

  /** One user less; with none left, its fetches finish (their chunks are kept). */
  release(): void {
    this.userCount = Math.max(0, this.userCount - 1);
    if (this.userCount === 0) {
      // Every fetch, not only the paused ones: one still reading ahead for the
      // reader that just left would otherwise pause, keep its origin source
      // open and the track in use (not evictable) for fetchIdleMs (20 s).
      for (const f of this.fetches) f.stop();
      void this.closeDirect();
    }
  }

  /** Bytes of cached entries (for stats): the whole file is cached when this equals `size`. */
  get cachedBytes(): number {
    return this.entries.reduce((n, e) => n + e.length, 0);
  }

  get complete(): boolean {
    return this.firstGap(0) >= this.size;
  }

  /** Reads [position, position + length) clipped to the file. */
  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, position + Math.max(0, length));
    if (position >= end) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    const hit = await this.walk(position, end, (b) => void parts.push(b));
    this.host.countRead(hit);
    this.readAheadFrom(end);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** Makes [from, to) cached without copying it out; `onBytes` hears of progress. */
  async fill(from: number, to: number, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
    let cur = from;
    while (cur < to) {
      signal?.throwIfAborted();
      const gap = this.firstGap(cur);
      if (gap > cur) {
        onBytes(Math.min(gap, to) - cur);
        cur = Math.min(gap, to);
        continue;
      }
      // Pull through a fetch: wait until the gap is cached (or the fetch moves on).
      const step = Math.min(to, cur + 4 * 1024 * 1024);
      await this.walk(cur, step, () => undefined, signal);
      onBytes(step - cur);
      cur = step;
    }
  }

  // ---- the cache tells the track ----

  /** A chunk a fetch completed: served from `data` until `persisted`. */
  addStaged(entry: ManifestEntry, data: Buffer): void {
    this.insert({ ...entry, staged: data });
  }

  /** The chunk is on disk and in the index now (served from there; a staged copy is let go). */
  addPersisted(entry: ManifestEntry): void {
    const e = this.entryAt(entry.offset);
    if (e && e.offset === entry.offset && e.hash === entry.hash) delete e.staged;
    else this.insert({ ...entry });
  }

  /** The chunk could not be stored (passthrough): forget it. */
  unstaged(entry: ManifestEntry): void {
    this.entries = this.entries.filter((e) => !(e.offset === entry.offset && e.hash === entry.hash && e.staged));
  }

  /** A chunk is gone from the cache (corrupt, missing, evicted): forget entries with it. */
  forget(hash: string): void {
    this.entries = this.entries.filter((e) => e.hash !== hash || e.staged !== undefined);
  }

  /** Every cached byte dropped (ClearCache, eviction). */
  forgetAll(): void {
    this.entries = this.entries.filter((e) => e.staged !== undefined);
  }

  addCuts(cuts: readonly number[]): void {
    for (const c of cuts) if (!this.cuts.includes(c)) this.cuts.push(c);
    this.cuts.sort((a, b) => a - b);
  }

  get knownCuts(): readonly number[] {
    return this.cuts;
  }

  /** Stops every fetch and the direct source (daemon stop, unmount). */
  async close(): Promise<void> {
    for (const f of this.fetches) f.stop();
    await Promise.all(this.fetches.map((f) => f.ended));
    await this.closeDirect();
  }

  // ---- internals ----

  /**
   * Walks [from, to), giving each piece of bytes to `take` in order; true
   * when every byte came from cached chunks (a hit).
   */
  private async walk(from: number, to: number, take: (b: Buffer) => void, signal?: AbortSignal): Promise<boolean> {
    let cur = from;
    let hit = true;
    while (cur < to) {
      const entry = this.entryAt(cur);
      if (entry) {
        const data = entry.staged ?? (await this.host.chunkData(entry));
        if (data) {
          take(data.subarray(cur - entry.offset, Math.min(to, entry.offset + entry.length) - entry.offset));
          cur = Math.min(to, entry.offset + entry.length);
          continue;
        }
        // Missing or corrupt on disk: forget it and fetch the bytes again.
        this.host.dropChunk(entry.hash);
        this.forget(entry.hash);
      }
      hit = false;
      if (!this.host.storing()) {
        cur = await this.readDirect(cur, Math.min(to, this.nextEntryStart(cur)), take);
        continue;
      }
      const held = this.heldBytes(cur, to);
      if (held) {
        take(held);
        cur += held.length;
        continue;
      }
      const fetch = this.fetchFor(cur);
      fetch.want(Math.min(this.size, to + this.host.readAhead()));
      if (fetch.done) {
        this.removeFetch(fetch);
        if (fetch.error !== undefined) throw fetch.error;
        continue;
      }
      signal?.throwIfAborted();
      await fetch.changed();
    }
    return hit;
  }

  /** Bytes at `cur` held by a fetch, up to `to`. */
  private heldBytes(cur: number, to: number): Buffer | undefined {
    for (const f of this.fetches) {
      const b = f.bytesAt(cur, to);
      if (b && b.length > 0) return b;
    }
    return undefined;
  }

  /** The fetch that will bring `position` soonest, or a new one starting there. */
  private fetchFor(position: number): TrackFetch {
    const reach = this.host.reach;
    for (const f of this.fetches) if (f.reaches(position, reach)) return f;
    // A failed fetch at this spot is reported once, then a new one is tried.
    for (const f of this.fetches) if (f.done && f.error !== undefined && position >= f.start && position < f.limit) return f;
    return this.startFetch(position, position);
  }

  private startFetch(start: number, wantedFrom: number): TrackFetch {
    const limit = Math.min(this.nextEntryStart(start), ...this.fetches.filter((f) => !f.done && f.start > start).map((f) => f.start));
    // Fetches running into this one stop where it starts.
    for (const f of this.fetches) if (!f.done && f.pos <= start && f.limit > start) f.setLimit(start);
    const fetch = new TrackFetch({
      start,
      size: this.size,
      limit,
      wanted: Math.min(this.size, wantedFrom + this.host.readAhead()),
      params: this.host.params,
      source: this.sourceFactory(),
      sink: {
        chunk: (offset, data, hash, problem, error) => this.host.storeChunk(this, offset, data, hash, problem, error),
        cuts: (cuts) => {
          this.addCuts(cuts);
          this.host.storeCuts(this);
        },
      },
      knownCuts: this.cuts,
      idleMs: this.host.fetchIdleMs,
      openChunkStream: (options, sink) => this.host.openChunkStream(options, sink),
    });
    this.fetches.push(fetch);
    void fetch.ended.then(() => {
      // Keep a failed fetch until a reader has seen its error (fetchFor/walk remove it).
      if (fetch.error === undefined) this.removeFetch(fetch);
    });
    return fetch;
  }

  private removeFetch(fetch: TrackFetch): void {
    const i = this.fetches.indexOf(fetch);
    if (i >= 0) this.fetches.splice(i, 1);
  }

  /** After a read ends at `end`: start fetching the next gap if it is within read-ahead. */
  private readAheadFrom(end: number): void {
    if (!this.host.storing() || end >= this.size) return;
    const horizon = Math.min(this.size, end + this.host.readAhead());
    const gap = this.firstGap(end);
    if (gap >= horizon) return;
    const covering = this.fetches.find((f) => !f.done && gap >= f.start && gap < f.limit);
    if (covering) {
      covering.want(horizon);
      return;
    }
    this.startFetch(gap, end);
  }

  /** Passthrough: reads [cur, to) straight from the origin; returns where it got to. */
  private async readDirect(cur: number, to: number, take: (b: Buffer) => void): Promise<number> {
    this.direct ??= this.sourceFactory();
    const buffer = Buffer.allocUnsafe(to - cur);
    const n = await this.direct.read(buffer, 0, to - cur, cur);
    if (n === 0) throw new Error(`the origin file ends at ${cur}, before its catalogued size ${this.size}`);
    take(buffer.subarray(0, n));
    return cur + n;
  }

  private async closeDirect(): Promise<void> {
    const d = this.direct;
    this.direct = undefined;
    await d?.close().catch(() => undefined);
  }

  /** The entry covering `position`, by binary search. */
  private entryAt(position: number): CoverageEntry | undefined {
    const i = this.indexAtOrBefore(position);
    const e = i >= 0 ? this.entries[i] : undefined;
    return e && position < e.offset + e.length ? e : undefined;
  }

  /** Index of the last entry starting at or before `position` (-1 if none). */
  private indexAtOrBefore(position: number): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.offset <= position) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Start of the first entry after `position` (or the size). */
  private nextEntryStart(position: number): number {
    const i = this.indexAtOrBefore(position) + 1;
    return i < this.entries.length ? this.entries[i]!.offset : this.size;
  }

  /** First uncached offset at or after `position`. */
  private firstGap(position: number): number {
    let cur = position;
    let i = this.indexAtOrBefore(cur);
    if (i < 0 || cur >= this.entries[i]!.offset + this.entries[i]!.length) return cur;
    while (i < this.entries.length && this.entries[i]!.offset <= cur) {
      cur = Math.max(cur, this.entries[i]!.offset + this.entries[i]!.length);
      i++;
    }
    return Math.min(cur, this.size);
  }

  private insert(entry: CoverageEntry): void {
    const i = this.indexAtOrBefore(entry.offset);
    const before = i >= 0 ? this.entries[i] : undefined;
    const after = this.entries[i + 1];
    // First writer wins: an overlapping entry (two fetches met) is not added.
    if (before && before.offset + before.length > entry.offset) return;
    if (after && after.offset < entry.offset + entry.length) return;
    this.entries.splice(i + 1, 0, entry);
  }
}
