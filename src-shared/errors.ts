/**
 * Typed errors that survive a process boundary: the code travels as a string
 * (`name` + `code`), never as a class identity, so gRPC, IPC and the CLI map it
 * back with `errorCodeOf()`.
 */
export type ErrorCode =
  | 'USAGE'
  | 'CONFIG_INVALID'
  | 'LAYOUT_INVALID'
  | 'MOUNTPOINT_MISSING'
  | 'MOUNTPOINT_NOT_DIRECTORY'
  | 'MOUNTPOINT_NOT_EMPTY'
  | 'MOUNTPOINT_NOT_WRITABLE'
  | 'MOUNTPOINT_IN_USE'
  | 'FUSE_UNAVAILABLE'
  | 'MOUNT_FAILED'
  | 'ORIGIN_MISSING'
  | 'ORIGIN_NOT_DIRECTORY'
  | 'ORIGIN_UNREADABLE'
  | 'ORIGIN_NOT_FOUND'
  | 'ORIGIN_EXISTS'
  | 'ORIGIN_IO'
  | 'ORIGIN_UNREACHABLE'
  | 'QUERY_INVALID'
  | 'ALREADY_MOUNTED'
  | 'NOT_MOUNTED'
  | 'DAEMON_RUNNING'
  | 'DAEMON_NOT_RUNNING'
  | 'CANCELLED'
  | 'CATALOG_FAILED'
  | 'CACHE_UNAVAILABLE'
  | 'LIBRARY_PATH_NOT_FOUND'
  | 'STATE_DIR_FAILED'
  | 'INTERNAL';

export interface ErrorContext {
  origin?: string;
  path?: string;
  operation?: string;
  [key: string]: string | number | boolean | undefined;
}

export class MusicFsError extends Error {
  override readonly name = 'MusicFsError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: ErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isMusicFsError(err: unknown): err is MusicFsError {
  return err instanceof Error && err.name === 'MusicFsError' && typeof (err as MusicFsError).code === 'string';
}

/** A one-line human message for any thrown value, never a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
