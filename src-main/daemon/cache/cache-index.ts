import { Level } from 'level';
import { readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../base/logger.js';
import { CacheDiskError, CacheInUseError, classifyDiskError, describeDiskProblem, type CacheDiskProblem } from './cache-errors.js';
import { isChunkHash } from './chunk-store.js';

/**
 * The cache's index: which chunks make up which track version, in LevelDB.
 *
 * Everything a read needs is in memory, loaded at open: lookups are
 * synchronous. Writes change memory at once and reach LevelDB write-behind, in
 * one batch every `flushDelayMs` (or sooner when `maxPendingTracks` tracks are
 * waiting), and on `flush()`/`close()`. A crash loses at most the last batch:
 * manifest entries whose chunks are on disk (those chunks become orphans,
 * collected by `reconcile` at the next start) and some lastAccess times. An
 * entry never points at a chunk that was not written, because callers add
 * entries only after `ChunkStore.put` resolved.
 *
 * Stored (keys are prefix-separated strings, values compact binary):
 *   `v`      → schema version (u32)
 *   `t!<fp>` → the track: size, pinned, forced cuts, manifest entries
 *   `a!<fp>` → lastAccess (f64 ms), apart so a touch does not rewrite the manifest
 * Chunks have no keys of their own: their size is in every entry that uses
 * them and their reference count is counted from the manifests at open, so the
 * two can never disagree after a crash. A chunk's lastAccess is restored as
 * the latest of the tracks that use it.
 *
 * Reference counts count manifest entries: a chunk used twice by one track
 * (silence, a repeated block) counts two. A chunk leaves the index when its
 * count drops to 0.
 *
 * Memory: a chunk is 32 bytes of binary hash, its size, count and lastAccess
 * in typed arrays, found through an open-addressing table (no string, no
 * object per chunk); a manifest entry is 16 bytes in its track's Uint32Array.
 * Measured at 100,000 tracks × 30 entries, 3 M distinct chunks, after open:
 * ~98 bytes per entry (82 in typed arrays, 16 of per-track objects), 293 MB,
 * against ~250 bytes (750 MB) with a Map of hex strings and entry objects;
 * open took 3–5.5 s there.
 */

export interface ManifestEntry {
  offset: number;
  length: number;
  hash: string;
}

/**
 * A track version as the index has it. `track()` and friends return a live,
 * read-only view: it follows later changes; a removed track shows no entries.
 * `entries` is built on first access after a change: on a hot path use
 * `entryAt`/`entriesIn` instead.
 */
export interface TrackInfo {
  readonly fingerprint: string;
  /** Bytes of the file; 0 while unknown (a track pinned before it was read). */
  readonly size: number;
  /** Sorted by offset, not overlapping; may have gaps until the track was read whole. */
  readonly entries: readonly ManifestEntry[];
  /** The entries cover [0, size). */
  readonly complete: boolean;
  readonly pinned: boolean;
  /** ms since the epoch. */
  readonly lastAccess: number;
  /** Forced-cut offsets known for this version (the chunker's; kept as given). */
  readonly cuts: readonly number[];
  /** Sum of entry lengths. */
  readonly bytes: number;
}

export interface ChunkInfo {
  hash: string;
  size: number;
  /** Manifest entries that use the chunk, across tracks. */
  refs: number;
  lastAccess: number;
}

export interface CacheTotals {
  tracks: number;
  completeTracks: number;
  pinnedTracks: number;
  chunks: number;
  /** Bytes of distinct chunks referenced (what the chunk files take). */
  chunkBytes: number;
}

export interface CacheIndexOptions {
  /** Write-behind delay for manifest changes (default 100 ms). */
  flushDelayMs?: number;
  /** Write at once when this many tracks wait to be written (default 1000). */
  maxPendingTracks?: number;
  /** Write-behind delay when only lastAccess times changed (default 5 s). */
  accessFlushDelayMs?: number;
  /** Clock for lastAccess (tests). */
  now?: () => number;
}

export interface ChunkLister {
  list(): AsyncIterable<{ hash: string; size: number }>;
  delete(hash: string): Promise<void>;
}

const SCHEMA_VERSION = 1;
const VERSION_KEY = 'v';
const TRACK_PREFIX = 't!';
const ACCESS_PREFIX = 'a!';
const FINGERPRINT = /^[0-9a-f]{64}$/;

export class CacheIndex {
  private readonly byFingerprint = new Map<string, TrackRecord>();
  private readonly chunkTable = new ChunkTable();
  private completeCount = 0;
  private pinnedCount = 0;
  private dirtyTracks = new Set<string>();
  private dirtyAccess = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private writing: Promise<void> | undefined;
  private failedWrites = 0;
  private closing = false;
  /** While `reconcile` runs: chunk ids seen on disk or added since it started. */
  private reconcileSeen: Uint8Array | undefined;
  private readonly now: () => number;

  private constructor(
    private readonly db: Level<string, Buffer>,
    readonly dir: string,
    private readonly logger: Logger,
    private readonly options: Required<Omit<CacheIndexOptions, 'now'>>,
    now: (() => number) | undefined,
  ) {
    this.now = now ?? Date.now;
  }

  /**
   * Opens (creating) the index in the LevelDB folder `dir` and loads it. An
   * unreadable index (corrupt files, unknown schema) is moved aside to
   * `dir.corrupt-<time>` and a new empty one created: `rebuilt` is true, and the
   * chunks on disk are then orphans for `reconcile`. Throws `CacheInUseError`
   * when another process holds it, `CacheDiskError` when the disk cannot hold
   * even an empty one.
   */
  static async open(dir: string, logger: Logger, options: CacheIndexOptions = {}): Promise<{ index: CacheIndex; rebuilt: boolean }> {
    const settings = {
      flushDelayMs: options.flushDelayMs ?? 100,
      maxPendingTracks: options.maxPendingTracks ?? 1000,
      accessFlushDelayMs: options.accessFlushDelayMs ?? 5000,
    };
    const attempt = async (): Promise<CacheIndex> => {
      const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer', createIfMissing: true });
      await db.open();
      const index = new CacheIndex(db, dir, logger, settings, options.now);
      try {
        await index.load();
      } catch (err) {
        await db.close().catch(() => undefined);
        throw err;
      }
      return index;
    };
    try {
      return { index: await attempt(), rebuilt: false };
    } catch (err) {
      const problem = classifyLevelError(err);
      if (problem === 'locked') throw new CacheInUseError(`the cache index ${dir} is in use by another process`, dir, { cause: err });
      // A full, read-only or forbidden disk is not a corrupt index: keep it.
      if (problem !== undefined) throw new CacheDiskError(`cannot open the cache index ${dir}: ${describeDiskProblem(problem)}`, problem, dir, 'open cache index', { cause: err });
      const aside = `${dir}.corrupt-${Date.now()}`;
      logger.warn('the cache index is unreadable: moved aside, starting empty', { dir, aside, reason: describe(err) });
      try {
        await rename(dir, aside);
      } catch (renameErr) {
        if ((renameErr as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new CacheDiskError(`cannot move the unreadable cache index ${dir} aside`, classifyDiskError(renameErr) ?? 'io', dir, 'move cache index aside', { cause: renameErr });
        }
      }
      await removeOlderCorruptCopies(dir, aside, logger);
      try {
        return { index: await attempt(), rebuilt: true };
      } catch (err2) {
        const problem2 = classifyLevelError(err2);
        if (problem2 === 'locked') throw new CacheInUseError(`the cache index ${dir} is in use by another process`, dir, { cause: err2 });
        throw new CacheDiskError(`cannot create the cache index ${dir}: ${describe(err2)}`, problem2 ?? 'io', dir, 'create cache index', { cause: err2 });
      }
    }
  }

  // ---- lookups (synchronous, from memory) ----

  track(fingerprint: string): TrackInfo | undefined {
    return this.byFingerprint.get(fingerprint)?.viewOf(this.chunkTable);
  }

  /** The entry covering byte `offset` of the track, if cached. */
  entryAt(fingerprint: string, offset: number): ManifestEntry | undefined {
    const rec = this.byFingerprint.get(fingerprint);
    if (!rec) return undefined;
    const i = rec.lowerBound(offset + 1) - 1;
    if (i < 0 || rec.offsetAt(i) + rec.lengthAt(i) <= offset) return undefined;
    return rec.entry(i, this.chunkTable);
  }

  /** The entries overlapping [start, end), in order (gaps are not filled). */
  entriesIn(fingerprint: string, start: number, end: number): ManifestEntry[] {
    const rec = this.byFingerprint.get(fingerprint);
    if (!rec || end <= start) return [];
    const out: ManifestEntry[] = [];
    let i = Math.max(0, rec.lowerBound(start + 1) - 1);
    for (; i < rec.count && rec.offsetAt(i) < end; i++) {
      if (rec.offsetAt(i) + rec.lengthAt(i) > start) out.push(rec.entry(i, this.chunkTable));
    }
    return out;
  }

  chunk(hash: string): ChunkInfo | undefined {
    if (!isChunkHash(hash)) return undefined;
    const id = this.chunkTable.find(hash);
    if (id < 0) return undefined;
    const t = this.chunkTable;
    return { hash, size: t.sizes[id]!, refs: t.refs[id]!, lastAccess: t.lastAccess[id]! };
  }

  *tracks(): IterableIterator<TrackInfo> {
    for (const rec of this.byFingerprint.values()) yield rec.viewOf(this.chunkTable);
  }

  /** Eviction candidates: unpinned tracks, least recently used first. */
  evictionOrder(): TrackInfo[] {
    const candidates: TrackRecord[] = [];
    for (const rec of this.byFingerprint.values()) if (!rec.pinned) candidates.push(rec);
    candidates.sort((a, b) => a.lastAccess - b.lastAccess);
    return candidates.map((rec) => rec.viewOf(this.chunkTable));
  }

  get totals(): CacheTotals {
    return {
      tracks: this.byFingerprint.size,
      completeTracks: this.completeCount,
      pinnedTracks: this.pinnedCount,
      chunks: this.chunkTable.count,
      chunkBytes: this.chunkTable.bytes,
    };
  }

  // ---- changes (memory now, LevelDB write-behind) ----

  /**
   * Adds entries to the track's manifest, creating the track with `size` if
   * new. An entry overlapping one already there (or an earlier one of the same
   * call) is skipped: first writer wins. Call only after the chunks were
   * stored. Returns the entries added.
   */
  addEntries(fingerprint: string, size: number, entries: readonly ManifestEntry[]): ManifestEntry[] {
    this.checkWritable();
    checkFingerprint(fingerprint);
    checkSize(size);
    this.checkEntries(size, entries);
    let rec = this.byFingerprint.get(fingerprint);
    if (rec && rec.size !== size) {
      if (rec.size !== 0 || rec.count !== 0) throw new RangeError(`track ${fingerprint} has size ${rec.size} in the cache index, not ${size}`);
      this.uncount(rec);
      rec.size = size;
      this.count(rec);
    }
    const now = this.now();
    const created = !rec;
    if (!rec) rec = this.createTrack(fingerprint, size, now);
    const sorted = entries.length > 1 ? [...entries].sort((a, b) => a.offset - b.offset) : entries;
    const added: ManifestEntry[] = [];
    const table = this.chunkTable;
    this.uncount(rec);
    for (const e of sorted) {
      const at = rec.lowerBound(e.offset);
      if (at > 0 && rec.offsetAt(at - 1) + rec.lengthAt(at - 1) > e.offset) continue;
      if (at < rec.count && rec.offsetAt(at) < e.offset + e.length) continue;
      let id = table.find(e.hash);
      if (id < 0) id = table.insert(e.hash, e.length, now);
      table.refs[id]!++;
      table.lastAccess[id] = now;
      if (this.reconcileSeen && id < this.reconcileSeen.length) this.reconcileSeen[id] = 1;
      rec.insertAt(at, e.offset, e.length, id);
      added.push(e);
    }
    if (rec.complete) rec.trim();
    this.count(rec);
    if (added.length > 0 || created) this.markDirty(fingerprint);
    return added;
  }

  /** Stores the track's known forced-cut offsets (kept as given). Creates the track, size unknown, if new. */
  setCuts(fingerprint: string, cuts: readonly number[]): void {
    this.checkWritable();
    checkFingerprint(fingerprint);
    if (!cuts.every((c) => Number.isFinite(c))) throw new RangeError('forced cuts must be finite numbers');
    const rec = this.byFingerprint.get(fingerprint) ?? this.createTrack(fingerprint, 0, this.now());
    if (sameNumbers(rec.cuts, cuts)) return;
    rec.cuts = Object.freeze([...cuts]);
    this.markDirty(fingerprint);
  }

  /** Marks the track and its chunks used now. Persisted lazily (lastAccess only, under its own key). */
  touch(fingerprint: string, now = this.now()): void {
    const rec = this.byFingerprint.get(fingerprint);
    if (!rec || this.closing) return;
    rec.lastAccess = now;
    const table = this.chunkTable;
    for (let i = 0; i < rec.count; i++) table.lastAccess[rec.chunkAt(i)] = now;
    if (!this.dirtyTracks.has(fingerprint)) this.dirtyAccess.add(fingerprint);
    this.schedule(this.options.accessFlushDelayMs);
  }

  /** Pins or unpins; pinning a track the index does not have creates it empty (`size` if known). */
  setPinned(fingerprint: string, pinned: boolean, size?: number): void {
    this.checkWritable();
    checkFingerprint(fingerprint);
    if (size !== undefined) checkSize(size);
    let rec = this.byFingerprint.get(fingerprint);
    if (!rec) {
      if (!pinned) return;
      rec = this.createTrack(fingerprint, size ?? 0, this.now());
    }
    this.uncount(rec);
    const changed = rec.pinned !== pinned || (size !== undefined && rec.size === 0 && rec.count === 0 && size !== 0);
    rec.pinned = pinned;
    if (size !== undefined && rec.size === 0 && rec.count === 0) rec.size = size;
    this.count(rec);
    if (changed) this.markDirty(fingerprint);
  }

  /**
   * Removes the track. Returns the hashes no track uses any more: the caller
   * deletes their files. A pinned track is kept (returns []) unless `force`.
   */
  removeTrack(fingerprint: string, options: { force?: boolean } = {}): string[] {
    this.checkWritable();
    const rec = this.byFingerprint.get(fingerprint);
    if (!rec || (rec.pinned && !options.force)) return [];
    this.uncount(rec);
    this.byFingerprint.delete(fingerprint);
    const table = this.chunkTable;
    const unused: string[] = [];
    for (let i = 0; i < rec.count; i++) {
      const id = rec.chunkAt(i);
      if (--table.refs[id]! === 0) {
        unused.push(table.hashOf(id));
        table.remove(id);
      }
    }
    rec.detach();
    this.dirtyAccess.delete(fingerprint);
    this.markDirty(fingerprint);
    return unused;
  }

  /** Removes a chunk from every manifest (its file is missing or corrupt); those tracks become incomplete. Scans all manifests: for rare events. */
  dropChunk(hash: string): void {
    this.checkWritable();
    if (!isChunkHash(hash)) throw new RangeError(`not a chunk hash: ${JSON.stringify(hash.slice(0, 80))}`);
    const id = this.chunkTable.find(hash);
    if (id >= 0) this.dropChunkIds((x) => x === id);
  }

  /**
   * Checks the index against the chunk files. Files the index does not know
   * are deleted (orphans: from a crash between a put and the index write, or a
   * rebuilt index); files of another size than the index's are deleted and,
   * like chunks with no file, dropped from their manifests. Safe to run while
   * the cache works: chunks added meanwhile count as present (the caller must
   * not delete files it wrote meanwhile: they may not be indexed yet).
   */
  async reconcile(store: ChunkLister): Promise<{ orphansDeleted: number; missingDropped: number }> {
    this.checkWritable();
    if (this.reconcileSeen) throw new Error('the cache index is already being reconciled');
    const table = this.chunkTable;
    const seen = new Uint8Array(table.idLimit);
    this.reconcileSeen = seen;
    let orphansDeleted = 0;
    let deleteFailures = 0;
    let firstFailure: unknown;
    const remove = async (hash: string): Promise<boolean> => {
      try {
        await store.delete(hash);
        return true;
      } catch (err) {
        deleteFailures++;
        firstFailure ??= err;
        return false;
      }
    };
    try {
      for await (const { hash, size } of store.list()) {
        if (!isChunkHash(hash)) continue;
        const id = table.find(hash);
        if (id < 0) {
          if (await remove(hash)) orphansDeleted++;
        } else if (table.sizes[id] !== size) {
          // Torn by a power loss (no fsync per chunk): fetched again when needed.
          await remove(hash);
          if (id < seen.length) seen[id] = 0;
        } else if (id < seen.length) {
          seen[id] = 1;
        }
      }
      if (this.closing) return { orphansDeleted, missingDropped: 0 };
      const missing = new Set<number>();
      for (let id = 0; id < seen.length; id++) if (seen[id] === 0 && table.refs[id]! > 0) missing.add(id);
      if (missing.size > 0) this.dropChunkIds((id) => missing.has(id));
      if (deleteFailures > 0) this.logger.warn('some chunk files could not be deleted', { count: deleteFailures, reason: describe(firstFailure) });
      return { orphansDeleted, missingDropped: missing.size };
    } finally {
      this.reconcileSeen = undefined;
    }
  }

  /** Writes every pending change to LevelDB. Rejects with `CacheDiskError` when the batch fails (the changes stay pending). */
  async flush(): Promise<void> {
    this.cancelTimer();
    for (;;) {
      if (this.writing) {
        await this.writing.catch(() => undefined);
        continue;
      }
      if (this.dirtyTracks.size === 0 && this.dirtyAccess.size === 0) return;
      const write = this.writeBatch();
      this.writing = write;
      try {
        await write;
      } finally {
        if (this.writing === write) this.writing = undefined;
      }
    }
  }

  /** Flushes and closes LevelDB. The in-memory lookups keep answering; changes throw. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    try {
      await this.flush();
    } finally {
      this.cancelTimer();
      await this.db.close();
    }
  }

  // ---- internals ----

  private createTrack(fingerprint: string, size: number, now: number): TrackRecord {
    const rec = new TrackRecord(fingerprint, size, now);
    this.byFingerprint.set(fingerprint, rec);
    this.count(rec);
    return rec;
  }

  /** Totals by state: take a track out before changing it, put it back after. */
  private uncount(rec: TrackRecord): void {
    if (rec.complete) this.completeCount--;
    if (rec.pinned) this.pinnedCount--;
  }

  private count(rec: TrackRecord): void {
    if (rec.complete) this.completeCount++;
    if (rec.pinned) this.pinnedCount++;
  }

  private dropChunkIds(dropped: (id: number) => boolean): void {
    const table = this.chunkTable;
    const freed = new Set<number>();
    for (const rec of this.byFingerprint.values()) {
      let changed = false;
      this.uncount(rec);
      rec.removeWhere((id) => {
        if (!dropped(id)) return false;
        if (--table.refs[id]! === 0) freed.add(id);
        changed = true;
        return true;
      });
      this.count(rec);
      if (changed) this.markDirty(rec.fingerprint);
    }
    for (const id of freed) table.remove(id);
  }

  private checkEntries(size: number, entries: readonly ManifestEntry[]): void {
    const lengths = new Map<string, number>();
    for (const e of entries) {
      if (!isChunkHash(e.hash)) throw new RangeError(`not a chunk hash: ${JSON.stringify(String(e.hash).slice(0, 80))}`);
      if (!Number.isSafeInteger(e.offset) || e.offset < 0 || !Number.isSafeInteger(e.length) || e.length < 1 || e.offset + e.length > size || e.length > MAX_CHUNK_LENGTH) {
        throw new RangeError(`manifest entry [${e.offset}, +${e.length}) does not fit a track of ${size} bytes`);
      }
      const known = this.chunkTable.find(e.hash);
      const length = known >= 0 ? this.chunkTable.sizes[known]! : lengths.get(e.hash);
      if (length !== undefined && length !== e.length) throw new RangeError(`chunk ${e.hash} is ${length} bytes, not ${e.length}`);
      lengths.set(e.hash, e.length);
    }
  }

  private checkWritable(): void {
    if (this.closing) throw new Error(`the cache index ${this.dir} is closed`);
  }

  private markDirty(fingerprint: string): void {
    this.dirtyTracks.add(fingerprint);
    this.schedule(this.dirtyTracks.size >= this.options.maxPendingTracks ? 0 : this.options.flushDelayMs);
  }

  /** Arms the write-behind timer to fire within `delayMs` (an earlier one stays). */
  private schedule(delayMs: number): void {
    if (this.closing) return;
    const due = Date.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      void this.flush().then(
        () => {
          this.failedWrites = 0;
        },
        (err: unknown) => {
          // Keep the changes and try again later; say it once, not every time.
          if (this.failedWrites++ === 0) this.logger.warn('cannot write the cache index; will retry', { dir: this.dir, reason: describe(err) });
          this.schedule(Math.min(30_000, 1000 * 2 ** Math.min(this.failedWrites, 5)));
        },
      );
    }, delayMs);
    // Pending writes alone must not keep the daemon alive: close() flushes.
    this.timer.unref();
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  private async writeBatch(): Promise<void> {
    const tracks = this.dirtyTracks;
    const access = this.dirtyAccess;
    this.dirtyTracks = new Set();
    this.dirtyAccess = new Set();
    type Op = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };
    const ops: Op[] = [];
    for (const fp of tracks) {
      const rec = this.byFingerprint.get(fp);
      if (rec) {
        ops.push({ type: 'put', key: TRACK_PREFIX + fp, value: encodeTrack(rec, this.chunkTable) });
        ops.push({ type: 'put', key: ACCESS_PREFIX + fp, value: encodeAccess(rec.lastAccess) });
      } else {
        ops.push({ type: 'del', key: TRACK_PREFIX + fp }, { type: 'del', key: ACCESS_PREFIX + fp });
      }
    }
    for (const fp of access) {
      if (tracks.has(fp)) continue;
      const rec = this.byFingerprint.get(fp);
      ops.push(rec ? { type: 'put', key: ACCESS_PREFIX + fp, value: encodeAccess(rec.lastAccess) } : { type: 'del', key: ACCESS_PREFIX + fp });
    }
    try {
      await this.db.batch(ops);
    } catch (err) {
      for (const fp of tracks) this.dirtyTracks.add(fp);
      for (const fp of access) this.dirtyAccess.add(fp);
      const problem = classifyLevelError(err);
      throw new CacheDiskError(`cannot write the cache index ${this.dir}: ${describe(err)}`, problem === 'locked' || problem === undefined ? 'io' : problem, this.dir, 'write index batch', { cause: err });
    }
  }

  private async load(): Promise<void> {
    const version = await this.db.get(VERSION_KEY);
    if (version === undefined) {
      // A new index, or one without a version we cannot trust.
      const any = await this.db.keys({ limit: 1 }).all();
      if (any.length > 0) throw new IndexFormatError('the cache index has no schema version');
      await this.db.put(VERSION_KEY, encodeVersion(SCHEMA_VERSION));
      return;
    }
    if (version.length !== 4 || version.readUInt32LE(0) !== SCHEMA_VERSION) throw new IndexFormatError('the cache index has another schema version');

    const access = new Map<string, number>();
    for await (const [key, value] of this.entriesUnder(ACCESS_PREFIX)) {
      const fp = key.slice(ACCESS_PREFIX.length);
      if (value.length === 8) access.set(fp, value.readDoubleLE(0));
      else this.dirtyAccess.add(fp);
    }
    let dropped = 0;
    const table = this.chunkTable;
    for await (const [key, value] of this.entriesUnder(TRACK_PREFIX)) {
      const fp = key.slice(TRACK_PREFIX.length);
      const lastAccess = access.get(fp) ?? 0;
      access.delete(fp);
      const decoded = FINGERPRINT.test(fp) ? decodeTrack(value) : undefined;
      if (!decoded) {
        dropped++;
        this.dirtyTracks.add(fp); // no record: the flush deletes its keys
        continue;
      }
      const rec = new TrackRecord(fp, decoded.size, lastAccess);
      rec.pinned = decoded.pinned;
      rec.cuts = decoded.cuts;
      rec.reserve(decoded.count);
      let conflicts = false;
      for (let i = 0; i < decoded.count; i++) {
        const at = decoded.entriesAt + i * STORED_ENTRY_BYTES;
        const offset = value.readDoubleLE(at);
        const length = value.readUInt32LE(at + 8);
        table.setProbeBytes(value, at + 12);
        let id = table.findProbe();
        if (id < 0) id = table.insertProbe(length, lastAccess);
        else if (table.sizes[id] !== length) {
          conflicts = true; // the same bytes cannot have two lengths: drop this entry
          continue;
        }
        table.refs[id]!++;
        if (table.lastAccess[id]! < lastAccess) table.lastAccess[id] = lastAccess;
        rec.insertAt(rec.count, offset, length, id);
      }
      this.byFingerprint.set(fp, rec);
      this.count(rec);
      if (conflicts) {
        dropped++;
        this.dirtyTracks.add(fp);
      }
    }
    table.trim();
    // lastAccess keys of tracks that are gone.
    for (const fp of access.keys()) this.dirtyAccess.add(fp);
    if (dropped > 0) this.logger.warn('dropped unreadable entries from the cache index', { tracks: dropped });
    if (this.dirtyTracks.size > 0 || this.dirtyAccess.size > 0) this.schedule(this.options.flushDelayMs);
  }
  /** Every key/value under `prefix`, read in large native batches (the default 16 KiB costs a thread hop per dozen tracks). */
  private async *entriesUnder(prefix: string): AsyncGenerator<[string, Buffer]> {
    const iterator = this.db.iterator({ gte: prefix, lt: prefixEnd(prefix), highWaterMarkBytes: LOAD_BATCH_BYTES });
    try {
      for (;;) {
        const batch = await iterator.nextv(LOAD_BATCH_ENTRIES);
        if (batch.length === 0) return;
        yield* batch;
      }
    } finally {
      await iterator.close();
    }
  }
}

const LOAD_BATCH_BYTES = 4 * 1024 * 1024;
const LOAD_BATCH_ENTRIES = 4096;

/** An index we cannot read as ours (moved aside, like a corrupt one). */
class IndexFormatError extends Error {
  override readonly name = 'IndexFormatError';
}

// ---- tracks in memory ----

/** Entries are 4 × u32 each: offset low, offset high, length, chunk id. */
const ENTRY_WORDS = 4;
const NO_ENTRIES = new Uint32Array(0);
const NO_CUTS: readonly number[] = Object.freeze([]);
const TWO_32 = 2 ** 32;
/** A chunk is at most 1 MiB; refuse nonsense long before u32 overflows. */
const MAX_CHUNK_LENGTH = 64 * 1024 * 1024;

class TrackRecord {
  pinned = false;
  cuts: readonly number[] = NO_CUTS;
  count = 0;
  bytes = 0;
  /** Bumped when entries change (views rebuild their `entries`). */
  version = 0;
  private words: Uint32Array = NO_ENTRIES;
  private view: TrackView | undefined;

  constructor(
    readonly fingerprint: string,
    public size: number,
    public lastAccess: number,
  ) {}

  get complete(): boolean {
    return this.size > 0 && this.bytes === this.size;
  }

  offsetAt(i: number): number {
    return this.words[i * ENTRY_WORDS + 1]! * TWO_32 + this.words[i * ENTRY_WORDS]!;
  }

  lengthAt(i: number): number {
    return this.words[i * ENTRY_WORDS + 2]!;
  }

  chunkAt(i: number): number {
    return this.words[i * ENTRY_WORDS + 3]!;
  }

  entry(i: number, table: ChunkTable): ManifestEntry {
    return Object.freeze({ offset: this.offsetAt(i), length: this.lengthAt(i), hash: table.hashOf(this.chunkAt(i)) });
  }

  /** Index of the first entry whose offset is >= `offset`. */
  lowerBound(offset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsetAt(mid) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  reserve(entries: number): void {
    if (this.words.length >= entries * ENTRY_WORDS) return;
    const grown = new Uint32Array(entries * ENTRY_WORDS);
    grown.set(this.words.subarray(0, this.count * ENTRY_WORDS));
    this.words = grown;
  }

  insertAt(i: number, offset: number, length: number, chunkId: number): void {
    if ((this.count + 1) * ENTRY_WORDS > this.words.length) this.reserve(Math.max(8, this.count * 2));
    const w = this.words;
    if (i < this.count) w.copyWithin((i + 1) * ENTRY_WORDS, i * ENTRY_WORDS, this.count * ENTRY_WORDS);
    const at = i * ENTRY_WORDS;
    w[at] = offset >>> 0;
    w[at + 1] = Math.floor(offset / TWO_32);
    w[at + 2] = length;
    w[at + 3] = chunkId;
    this.count++;
    this.bytes += length;
    this.version++;
  }

  /** Removes the entries whose chunk id matches, keeping order. */
  removeWhere(matches: (chunkId: number) => boolean): void {
    const w = this.words;
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const from = i * ENTRY_WORDS;
      if (matches(w[from + 3]!)) {
        this.bytes -= w[from + 2]!;
        continue;
      }
      if (kept !== i) w.copyWithin(kept * ENTRY_WORDS, from, from + ENTRY_WORDS);
      kept++;
    }
    if (kept !== this.count) {
      this.count = kept;
      this.version++;
    }
  }

  /** A complete track grows no more: give back the spare capacity. */
  trim(): void {
    if (this.words.length > this.count * ENTRY_WORDS) this.words = this.words.slice(0, this.count * ENTRY_WORDS);
  }

  /** Removed from the index: views show no entries (chunk ids may be reused). */
  detach(): void {
    this.words = NO_ENTRIES;
    this.count = 0;
    this.bytes = 0;
    this.version++;
  }

  viewOf(table: ChunkTable): TrackView {
    return (this.view ??= new TrackView(this, table));
  }
}

class TrackView implements TrackInfo {
  private built: readonly ManifestEntry[] = NO_MANIFEST;
  private builtVersion = 0;

  constructor(
    private readonly rec: TrackRecord,
    private readonly table: ChunkTable,
  ) {}

  get fingerprint(): string {
    return this.rec.fingerprint;
  }
  get size(): number {
    return this.rec.size;
  }
  get complete(): boolean {
    return this.rec.complete;
  }
  get pinned(): boolean {
    return this.rec.pinned;
  }
  get lastAccess(): number {
    return this.rec.lastAccess;
  }
  get cuts(): readonly number[] {
    return this.rec.cuts;
  }
  get bytes(): number {
    return this.rec.bytes;
  }
  get entries(): readonly ManifestEntry[] {
    if (this.builtVersion !== this.rec.version) {
      const out: ManifestEntry[] = new Array<ManifestEntry>(this.rec.count);
      for (let i = 0; i < this.rec.count; i++) out[i] = this.rec.entry(i, this.table);
      this.built = Object.freeze(out);
      this.builtVersion = this.rec.version;
    }
    return this.built;
  }
}

const NO_MANIFEST: readonly ManifestEntry[] = Object.freeze([]);

// ---- chunks in memory ----

const HASH_BYTES = 32;
const HASH_WORDS = 8;

/**
 * Chunks by binary hash: an open-addressing table (linear probing, at most
 * half full, backward-shift deletion) of ids into typed arrays. The hash is
 * already uniform, so its first word is the bucket.
 */
class ChunkTable {
  count = 0;
  bytes = 0;
  sizes: Uint32Array;
  refs: Uint32Array;
  lastAccess: Float64Array;
  private hashBytes: Buffer;
  private hashWords: Uint32Array;
  /** id + 1 per slot; 0 is empty. */
  private slots: Int32Array;
  private mask: number;
  private nextId = 0;
  private readonly freeIds: number[] = [];
  private readonly probeBytes: Buffer;
  private readonly probeWords: Uint32Array;

  constructor(initialIds = 1024) {
    const probe = new ArrayBuffer(HASH_BYTES);
    this.probeBytes = Buffer.from(probe);
    this.probeWords = new Uint32Array(probe);
    const hashes = new ArrayBuffer(initialIds * HASH_BYTES);
    this.hashBytes = Buffer.from(hashes);
    this.hashWords = new Uint32Array(hashes);
    this.sizes = new Uint32Array(initialIds);
    this.refs = new Uint32Array(initialIds);
    this.lastAccess = new Float64Array(initialIds);
    this.slots = new Int32Array(initialIds * 2);
    this.mask = this.slots.length - 1;
  }

  /** Ids in use are below this. */
  get idLimit(): number {
    return this.nextId;
  }

  /** The id of a (valid, lowercase hex) hash, or -1. */
  find(hash: string): number {
    this.probeBytes.write(hash, 0, HASH_BYTES, 'hex');
    return this.findProbe();
  }

  insert(hash: string, size: number, lastAccess: number): number {
    this.probeBytes.write(hash, 0, HASH_BYTES, 'hex');
    return this.insertProbe(size, lastAccess);
  }

  setProbeBytes(source: Buffer, at: number): void {
    source.copy(this.probeBytes, 0, at, at + HASH_BYTES);
  }

  findProbe(): number {
    const w = this.probeWords;
    const hw = this.hashWords;
    for (let i = w[0]! & this.mask; ; i = (i + 1) & this.mask) {
      const slot = this.slots[i]!;
      if (slot === 0) return -1;
      const base = (slot - 1) * HASH_WORDS;
      if (hw[base] === w[0] && hw[base + 1] === w[1] && hw[base + 2] === w[2] && hw[base + 3] === w[3] && hw[base + 4] === w[4] && hw[base + 5] === w[5] && hw[base + 6] === w[6] && hw[base + 7] === w[7]) {
        return slot - 1;
      }
    }
  }

  /** Adds the probed hash (absent) with refs 0; returns its id. */
  insertProbe(size: number, lastAccess: number): number {
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const id = this.freeIds.pop() ?? this.nextId++;
    if (id >= this.sizes.length) this.growIds();
    this.hashWords.set(this.probeWords, id * HASH_WORDS);
    this.sizes[id] = size;
    this.refs[id] = 0;
    this.lastAccess[id] = lastAccess;
    this.place(id);
    this.count++;
    this.bytes += size;
    return id;
  }

  remove(id: number): void {
    const mask = this.mask;
    let hole = this.home(id);
    while (this.slots[hole] !== id + 1) hole = (hole + 1) & mask;
    // Backward-shift: pull later entries of the probe run into the hole
    // unless their home lies cyclically in (hole, j].
    for (let j = (hole + 1) & mask; this.slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.home(this.slots[j]! - 1);
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (!stays) {
        this.slots[hole] = this.slots[j]!;
        hole = j;
      }
    }
    this.slots[hole] = 0;
    this.count--;
    this.bytes -= this.sizes[id]!;
    this.sizes[id] = 0;
    this.refs[id] = 0;
    this.freeIds.push(id);
  }

  hashOf(id: number): string {
    return this.hashBytes.toString('hex', id * HASH_BYTES, (id + 1) * HASH_BYTES);
  }

  copyHash(id: number, target: Buffer, at: number): void {
    this.hashBytes.copy(target, at, id * HASH_BYTES, (id + 1) * HASH_BYTES);
  }

  private home(id: number): number {
    return this.hashWords[id * HASH_WORDS]! & this.mask;
  }

  private place(id: number): void {
    let i = this.home(id);
    while (this.slots[i] !== 0) i = (i + 1) & this.mask;
    this.slots[i] = id + 1;
  }

  private rehash(slotCount: number): void {
    const old = this.slots;
    this.slots = new Int32Array(slotCount);
    this.mask = slotCount - 1;
    for (const slot of old) if (slot !== 0) this.place(slot - 1);
  }

  /** After a bulk load: drop most of the spare id capacity that doubling left (up to half the arrays). */
  trim(): void {
    if (this.freeIds.length > 0) return;
    const cap = Math.max(1024, Math.ceil(this.nextId * 1.125));
    if (cap < this.sizes.length) this.resizeIds(cap);
  }

  private growIds(): void {
    this.resizeIds(this.sizes.length * 2);
  }

  private resizeIds(cap: number): void {
    const hashes = new ArrayBuffer(cap * HASH_BYTES);
    const bytes = Buffer.from(hashes);
    this.hashBytes.copy(bytes, 0, 0, Math.min(this.hashBytes.length, bytes.length));
    this.hashBytes = bytes;
    this.hashWords = new Uint32Array(hashes);
    this.sizes = copyInto(this.sizes, new Uint32Array(cap));
    this.refs = copyInto(this.refs, new Uint32Array(cap));
    this.lastAccess = copyInto(this.lastAccess, new Float64Array(cap));
  }
}

function copyInto<T extends Uint32Array | Float64Array>(from: T, to: T): T {
  to.set(from.length <= to.length ? from : from.subarray(0, to.length));
  return to;
}

// ---- stored form ----

/**
 * Track value: u8 format (1), u8 flags (1 = pinned), u16 0, u32 entry count,
 * u32 cut count, u32 0, f64 size, f64 × cuts, then per entry f64 offset,
 * u32 length, 32-byte hash (44 bytes). Little-endian.
 */
const TRACK_FORMAT = 1;
const TRACK_HEADER_BYTES = 24;
const STORED_ENTRY_BYTES = 44;

function encodeTrack(rec: TrackRecord, table: ChunkTable): Buffer {
  const cutsAt = TRACK_HEADER_BYTES;
  const entriesAt = cutsAt + rec.cuts.length * 8;
  const out = Buffer.alloc(entriesAt + rec.count * STORED_ENTRY_BYTES);
  out.writeUInt8(TRACK_FORMAT, 0);
  out.writeUInt8(rec.pinned ? 1 : 0, 1);
  out.writeUInt32LE(rec.count, 4);
  out.writeUInt32LE(rec.cuts.length, 8);
  out.writeDoubleLE(rec.size, 16);
  rec.cuts.forEach((cut, i) => out.writeDoubleLE(cut, cutsAt + i * 8));
  for (let i = 0; i < rec.count; i++) {
    const at = entriesAt + i * STORED_ENTRY_BYTES;
    out.writeDoubleLE(rec.offsetAt(i), at);
    out.writeUInt32LE(rec.lengthAt(i), at + 8);
    table.copyHash(rec.chunkAt(i), out, at + 12);
  }
  return out;
}

interface DecodedTrack {
  size: number;
  pinned: boolean;
  cuts: readonly number[];
  count: number;
  entriesAt: number;
}

/** The track's header, with its entries checked (in range, sorted, not overlapping); undefined when it is not a track value we wrote. */
function decodeTrack(value: Buffer): DecodedTrack | undefined {
  if (value.length < TRACK_HEADER_BYTES || value.readUInt8(0) !== TRACK_FORMAT) return undefined;
  const count = value.readUInt32LE(4);
  const cutCount = value.readUInt32LE(8);
  const size = value.readDoubleLE(16);
  const entriesAt = TRACK_HEADER_BYTES + cutCount * 8;
  if (value.length !== entriesAt + count * STORED_ENTRY_BYTES || !Number.isSafeInteger(size) || size < 0) return undefined;
  const cuts: number[] = [];
  for (let i = 0; i < cutCount; i++) cuts.push(value.readDoubleLE(TRACK_HEADER_BYTES + i * 8));
  let end = 0;
  for (let i = 0; i < count; i++) {
    const at = entriesAt + i * STORED_ENTRY_BYTES;
    const offset = value.readDoubleLE(at);
    const length = value.readUInt32LE(at + 8);
    if (!Number.isSafeInteger(offset) || offset < end || length < 1 || offset + length > size) return undefined;
    end = offset + length;
  }
  return { size, pinned: (value.readUInt8(1) & 1) === 1, cuts: cuts.length > 0 ? Object.freeze(cuts) : NO_CUTS, count, entriesAt };
}

function encodeAccess(ms: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeDoubleLE(ms, 0);
  return out;
}

function encodeVersion(version: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(version, 0);
  return out;
}

/** The first key after every key starting with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

// ---- helpers ----

function checkFingerprint(fingerprint: string): void {
  if (!FINGERPRINT.test(fingerprint)) throw new RangeError(`not a track fingerprint (64 lowercase hex digits): ${JSON.stringify(String(fingerprint).slice(0, 80))}`);
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`not a track size: ${size}`);
}

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function describe(err: unknown): string {
  const cause = (err as Error | undefined)?.cause as Error | undefined;
  const message = err instanceof Error ? err.message : String(err);
  return cause?.message ? `${message}: ${cause.message}` : message;
}

/**
 * LevelDB reports errors as status strings ("IO error: …: No space left on
 * device") under `cause`, not as errno codes: read both.
 */
function classifyLevelError(err: unknown): CacheDiskProblem | 'locked' | undefined {
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; e = (e as Error).cause, depth++) {
    if ((e as { code?: unknown }).code === 'LEVEL_LOCKED') return 'locked';
    const problem = classifyDiskError(e);
    if (problem !== undefined) return problem;
    const message = (e as Error).message ?? '';
    if (/No space left on device|Disk quota exceeded/i.test(message)) return 'full';
    if (/Read-only file system/i.test(message)) return 'read-only';
    if (/Permission denied|Operation not permitted/i.test(message)) return 'permission';
  }
  return undefined;
}

/** Keeps only the newest moved-aside copy of the index (each may be large). */
async function removeOlderCorruptCopies(dir: string, keep: string, logger: Logger): Promise<void> {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.corrupt-`;
  try {
    for (const name of await readdir(parent)) {
      const path = join(parent, name);
      if (name.startsWith(prefix) && path !== keep) await rm(path, { recursive: true, force: true });
    }
  } catch (err) {
    logger.debug('cannot remove older copies of the cache index', { dir, reason: describe(err) });
  }
}
