import * as grpc from '@grpc/grpc-js';
import { isMusicFsError, MusicFsError, type ErrorCode } from '../../../src-shared/errors.js';

/**
 * Errors across the gRPC boundary. The server sends a gRPC status code plus
 * trailing metadata with the machine-readable reason (our ErrorCode) and the
 * origin/path concerned; the client turns that back into a MusicFsError. One
 * function each way, nowhere else.
 */
export const REASON_KEY = 'musicfs-reason';
export const ORIGIN_KEY = 'musicfs-origin';
export const PATH_KEY = 'musicfs-path';

const STATUS_OF: Record<ErrorCode, grpc.status> = {
  USAGE: grpc.status.INVALID_ARGUMENT,
  CONFIG_INVALID: grpc.status.INVALID_ARGUMENT,
  LAYOUT_INVALID: grpc.status.INVALID_ARGUMENT,
  QUERY_INVALID: grpc.status.INVALID_ARGUMENT,
  MOUNTPOINT_MISSING: grpc.status.FAILED_PRECONDITION,
  MOUNTPOINT_NOT_DIRECTORY: grpc.status.FAILED_PRECONDITION,
  MOUNTPOINT_NOT_EMPTY: grpc.status.FAILED_PRECONDITION,
  MOUNTPOINT_NOT_WRITABLE: grpc.status.PERMISSION_DENIED,
  MOUNTPOINT_IN_USE: grpc.status.FAILED_PRECONDITION,
  ALREADY_MOUNTED: grpc.status.FAILED_PRECONDITION,
  NOT_MOUNTED: grpc.status.FAILED_PRECONDITION,
  FUSE_UNAVAILABLE: grpc.status.UNAVAILABLE,
  MOUNT_FAILED: grpc.status.INTERNAL,
  ORIGIN_MISSING: grpc.status.NOT_FOUND,
  ORIGIN_NOT_DIRECTORY: grpc.status.INVALID_ARGUMENT,
  ORIGIN_UNREADABLE: grpc.status.PERMISSION_DENIED,
  ORIGIN_NOT_FOUND: grpc.status.NOT_FOUND,
  ORIGIN_EXISTS: grpc.status.ALREADY_EXISTS,
  ORIGIN_IO: grpc.status.UNAVAILABLE,
  ORIGIN_UNREACHABLE: grpc.status.UNAVAILABLE,
  CATALOG_FAILED: grpc.status.INTERNAL,
  CACHE_UNAVAILABLE: grpc.status.UNAVAILABLE,
  LIBRARY_PATH_NOT_FOUND: grpc.status.NOT_FOUND,
  STATE_DIR_FAILED: grpc.status.INTERNAL,
  DAEMON_RUNNING: grpc.status.ALREADY_EXISTS,
  DAEMON_NOT_RUNNING: grpc.status.UNAVAILABLE,
  CANCELLED: grpc.status.CANCELLED,
  INTERNAL: grpc.status.INTERNAL,
};

/** Server side: any thrown value → a gRPC error the client can map back. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  if (isMusicFsError(err)) {
    metadata.set(REASON_KEY, err.code);
    if (err.context.origin) metadata.set(ORIGIN_KEY, err.context.origin);
    if (err.context.path) metadata.set(PATH_KEY, err.context.path);
    return { code: STATUS_OF[err.code] ?? grpc.status.UNKNOWN, details: err.message, metadata };
  }
  metadata.set(REASON_KEY, 'INTERNAL');
  return { code: grpc.status.INTERNAL, details: err instanceof Error ? err.message : String(err), metadata };
}

/** Client side: a gRPC error → MusicFsError with the server's reason and context. */
export function fromServiceError(err: unknown): MusicFsError {
  const e = err as Partial<grpc.ServiceError>;
  const get = (key: string): string | undefined => {
    const v = e.metadata?.get(key)[0];
    return v === undefined ? undefined : String(v);
  };
  const reason = get(REASON_KEY) as ErrorCode | undefined;
  const origin = get(ORIGIN_KEY);
  const path = get(PATH_KEY);
  const context = { ...(origin ? { origin } : {}), ...(path ? { path } : {}) };
  if (reason && reason in STATUS_OF) return new MusicFsError(reason, e.details ?? 'error', context, { cause: err });
  if (e.code === grpc.status.UNAVAILABLE) return new MusicFsError('DAEMON_NOT_RUNNING', 'the MusicFS daemon is not answering', context, { cause: err });
  if (e.code === grpc.status.CANCELLED) return new MusicFsError('CANCELLED', 'cancelled', context, { cause: err });
  if (e.code === grpc.status.DEADLINE_EXCEEDED) return new MusicFsError('DAEMON_NOT_RUNNING', 'the MusicFS daemon did not answer in time', context, { cause: err });
  return new MusicFsError('INTERNAL', e.details ?? (err instanceof Error ? err.message : String(err)), context, { cause: err });
}
