import type { AsyncDisposable } from '../base/lifecycle.js';

/**
 * An origin: one place music lives (a local folder today; S3 and SFTP later).
 * Implementations register by scheme in `registry.ts`, one file each. Paths
 * are relative to the origin root and '/'-separated; nothing here knows of
 * FUSE, the catalog or the cache.
 */

export interface OriginFileEntry {
  /** Relative to the origin root, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface WalkIssue {
  path: string;
  reason: string;
}

export interface WalkResult {
  /** Audio files found (by extension), hidden entries excluded. */
  files: OriginFileEntry[];
  /** Entries passed over on purpose (symlink loops, empty files), with why. */
  skipped: WalkIssue[];
  /** Entries that could not be read (permissions, I/O errors). */
  errors: WalkIssue[];
  /** Folders walked, relative to the root ('' is the root). */
  directories: string[];
}

export interface WalkOptions {
  /** Walk only this folder of the origin and below ('' = everything). */
  under?: string;
  signal?: AbortSignal;
}

/** A file opened for reading by offset. */
export interface OriginFileHandle {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export type OriginChange = { path: string };

export interface Origin extends AsyncDisposable {
  readonly id: number;
  readonly name: string;
  readonly kind: string;
  /** Absolute path (local) or URL (remote); secrets never included. */
  readonly root: string;

  walk(options?: WalkOptions): Promise<WalkResult>;
  /** Size and mtime of one file, or undefined if it is gone. Throws on I/O errors. */
  stat(path: string): Promise<{ size: number; mtimeMs: number; isDirectory: boolean } | undefined>;
  open(path: string): Promise<OriginFileHandle>;

  /**
   * For origins whose files are plain paths on this machine: the absolute path,
   * so workers can read tags without going through the daemon's main thread.
   */
  localPath?(path: string): string;

  /**
   * Watches for changes where the origin can; `onChanges` receives relative
   * paths (files or folders) that were added, changed, moved or deleted,
   * already debounced.
   */
  watch?(onChanges: (paths: string[]) => void): AsyncDisposable;
}
