/**
 * The closed set of errors the VFS returns (after rclone's vfs errors). The
 * FUSE adapter maps each to an errno in one place (`fuse/errno.ts`); nothing
 * in the VFS knows errno numbers.
 */
export type VfsErrorCode =
  | 'NOT_FOUND'
  | 'NOT_A_DIRECTORY'
  | 'IS_A_DIRECTORY'
  | 'READ_ONLY'
  | 'BAD_HANDLE'
  | 'INVALID'
  | 'IO'
  | 'TIMED_OUT';

export class VfsError extends Error {
  override readonly name = 'VfsError';
  constructor(
    readonly code: VfsErrorCode,
    message: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
