import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';

/**
 * The SFTP requests the origin uses, as promises. Each is one request (or,
 * for readdir, opendir + readdir... + close) on the session; ssh2 matches
 * answers to requests by id, so any number may be in flight at once.
 */

export function sftpStat(sftp: SFTPWrapper, path: string): Promise<Stats> {
  return new Promise((resolve, reject) => sftp.stat(path, (err, stats) => (err ? reject(err) : resolve(stats))));
}

export function sftpReaddir(sftp: SFTPWrapper, path: string): Promise<FileEntryWithStats[]> {
  return new Promise((resolve, reject) => sftp.readdir(path, (err, list) => (err ? reject(err) : resolve(list))));
}

export function sftpRealpath(sftp: SFTPWrapper, path: string): Promise<string> {
  return new Promise((resolve, reject) => sftp.realpath(path, (err, abs) => (err ? reject(err) : resolve(abs))));
}

export function sftpOpenForReading(sftp: SFTPWrapper, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => sftp.open(path, 'r', (err, handle) => (err ? reject(err) : resolve(handle))));
}

export function sftpFstat(sftp: SFTPWrapper, handle: Buffer): Promise<Stats> {
  return new Promise((resolve, reject) => sftp.fstat(handle, (err, stats) => (err ? reject(err) : resolve(stats))));
}

export function sftpClose(sftp: SFTPWrapper, handle: Buffer): Promise<void> {
  return new Promise((resolve, reject) => sftp.close(handle, (err) => (err ? reject(err) : resolve())));
}

/**
 * Reads up to `length` bytes at `position` into a fresh buffer; the result is
 * shorter at the end of the file (empty at or past it). ssh2 turns the EOF
 * status into a short read.
 */
export function sftpRead(sftp: SFTPWrapper, handle: Buffer, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  return new Promise((resolve, reject) =>
    sftp.read(handle, buffer, 0, length, position, (err, bytesRead) => (err ? reject(err) : resolve(buffer.subarray(0, bytesRead)))),
  );
}
