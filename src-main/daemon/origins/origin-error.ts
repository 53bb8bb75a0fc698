/**
 * Why an origin operation failed, in categories a user (and the router) can
 * act on. Every origin type maps its protocol's errors onto these; the words
 * in `message` say the rest (which host, bucket, key fingerprint...).
 */
export type OriginFailure =
  /** The file or folder is not there. */
  | 'not_found'
  /** The server refuses this user this file/bucket/folder. */
  | 'permission'
  /** Credentials missing or rejected (AWS keys, SSH key/password). */
  | 'auth'
  /** The SSH host key is unknown or changed. */
  | 'host_key'
  /** The host name does not resolve. */
  | 'dns'
  /** Nothing listens on that port. */
  | 'refused'
  /** No route, network down. */
  | 'unreachable'
  /** No answer within the deadline. */
  | 'timeout'
  /** The connection dropped mid-operation. */
  | 'reset'
  /** The S3 bucket does not exist. */
  | 'bucket_missing'
  /** The server answered something this client cannot use. */
  | 'protocol'
  /** Stopped by the caller (not the origin's fault). */
  | 'aborted'
  /** Anything else (local I/O errors, 5xx answers). */
  | 'io';

/** Failures worth another attempt after a pause: the next try may well succeed. */
const TRANSIENT: ReadonlySet<OriginFailure> = new Set(['timeout', 'reset', 'refused', 'unreachable', 'io', 'dns']);

export interface OriginErrorContext {
  origin: string;
  /** 'walk' | 'stat' | 'open' | 'read' | 'health' | 'connect' ... */
  operation: string;
  path?: string;
}

export class OriginError extends Error {
  override readonly name = 'OriginError';
  constructor(
    readonly failure: OriginFailure,
    message: string,
    readonly context: OriginErrorContext,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** ENOENT for a missing file, so code that checks errno codes keeps working. */
  get code(): string | undefined {
    return this.failure === 'not_found' ? 'ENOENT' : this.failure === 'timeout' ? 'ETIMEDOUT' : undefined;
  }

  get transient(): boolean {
    return TRANSIENT.has(this.failure);
  }
}

export function isOriginError(err: unknown): err is OriginError {
  return err instanceof Error && err.name === 'OriginError' && typeof (err as OriginError).failure === 'string';
}

/** A failure category for a Node.js system error code (sockets, DNS, files), or undefined. */
export function failureOfErrno(code: string | undefined): OriginFailure | undefined {
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
      return 'dns';
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return 'reset';
    case 'ETIMEDOUT':
    case 'ESOCKETTIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return 'unreachable';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'not_found';
    case 'EACCES':
    case 'EPERM':
      return 'permission';
    case 'ABORT_ERR':
      return 'aborted';
    default:
      return undefined;
  }
}

/** Words for a failure category, for messages that only have the category. */
export function describeFailure(failure: OriginFailure): string {
  switch (failure) {
    case 'not_found':
      return 'not found';
    case 'permission':
      return 'permission denied';
    case 'auth':
      return 'authentication failed';
    case 'host_key':
      return 'host key not trusted';
    case 'dns':
      return 'host name does not resolve';
    case 'refused':
      return 'connection refused';
    case 'unreachable':
      return 'host unreachable';
    case 'timeout':
      return 'no answer in time';
    case 'reset':
      return 'connection dropped';
    case 'bucket_missing':
      return 'bucket does not exist';
    case 'protocol':
      return 'unexpected answer from the server';
    case 'aborted':
      return 'stopped';
    case 'io':
      return 'I/O error';
  }
}

/**
 * Wraps any thrown value as an OriginError with context; an OriginError is
 * returned as is. `classify` lets a protocol map its own errors first.
 */
export function toOriginError(err: unknown, context: OriginErrorContext, classify?: (err: unknown) => OriginFailure | undefined): OriginError {
  if (isOriginError(err)) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  const failure = classify?.(err) ?? (e?.name === 'AbortError' ? 'aborted' : failureOfErrno(e?.code)) ?? 'io';
  const detail = e instanceof Error ? e.message : String(err);
  const where = context.path !== undefined && context.path !== '' ? ` ${context.path}` : '';
  return new OriginError(failure, `${context.origin}: ${context.operation}${where}: ${detail || describeFailure(failure)}`, context, { cause: err });
}
