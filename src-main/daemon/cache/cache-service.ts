import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { MusicFsError } from '../../../src-shared/errors.js';
import type { CacheClearView, CacheProgressView, CacheStatsView, CacheUnpinView } from '../control/cache-api.js';
import type { ChunkCache, ChunkCacheSettings } from './chunk-cache.js';
import type { RangeSourceFactory } from './range-source.js';

/**
 * The cache as the control plane sees it: stats, clear, prefetch, pin and
 * unpin of library paths (files or folders). Knows the library only through
 * the narrow `LibraryFiles` view.
 */

export interface LibraryFile {
  /** '/Artist/Album/01 - Title.flac' */
  path: string;
  fingerprint: string;
  size: number;
  cacheable: boolean;
  source: RangeSourceFactory;
}

export interface LibraryFiles {
  /** Where the library is mounted now (to resolve paths given inside it). */
  mountPoint(): string | undefined;
  /** Files at or below a library path ('/' = everything); undefined when the path does not exist. */
  filesUnder(path: string): LibraryFile[] | undefined;
}

export class CacheService {
  constructor(
    private readonly cache: ChunkCache,
    private readonly library: LibraryFiles,
    private readonly settings: () => ChunkCacheSettings,
  ) {}

  stats(): CacheStatsView {
    const s = this.cache.stats();
    const c = this.cache.counters;
    const settings = this.settings();
    const reads = c.hits + c.misses;
    return {
      dir: this.cache.dir,
      sizeBytes: s.sizeBytes,
      limitBytes: settings.limitBytes,
      chunks: s.chunks,
      tracks: s.tracks,
      tracksComplete: s.tracksComplete,
      pinnedTracks: s.pinnedTracks,
      memoryBytes: s.memoryBytes,
      memoryLimitBytes: settings.memoryBytes,
      hits: c.hits,
      misses: c.misses,
      hitRatio: reads === 0 ? 0 : c.hits / reads,
      evictions: c.evictions,
      evictedBytes: c.evictedBytes,
      corruptChunks: c.corruptChunks,
      passthrough: this.cache.passthrough,
      passthroughReason: this.cache.reason,
    };
  }

  clear(includePinned: boolean): Promise<CacheClearView> {
    return this.cache.clear(includePinned);
  }

  async prefetch(paths: readonly string[], cwd: string, pin: boolean, onProgress: (p: CacheProgressView) => void, signal: AbortSignal): Promise<void> {
    const files = this.resolve(paths, cwd);
    const progress: CacheProgressView = {
      path: '',
      filesDone: 0,
      filesTotal: files.length,
      filesFailed: 0,
      bytesDone: 0,
      bytesTotal: files.reduce((n, f) => n + f.size, 0),
      error: '',
      finished: false,
    };
    const report = (patch: Partial<CacheProgressView>): void => onProgress({ ...progress, ...patch });
    let lastReport = 0;
    for (const f of files) {
      signal.throwIfAborted();
      if (pin) this.cache.setPinned(f.fingerprint, f.size, true);
      let error = '';
      if (!f.cacheable) error = 'its origins are set not to be cached (cache = false)';
      else {
        const startBytes = progress.bytesDone;
        try {
          await this.cache.fill(f.fingerprint, f.size, f.source, (n) => {
            progress.bytesDone += n;
            // A few reports a second are plenty for a progress bar.
            if (performance.now() - lastReport > 200) {
              lastReport = performance.now();
              report({ path: f.path });
            }
          }, signal);
        } catch (err) {
          if (signal.aborted) throw new MusicFsError('CANCELLED', 'prefetch cancelled');
          error = (err as Error).message;
          progress.bytesDone = startBytes + f.size;
        }
      }
      progress.filesDone++;
      if (error) progress.filesFailed++;
      report({ path: f.path, error });
    }
    report({ finished: true });
  }

  unpin(paths: readonly string[], cwd: string): CacheUnpinView {
    let tracks = 0;
    for (const f of this.resolve(paths, cwd)) {
      if (!this.cache.isPinned(f.fingerprint)) continue;
      this.cache.setPinned(f.fingerprint, f.size, false);
      tracks++;
    }
    return { tracks };
  }

  /** Paths as the user gave them → the library files they name (each once). */
  private resolve(paths: readonly string[], cwd: string): LibraryFile[] {
    if (paths.length === 0) throw new MusicFsError('USAGE', 'give at least one file or folder of the library');
    const seen = new Map<string, LibraryFile>();
    for (const given of paths) {
      const libraryPath = this.toLibraryPath(given, cwd);
      const files = this.library.filesUnder(libraryPath);
      if (!files) throw new MusicFsError('LIBRARY_PATH_NOT_FOUND', `${given} is not in the library (looked for ${libraryPath})`, { path: given });
      for (const f of files) if (!seen.has(f.fingerprint)) seen.set(f.fingerprint, f);
    }
    return [...seen.values()];
  }

  /**
   * A path inside the mount (absolute, or relative to a cwd inside it) or a
   * library path ("Artist/Album", "/Artist/Album") → '/Artist/Album'.
   */
  toLibraryPath(given: string, cwd: string): string {
    const mount = this.library.mountPoint();
    if (mount) {
      const absolute = isAbsolute(given) ? given : resolve(cwd || '/', given);
      const rel = relative(mount, absolute);
      if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) return posix.normalize('/' + rel.split(sep).join('/')).replace(/\/$/, '') || '/';
    }
    return posix.normalize('/' + given).replace(/\/$/, '') || '/';
  }
}
