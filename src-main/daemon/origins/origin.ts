import type { AsyncDisposable } from '../base/lifecycle.js';

/**
 * An origin: one place music lives — a local folder (disk, NFS/SMB share), an
 * S3 bucket, an SFTP server. One file per type (`local-origin.ts`,
 * `s3/s3-origin.ts`, `sftp/sftp-origin.ts`), registered by scheme in
 * `registry.ts`. Paths are relative to the origin root and '/'-separated;
 * nothing here knows of FUSE, the catalog or the cache.
 *
 * Contract for implementations:
 * - Every method that does I/O takes an optional AbortSignal and stops (and
 *   rejects) promptly when it fires; the federation layer (`guarded-origin.ts`)
 *   puts a deadline and retries around every call, so implementations do not
 *   retry on their own (a pool may reconnect a dropped connection once).
 * - Failures are `OriginError`s (origin-error.ts) saying what went wrong in
 *   words a user can act on; a missing file is `not_found`.
 * - Nothing returned or thrown contains a secret (password, key, token).
 */

export interface OriginFileEntry {
  /** Relative to the origin root, '/'-separated. */
  path: string;
  size: number;
  mtimeMs: number;
  /**
   * A cheap content version where the origin has one (S3: the ETag). When set,
   * a rescan counts the file unchanged if size and version match, whatever
   * the mtime says.
   */
  version?: string;
}

export interface OriginStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
  version?: string;
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
  /** Entries that could not be read (permissions, I/O errors); path '' = the root itself. */
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
  /**
   * Size and mtime of the file as opened, where opening learned them anyway
   * (S3's HEAD): a reader checking for a stale replica then needs no stat
   * round trip of its own.
   */
  readonly stat?: OriginStat;
  /**
   * Reads up to `length` bytes at `position` into `buffer[offset..]`; fewer
   * only at the end of the file (0 at or past it). Sequential reads must be
   * fast (a remote handle streams or pipelines ahead); random reads correct.
   */
  read(buffer: Buffer, offset: number, length: number, position: number, signal?: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

/**
 * How a handle will be read: 'sequential' (playback, caching: the handle may
 * stream or read ahead) or 'random' (a few small reads, as a tag scan does:
 * fetch exactly what is asked, nothing ahead — the scan's byte budget).
 */
export type OriginAccess = 'sequential' | 'random';

export type OriginChange = { path: string };

export interface Origin extends AsyncDisposable {
  readonly id: number;
  readonly name: string;
  /** 'local' | 's3' | 'sftp' */
  readonly kind: string;
  /** Absolute path (local) or canonical URL (remote); never a secret. */
  readonly root: string;
  /** Whether it is across a network (health thresholds, scan by ranged reads). */
  readonly remote: boolean;

  walk(options?: WalkOptions): Promise<WalkResult>;
  /** Size and mtime of one file, or undefined if it is gone. Throws OriginError on I/O errors. */
  stat(path: string, signal?: AbortSignal): Promise<OriginStat | undefined>;
  /** Opens a file for ranged reads; `not_found` if it is gone. */
  open(path: string, signal?: AbortSignal, access?: OriginAccess): Promise<OriginFileHandle>;
  /**
   * One cheap round trip proving the origin answers (local: the root is a
   * readable folder; S3: HeadBucket; SFTP: stat of the root). Throws an
   * OriginError saying what is wrong.
   */
  checkHealth(signal?: AbortSignal): Promise<void>;

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
