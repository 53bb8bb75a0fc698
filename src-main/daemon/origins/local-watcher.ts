import { watch, type FSWatcher } from 'node:fs';
import { Debouncer } from '../base/async.js';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import { joinAbs } from './local-walker.js';

/**
 * Watches every folder of a local origin with inotify (one non-recursive
 * `fs.watch` per folder, the way chokidar does on Linux, so symlinked folders
 * are covered exactly as the walker follows them).
 *
 * Events name a changed entry (file or folder) relative to the origin; they
 * are collected and handed over in one batch after `debounceMs` of quiet. The
 * consumer stats each path and walks new folders; the walker registers every
 * folder here *before* reading it, so nothing created in a new folder between
 * its creation and its first listing is missed.
 */
export class LocalWatcher implements AsyncDisposable {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Set<string>();
  private readonly debouncer: Debouncer;
  private limitWarned = false;
  private disposed = false;

  constructor(
    private readonly root: string,
    private readonly onChanges: (paths: string[]) => void,
    private readonly logger: Logger,
    debounceMs = 200,
  ) {
    this.debouncer = new Debouncer(debounceMs, () => this.flush());
  }

  get watchedFolders(): number {
    return this.watchers.size;
  }

  /** Starts watching a folder (relative to the root) if not watched yet. */
  addFolder(dir: string): void {
    if (this.disposed || this.watchers.has(dir)) return;
    let w: FSWatcher;
    try {
      w = watch(joinAbs(this.root, dir), { persistent: false, encoding: 'utf8' });
    } catch (err) {
      this.onWatchError(dir, err);
      return;
    }
    w.on('change', (_event, filename) => {
      const name = typeof filename === 'string' ? filename : undefined;
      if (name !== undefined && name.startsWith('.')) return;
      this.pending.add(name ? (dir === '' ? name : `${dir}/${name}`) : dir);
      this.debouncer.trigger();
    });
    w.on('error', (err) => {
      // The folder went away (or the watch broke): drop it and let the
      // consumer stat the folder itself.
      this.removeFolder(dir);
      this.pending.add(dir);
      this.debouncer.trigger();
      this.logger.debug('watch ended', { folder: dir, reason: err.message });
    });
    this.watchers.set(dir, w);
  }

  /** Stops watching a folder and everything below it (deleted or moved away). */
  removeUnder(dir: string): void {
    const prefix = dir === '' ? '' : dir + '/';
    for (const [d, w] of this.watchers) {
      if (d === dir || d.startsWith(prefix)) {
        w.close();
        this.watchers.delete(d);
      }
    }
  }

  private removeFolder(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private flush(): void {
    if (this.disposed || this.pending.size === 0) return;
    const paths = [...this.pending];
    this.pending.clear();
    this.onChanges(paths);
  }

  private onWatchError(dir: string, err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EMFILE') {
      if (!this.limitWarned) {
        this.limitWarned = true;
        this.logger.warn(
          'inotify watch limit reached: some folders are not watched; their changes appear at the next rescan (raise fs.inotify.max_user_watches)',
          { root: this.root, watched: this.watchers.size },
        );
      }
      return;
    }
    if (code !== 'ENOENT') this.logger.debug('cannot watch folder', { folder: dir, reason: (err as Error).message });
  }

  dispose(): void {
    this.disposed = true;
    this.debouncer.cancel();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.pending.clear();
  }
}
