import type { ErrorCode } from './errors.js';

/**
 * Process exit codes, after BSD sysexits(3) so scripts and systemd can tell
 * a usage mistake from a missing folder from a missing FUSE.
 */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 64,
  /** An input (origin folder, config file) does not exist or cannot be read. */
  NO_INPUT: 66,
  /** A required service is unavailable (FUSE, another daemon holds the mount). */
  UNAVAILABLE: 69,
  INTERNAL: 70,
  /** A file or folder we must create or write cannot be (mountpoint, state dirs). */
  CANT_CREATE: 73,
  IO: 74,
  CONFIG: 78,
  /** Interrupted by the user (Ctrl-C), as shells report SIGINT. */
  CANCELLED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'USAGE':
    case 'LAYOUT_INVALID':
    case 'QUERY_INVALID':
      return ExitCode.USAGE;
    case 'ORIGIN_NOT_FOUND':
    case 'LIBRARY_PATH_NOT_FOUND':
      return ExitCode.NO_INPUT;
    case 'ORIGIN_EXISTS':
    case 'NOT_MOUNTED':
      return ExitCode.FAILURE;
    case 'ALREADY_MOUNTED':
      return ExitCode.UNAVAILABLE;
    case 'DAEMON_RUNNING':
    case 'DAEMON_NOT_RUNNING':
      return ExitCode.UNAVAILABLE;
    case 'CANCELLED':
      return ExitCode.CANCELLED;
    case 'CONFIG_INVALID':
      return ExitCode.CONFIG;
    case 'ORIGIN_MISSING':
    case 'ORIGIN_NOT_DIRECTORY':
    case 'ORIGIN_UNREADABLE':
    case 'MOUNTPOINT_MISSING':
    case 'MOUNTPOINT_NOT_DIRECTORY':
      return ExitCode.NO_INPUT;
    case 'FUSE_UNAVAILABLE':
    case 'MOUNTPOINT_IN_USE':
      return ExitCode.UNAVAILABLE;
    case 'MOUNTPOINT_NOT_EMPTY':
    case 'MOUNTPOINT_NOT_WRITABLE':
    case 'STATE_DIR_FAILED':
      return ExitCode.CANT_CREATE;
    case 'MOUNT_FAILED':
    case 'CACHE_UNAVAILABLE':
    case 'ORIGIN_IO':
    case 'ORIGIN_UNREACHABLE':
    case 'CATALOG_FAILED':
      return ExitCode.IO;
    case 'INTERNAL':
      return ExitCode.INTERNAL;
  }
}
