import type { VfsErrorCode } from '../vfs/vfs-error.js';

/** Linux errno values, negated as FUSE expects them. */
export const Errno = {
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  EBADF: -9,
  EACCES: -13,
  ENOTDIR: -20,
  EISDIR: -21,
  EINVAL: -22,
  EROFS: -30,
  ENOSYS: -38,
  ETIMEDOUT: -110,
} as const;

const BY_CODE: Record<VfsErrorCode, number> = {
  NOT_FOUND: Errno.ENOENT,
  NOT_A_DIRECTORY: Errno.ENOTDIR,
  IS_A_DIRECTORY: Errno.EISDIR,
  READ_ONLY: Errno.EROFS,
  BAD_HANDLE: Errno.EBADF,
  INVALID: Errno.EINVAL,
  // A player handles EIO (skip, retry); ETIMEDOUT confuses some of them.
  IO: Errno.EIO,
  TIMED_OUT: Errno.EIO,
};

/** The one mapping from VFS errors to errno; anything unexpected is EIO. */
export function toErrno(err: unknown): number {
  if (err instanceof Error && err.name === 'VfsError') return BY_CODE[(err as Error & { code: VfsErrorCode }).code] ?? Errno.EIO;
  return Errno.EIO;
}
