import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import type { CacheEvictionReason } from '../events.js';
import { CacheIndex, type ManifestEntry } from './cache-index.js';
import { CacheDiskError, classifyDiskError, type CacheDiskProblem } from './cache-errors.js';
import { ChunkWorkerClient, type ChunkStream, type ChunkStreamOptions, type ChunkStreamSink } from './chunk-worker-client.js';
import { CachedTrack, type TrackCacheHost } from './cached-track.js';
import { ChunkStore } from './chunk-store.js';
import { AUDIO_CHUNK_PARAMS, type ChunkerParams } from './fastcdc.js';
import { MemoryTier } from './memory-tier.js';
import type { RangeSourceFactory } from './range-source.js';

/**
 * The chunk cache: content-defined chunks of every track read, stored once
 * by hash on local disk (ChunkStore), listed per track version in a LevelDB
 * index (CacheIndex), with the hottest chunks in memory (MemoryTier).
 *
 * - Reads go through a CachedTrack per fingerprint (shared by every reader).
 * - The disk stays under its limit: above the high watermark the least
 *   recently used unpinned tracks are evicted down to the low watermark;
 *   a full disk (ENOSPC) evicts too.
 * - A cache disk that cannot be written (read-only, dead, full of other
 *   data) puts the cache in passthrough: reads go straight to the origins,
 *   cached chunks are still served when they read back intact, and a probe
 *   every few seconds leaves passthrough when the disk recovers.
 */

export interface ChunkCacheSettings {
  limitBytes: number;
  memoryBytes: number;
  highWatermark: number;
  lowWatermark: number;
  readAheadBytes: number;
}

export interface ChunkCacheEvents {
  evicted(tracks: number, bytes: number, reason: CacheEvictionReason): void;
  passthroughChanged(passthrough: boolean, reason: string): void;
}

export interface ChunkCacheOptions {
  dir: string;
  settings: () => ChunkCacheSettings;
  events: ChunkCacheEvents;
  logger: Logger;
  params?: ChunkerParams;
  /** How often a cache in passthrough checks whether its disk works again. */
  probeIntervalMs?: number;
}

export interface CacheCounters {
  hits: number;
  misses: number;
  evictions: number;
  evictedBytes: number;
  corruptChunks: number;
}

const REACH = 2 * 1024 * 1024;
const FETCH_IDLE_MS = 20_000;
const DEFAULT_PROBE_MS = 5000;
/** Disk writes in flight at once (each up to a chunk). */
const MAX_WRITES = 4;

export class ChunkCache implements TrackCacheHost, AsyncDisposable {
  readonly params: ChunkerParams;
  readonly reach = REACH;
  readonly fetchIdleMs = FETCH_IDLE_MS;
  readonly counters: CacheCounters = { hits: 0, misses: 0, evictions: 0, evictedBytes: 0, corruptChunks: 0 };

  private readonly tracks = new Map<string, CachedTrack>();
  private readonly memory: MemoryTier;
  private passthroughReason = '';
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly pendingWrites = new Set<Promise<void>>();
  private readonly writeQueue: (() => Promise<void>)[] = [];
  private writing = 0;
  private evicting = false;
  /** Hashes written since start: the start-up reconcile must not take them for orphans. */
  private readonly writtenThisRun = new Set<string>();
  private reconciled: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly worker: ChunkWorkerClient;

  private constructor(
    private readonly options: ChunkCacheOptions,
    private readonly store: ChunkStore | undefined,
    private readonly index: CacheIndex | undefined,
    unusableReason: string,
  ) {
    this.params = options.params ?? AUDIO_CHUNK_PARAMS;
    this.memory = new MemoryTier(options.settings().memoryBytes);
    this.worker = new ChunkWorkerClient(join(options.dir, 'store'), options.logger.child('chunk-worker'));
    if (unusableReason) this.enterPassthrough(unusableReason);
  }

  /**
   * Opens the store and index under `dir`. Never fails: a cache folder that
   * cannot be created or an index that cannot be opened gives a cache in
   * passthrough (reads straight from origins).
   */
  static async open(options: ChunkCacheOptions): Promise<ChunkCache> {
    const { dir, logger } = options;
    let store: ChunkStore | undefined;
    let index: CacheIndex | undefined;
    let reason = '';
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      store = await ChunkStore.open(join(dir, 'store'), logger.child('store'));
      const opened = await CacheIndex.open(join(dir, 'index'), logger.child('index'));
      index = opened.index;
      if (opened.rebuilt) logger.warn('the cache index was unreadable and has been rebuilt empty; its chunks will be collected', { dir });
    } catch (err) {
      reason = `cache folder ${dir} is unusable: ${(err as Error).message}`;
      logger.warn('chunk cache unusable: reads go straight to the origins', { dir, reason: (err as Error).message });
      if (!index) store = undefined;
    }
    const cache = new ChunkCache(options, store, index, reason);
    cache.reconciled = cache.reconcile();
    return cache;
  }

  get dir(): string {
    return this.options.dir;
  }

  get passthrough(): boolean {
    return this.passthroughReason !== '';
  }

  get reason(): string {
    return this.passthroughReason;
  }

  /** The read path of a track version; `release` it when done. */
  track(fingerprint: string, size: number, sourceFactory: RangeSourceFactory): CachedTrack {
    let t = this.tracks.get(fingerprint);
    if (!t) {
      const info = this.index?.track(fingerprint);
      // A manifest of another size is of another file: never serve it.
      const usable = info && info.size === size;
      t = new CachedTrack(fingerprint, size, usable ? info.entries : [], usable ? info.cuts : [], sourceFactory, this);
      this.tracks.set(fingerprint, t);
    }
    t.retain(sourceFactory);
    this.index?.touch(fingerprint);
    return t;
  }

  release(track: CachedTrack): void {
    track.release();
    this.sweep(track);
  }

  /** Whether any byte of this version is cached (opens then need no origin). */
  hasCached(fingerprint: string): boolean {
    const info = this.index?.track(fingerprint);
    // `bytes`, not `entries`: the index builds the entry list on demand, and this runs at every open.
    return (info?.bytes ?? 0) > 0 || (this.tracks.get(fingerprint)?.cachedBytes ?? 0) > 0;
  }

  isComplete(fingerprint: string): boolean {
    return this.index?.track(fingerprint)?.complete ?? false;
  }

  /** Caches the whole track (prefetch, pin); `onBytes` hears of progress. */
  async fill(fingerprint: string, size: number, sourceFactory: RangeSourceFactory, onBytes: (n: number) => void, signal?: AbortSignal): Promise<void> {
    if (!this.storing()) throw new CacheDiskError(`the cache cannot store now: ${this.passthroughReason || 'its size limit is 0'}`, 'io', this.dir, 'prefetch');
    const t = this.track(fingerprint, size, sourceFactory);
    try {
      await t.fill(0, size, onBytes, signal);
    } finally {
      this.release(t);
    }
    await this.writesSettled();
  }

  setPinned(fingerprint: string, size: number, pinned: boolean): void {
    this.index?.setPinned(fingerprint, pinned, size);
  }

  isPinned(fingerprint: string): boolean {
    return this.index?.track(fingerprint)?.pinned ?? false;
  }

  /** Drops every cached track (pinned ones only with `includePinned`); returns what was freed. */
  async clear(includePinned: boolean): Promise<{ tracks: number; bytes: number }> {
    if (!this.index) return { tracks: 0, bytes: 0 };
    await this.writesSettled();
    let tracks = 0;
    let bytes = 0;
    for (const t of [...this.index.tracks()]) {
      if (t.pinned && !includePinned) continue;
      bytes += await this.dropTrack(t.fingerprint, true);
      tracks++;
    }
    this.memory.clear();
    if (tracks > 0) this.options.events.evicted(tracks, bytes, 'clear');
    return { tracks, bytes };
  }

  stats(): {
    sizeBytes: number;
    chunks: number;
    tracks: number;
    tracksComplete: number;
    pinnedTracks: number;
    memoryBytes: number;
  } {
    const totals = this.index?.totals;
    return {
      sizeBytes: totals?.chunkBytes ?? 0,
      chunks: totals?.chunks ?? 0,
      tracks: totals?.tracks ?? 0,
      tracksComplete: totals?.completeTracks ?? 0,
      pinnedTracks: totals?.pinnedTracks ?? 0,
      memoryBytes: this.memory.size,
    };
  }

  /** Resolves when every chunk handed over so far is on disk (or given up). */
  async writesSettled(): Promise<void> {
    // Fetches that reached their end: their last chunks come from the worker.
    await Promise.all([...this.tracks.values()].map((t) => t.fetchesEnding()));
    await this.worker.settled();
    while (this.pendingWrites.size > 0 || this.writeQueue.length > 0) await Promise.allSettled([...this.pendingWrites]);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearInterval(this.probeTimer);
    await Promise.all([...this.tracks.values()].map((t) => t.close()));
    this.tracks.clear();
    await this.worker.dispose();
    await this.writesSettled();
    await this.reconciled.catch(() => undefined);
    await this.index?.close().catch((err: unknown) => this.options.logger.warn('closing the cache index failed', { reason: (err as Error).message }));
    this.memory.clear();
  }

  // ---- TrackCacheHost ----

  readAhead(): number {
    return this.options.settings().readAheadBytes;
  }

  storing(): boolean {
    return !this.passthrough && !this.disposed && this.store !== undefined && this.index !== undefined && this.options.settings().limitBytes > 0;
  }

  async chunkData(entry: ManifestEntry): Promise<Buffer | undefined> {
    const inMemory = this.memory.get(entry.hash);
    if (inMemory) return inMemory;
    if (!this.store) return undefined;
    const data = await this.store.get(entry.hash, entry.length);
    if (data) this.memory.set(entry.hash, data);
    return data;
  }

  storeChunk(track: CachedTrack, offset: number, data: Buffer, hash: string, problem?: CacheDiskProblem, error?: string): void {
    const entry: ManifestEntry = { offset, length: data.length, hash };
    if (problem === undefined) {
      this.writtenThisRun.add(hash);
      this.chunkStored(track, entry, data);
      return;
    }
    // The worker could not write it: serve it from memory meanwhile, and
    // handle the disk problem here (a full disk evicts and tries again).
    track.addStaged(entry, data);
    this.enqueueWrite(async () => {
      const stored = await this.retryPut(hash, data, problem, error ?? problem);
      if (!stored) {
        track.unstaged(entry);
        return;
      }
      this.chunkStored(track, entry, data);
    });
  }

  openChunkStream(options: ChunkStreamOptions, sink: ChunkStreamSink): ChunkStream {
    return this.worker.open(options, sink);
  }

  private chunkStored(track: CachedTrack, entry: ManifestEntry, data: Buffer): void {
    if (!this.index) return;
    this.memory.set(entry.hash, data);
    this.index.addEntries(track.fingerprint, track.size, [entry]);
    track.addPersisted(entry);
    this.afterGrowth();
  }

  storeCuts(track: CachedTrack): void {
    this.index?.setCuts(track.fingerprint, track.knownCuts);
  }

  dropChunk(hash: string): void {
    this.counters.corruptChunks++;
    this.memory.delete(hash);
    this.index?.dropChunk(hash);
    for (const t of this.tracks.values()) t.forget(hash);
    this.options.logger.warn('a cached chunk was missing or corrupt; fetching it again', { chunk: hash });
  }

  countRead(hit: boolean): void {
    if (hit) this.counters.hits++;
    else this.counters.misses++;
  }

  // ---- writes, eviction, passthrough ----

  private enqueueWrite(job: () => Promise<void>): void {
    this.writeQueue.push(job);
    this.pumpWrites();
  }

  private pumpWrites(): void {
    while (this.writing < MAX_WRITES && this.writeQueue.length > 0) {
      const job = this.writeQueue.shift()!;
      this.writing++;
      const p = job()
        .catch((err: unknown) => this.options.logger.error('storing a chunk failed', { reason: (err as Error).message }))
        .finally(() => {
          this.writing--;
          this.pendingWrites.delete(p);
          this.pumpWrites();
        });
      this.pendingWrites.add(p);
    }
  }

  /** After the worker failed to write a chunk: a full disk evicts and tries once more; anything else goes passthrough. */
  private async retryPut(hash: string, data: Buffer, problem: CacheDiskProblem, reason: string): Promise<boolean> {
    if (problem === 'full' && this.store && this.storing() && (await this.evictForSpace())) return this.put(hash, data);
    this.enterPassthrough(problem === 'full' ? `the cache disk is full (${this.dir})` : `cannot write the cache (${this.dir}): ${reason}`);
    return false;
  }

  /** Writes a chunk; on a full disk evicts and tries once more; on any other disk error goes passthrough. False when not stored. */
  private async put(hash: string, data: Buffer): Promise<boolean> {
    if (!this.store || !this.storing()) return false;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.put(hash, data);
        this.writtenThisRun.add(hash);
        return true;
      } catch (err) {
        const problem = err instanceof CacheDiskError ? err.problem : classifyDiskError(err);
        if (problem === 'full' && attempt === 0 && (await this.evictForSpace())) continue;
        this.enterPassthrough(problem === 'full' ? `the cache disk is full (${this.dir})` : `cannot write the cache (${this.dir}): ${(err as Error).message}`);
        return false;
      }
    }
  }

  /** Over the high watermark: evict LRU unpinned, unused tracks down to the low watermark. */
  private afterGrowth(): void {
    if (!this.index || this.evicting) return;
    const s = this.options.settings();
    const used = this.index.totals.chunkBytes;
    if (used <= s.limitBytes * s.highWatermark) return;
    const target = s.limitBytes * Math.min(s.lowWatermark, s.highWatermark);
    void this.evictDownTo(target, 'limit');
  }

  /** ENOSPC: free a good share of what the cache holds. True when something was freed. */
  private async evictForSpace(): Promise<boolean> {
    if (!this.index) return false;
    const before = this.index.totals.chunkBytes;
    const s = this.options.settings();
    await this.evictDownTo(Math.min(before * s.lowWatermark, s.limitBytes * s.lowWatermark), 'disk_full');
    return this.index.totals.chunkBytes < before;
  }

  private async evictDownTo(targetBytes: number, reason: CacheEvictionReason): Promise<void> {
    if (!this.index || this.evicting) return;
    this.evicting = true;
    let tracks = 0;
    let bytes = 0;
    try {
      for (const t of this.index.evictionOrder()) {
        if (this.index.totals.chunkBytes <= targetBytes) break;
        if (this.tracks.get(t.fingerprint)?.inUse) continue;
        bytes += await this.dropTrack(t.fingerprint, false);
        tracks++;
      }
    } finally {
      this.evicting = false;
    }
    if (tracks > 0) {
      this.counters.evictions += tracks;
      this.counters.evictedBytes += bytes;
      this.options.logger.info('evicted tracks from the cache', { tracks, bytes, reason });
      this.options.events.evicted(tracks, bytes, reason);
    }
  }

  /** Removes a track's manifest and the chunk files only it used; returns the bytes freed. */
  private async dropTrack(fingerprint: string, force: boolean): Promise<number> {
    if (!this.index) return 0;
    // Measured around the removal alone: chunks of other tracks stored while
    // the files are deleted below must not be subtracted from what was freed.
    const before = this.index.totals.chunkBytes;
    const orphaned = this.index.removeTrack(fingerprint, { force });
    const freed = before - this.index.totals.chunkBytes;
    this.tracks.get(fingerprint)?.forgetAll();
    for (const hash of orphaned) {
      this.memory.delete(hash);
      this.writtenThisRun.delete(hash);
      await this.store?.delete(hash).catch((err: unknown) => this.options.logger.warn('cannot delete a cached chunk', { chunk: hash, reason: (err as Error).message }));
    }
    return freed;
  }

  private enterPassthrough(reason: string): void {
    if (this.passthroughReason !== '') return;
    this.passthroughReason = reason;
    this.options.logger.warn('cache in passthrough: reads go straight to the origins', { reason });
    this.options.events.passthroughChanged(true, reason);
    if (!this.store) return;
    this.probeTimer = setInterval(() => void this.probe(), this.options.probeIntervalMs ?? DEFAULT_PROBE_MS);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    if (!this.store || this.disposed) return;
    const problem = await this.store.probe();
    if (problem !== undefined || this.passthroughReason === '') return;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.passthroughReason = '';
    this.options.logger.info('the cache disk works again: caching resumed', { dir: this.dir });
    this.options.events.passthroughChanged(false, 'the cache disk works again');
  }

  /** Start-up: chunks on disk and the index checked against each other, in the background. */
  private async reconcile(): Promise<void> {
    const { store, index } = this;
    if (!store || !index) return;
    try {
      const result = await index.reconcile({
        list: () => store.list(),
        delete: async (hash) => {
          if (!this.writtenThisRun.has(hash)) await store.delete(hash);
        },
      });
      if (result.orphansDeleted > 0 || result.missingDropped > 0) this.options.logger.info('cache checked against its index', { ...result });
    } catch (err) {
      this.options.logger.warn('checking the cache against its index failed', { reason: (err as Error).message });
    }
  }

  /** Lets go of a track nobody uses once its fetches are done. */
  private sweep(track: CachedTrack): void {
    if (track.users > 0) return;
    if (track.inUse) {
      void track.idle().then(() => this.sweep(track));
      return;
    }
    if (this.tracks.get(track.fingerprint) === track) this.tracks.delete(track.fingerprint);
    // A track in use when the cache crossed its high watermark was passed
    // over then; let go, it can be evicted: check the limit again now.
    if (!this.disposed) this.afterGrowth();
  }

  /** Settings changed at run time (memory tier size; the rest is read when used). */
  applySettings(): void {
    this.memory.setCapacity(this.options.settings().memoryBytes);
    this.afterGrowth();
  }
}
