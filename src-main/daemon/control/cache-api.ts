/**
 * What the control plane needs of the chunk cache (declared by its consumer,
 * implemented by the Daemon through its ChunkCache). Values are domain
 * objects; the gRPC service maps them to cache.proto messages.
 */

export interface CacheStatsView {
  /** Folder of the chunk store and its index. */
  dir: string;
  /** Unique chunk bytes on disk. */
  sizeBytes: number;
  limitBytes: number;
  chunks: number;
  /** Track versions with at least one cached byte. */
  tracks: number;
  /** Track versions cached from the first to the last byte (play offline). */
  tracksComplete: number;
  pinnedTracks: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  /** Reads served wholly from the cache / reads that needed an origin. */
  hits: number;
  misses: number;
  /** hits / (hits + misses); 0 before any read. */
  hitRatio: number;
  /** Tracks evicted since start. */
  evictions: number;
  evictedBytes: number;
  /** Chunks found corrupt or missing on disk and fetched again. */
  corruptChunks: number;
  /** True while the cache disk cannot be written: reads go straight to the origins. */
  passthrough: boolean;
  /** Why (empty when not in passthrough). */
  passthroughReason: string;
}

/** Progress of a Prefetch or Pin: one message per step, the last with `finished`. */
export interface CacheProgressView {
  /** Library path of the file this step concerns ('' for the summary). */
  path: string;
  filesDone: number;
  filesTotal: number;
  filesFailed: number;
  bytesDone: number;
  bytesTotal: number;
  /** Why `path` failed ('' when it did not). */
  error: string;
  finished: boolean;
}

export interface CacheClearView {
  tracks: number;
  bytes: number;
}

export interface CacheUnpinView {
  tracks: number;
}

export interface CacheApi {
  cacheStats(): CacheStatsView;
  /** Empties the cache (pinned tracks stay unless `includePinned`). */
  clearCache(includePinned: boolean): Promise<CacheClearView>;
  /**
   * Reads `paths` (files or folders of the library, resolved as in
   * `resolveLibraryPaths`) into the cache; `pin` also pins them first.
   * Rejects with CANCELLED when `signal` aborts; a file that cannot be
   * fetched is reported in its progress step and counted, not fatal.
   */
  prefetch(paths: readonly string[], cwd: string, pin: boolean, onProgress: (p: CacheProgressView) => void, signal: AbortSignal): Promise<void>;
  unpin(paths: readonly string[], cwd: string): Promise<CacheUnpinView>;
}
