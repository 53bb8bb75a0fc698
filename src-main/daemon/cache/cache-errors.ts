/**
 * Typed errors of the cache disk. The cache is optional: when its disk is full,
 * read-only or failing, the daemon serves reads straight from the origins
 * (passthrough) and probes the disk until it recovers. `problem` says which of
 * those it is, so the caller can tell the user something better than "EIO".
 */

export type CacheDiskProblem = 'full' | 'read-only' | 'io' | 'permission';

export class CacheDiskError extends Error {
  override readonly name = 'CacheDiskError';
  constructor(
    message: string,
    readonly problem: CacheDiskProblem,
    /** The file or folder the operation was on. */
    readonly path: string,
    /** What was being done, e.g. 'write chunk', 'rename chunk', 'write index batch'. */
    readonly op: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Another daemon holds the cache (LevelDB's LOCK): never touch its files. */
export class CacheInUseError extends Error {
  override readonly name = 'CacheInUseError';
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Node's system errors carry an errno code such as 'ENOSPC' (not 'ERR_...', which are API misuse). */
const ERRNO_CODE = /^E[A-Z0-9]+$/;

/**
 * What kind of disk problem `err` is: ENOSPC/EDQUOT → full, EROFS → read-only,
 * EACCES/EPERM → permission, any other errno → io. A `CacheDiskError` keeps its
 * own kind; anything that is not a system error (a bug, a LevelDB status) → undefined.
 */
export function classifyDiskError(err: unknown): CacheDiskProblem | undefined {
  if (err instanceof CacheDiskError) return err.problem;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || !ERRNO_CODE.test(code)) return undefined;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'full';
    case 'EROFS':
      return 'read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    default:
      return 'io';
  }
}

/** One line for logs and status: "cache disk is full". */
export function describeDiskProblem(problem: CacheDiskProblem): string {
  switch (problem) {
    case 'full':
      return 'cache disk is full';
    case 'read-only':
      return 'cache disk is read-only';
    case 'permission':
      return 'no permission to write the cache';
    case 'io':
      return 'I/O error on the cache disk';
  }
}
