import { describeFailure, failureOfErrno, isOriginError, OriginError, type OriginErrorContext, type OriginFailure } from '../origin-error.js';

/**
 * SFTP and SSH errors in OriginError categories.
 *
 * An SFTP request fails with a status code (draft-ietf-secsh-filexfer-02
 * section 7) in `err.code`; an SSH connection fails with an Error whose
 * `level` says which stage (ssh2: client-socket, client-dns, client-timeout,
 * client-authentication, handshake, protocol, agent).
 */

export const SFTP_STATUS = {
  EOF: 1,
  NO_SUCH_FILE: 2,
  PERMISSION_DENIED: 3,
  FAILURE: 4,
  BAD_MESSAGE: 5,
  NO_CONNECTION: 6,
  CONNECTION_LOST: 7,
  OP_UNSUPPORTED: 8,
} as const;

/** The failure category of an error from an SFTP request. */
export function failureOfSftpError(err: unknown): OriginFailure {
  if (isOriginError(err)) return err.failure;
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  if (e?.name === 'AbortError') return 'aborted';
  switch (e?.code) {
    case SFTP_STATUS.NO_SUCH_FILE:
      return 'not_found';
    case SFTP_STATUS.PERMISSION_DENIED:
      return 'permission';
    case SFTP_STATUS.NO_CONNECTION:
    case SFTP_STATUS.CONNECTION_LOST:
      return 'reset';
    case SFTP_STATUS.BAD_MESSAGE:
    case SFTP_STATUS.OP_UNSUPPORTED:
      return 'protocol';
    case SFTP_STATUS.FAILURE:
    case SFTP_STATUS.EOF:
      return 'io';
  }
  if (typeof e?.code === 'string') {
    const byErrno = failureOfErrno(e.code);
    if (byErrno !== undefined) return byErrno;
  }
  // ssh2 fails every request still waiting when the channel closes.
  if (typeof e?.message === 'string' && /No response from server|Channel not open|not connected/i.test(e.message)) return 'reset';
  return 'io';
}

/** Words for an SFTP request failure: "no such file", "permission denied", or the server's text. */
export function describeSftpError(err: unknown): string {
  const failure = failureOfSftpError(err);
  if (failure === 'not_found') return 'no such file or folder';
  if (failure === 'permission') return 'permission denied';
  if (failure === 'reset') return 'connection dropped';
  const message = (err as Error | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : describeFailure(failure);
}

/**
 * An OriginError for a failed SFTP request: `HOST:PORT: OPERATION REMOTEPATH: what`.
 * A connect failure met on the way (host key, login...) already says all and
 * is passed on as is; the pool's own errors (dropped, stopped) keep their category.
 */
export function sftpRequestError(err: unknown, context: OriginErrorContext, where: string, remotePath: string): OriginError {
  if (isOriginError(err) && err.context.operation === 'connect') return err;
  const failure = failureOfSftpError(err);
  const detail = isOriginError(err) ? describeFailure(failure) : describeSftpError(err);
  return new OriginError(failure, `${where}: ${context.operation} ${remotePath}: ${detail}`, context, { cause: err });
}

/** The failure category of an SSH connection error (ssh2 sets `level`). */
export function failureOfConnectError(err: unknown): OriginFailure {
  const e = err as { level?: unknown; code?: unknown; name?: unknown } | undefined;
  if (e?.name === 'AbortError') return 'aborted';
  switch (e?.level) {
    case 'client-authentication':
    case 'agent':
      return 'auth';
    case 'client-timeout':
      return 'timeout';
    case 'client-dns':
      return 'dns';
    case 'client-socket':
      return (typeof e.code === 'string' ? failureOfErrno(e.code) : undefined) ?? 'reset';
    case 'handshake':
    case 'protocol':
      return 'protocol';
  }
  return (typeof e?.code === 'string' ? failureOfErrno(e.code) : undefined) ?? 'io';
}

/** What to say about a connect failure of this category, beyond the library's words. */
export function connectAdvice(failure: OriginFailure): string {
  switch (failure) {
    case 'refused':
      return 'connection refused (is the SSH server running, and on this port?)';
    case 'dns':
      return 'the host name does not resolve';
    case 'timeout':
      return 'no answer in time (host down, or a firewall dropping the connection?)';
    case 'unreachable':
      return 'host unreachable (network down, or no route to it?)';
    case 'reset':
      return 'the connection was closed by the server or the network';
    default:
      return describeFailure(failure);
  }
}
