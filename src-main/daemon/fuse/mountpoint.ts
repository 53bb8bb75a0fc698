import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { MusicFsError } from '../../../src-shared/errors.js';
import type { Logger } from '../base/logger.js';

/**
 * Checks done before mounting, each failing with one clear sentence:
 * FUSE present, mountpoint exists, is an empty writable folder, and is not
 * already a mount. A stale FUSE mount left by a killed daemon ("Transport
 * endpoint is not connected") is cleared here instead of failing.
 */

const execFileAsync = promisify(execFile);
const PROBE_TIMEOUT_MS = 2000;

export interface MountInfoEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Parses /proc/self/mountinfo (octal escapes in paths decoded). */
export function parseMountInfo(text: string): MountInfoEntry[] {
  const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  const entries: MountInfoEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 0 || fields.length < sep + 3) continue;
    entries.push({ mountPoint: unescape(fields[4]!), fsType: fields[sep + 1]!, source: unescape(fields[sep + 2]!) });
  }
  return entries;
}

export async function findMount(mountPoint: string): Promise<MountInfoEntry | undefined> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  // The last entry wins: mounts stack.
  return parseMountInfo(text).filter((e) => e.mountPoint === mountPoint).pop();
}

export async function checkFuseAvailable(): Promise<void> {
  try {
    await access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MusicFsError(
      'FUSE_UNAVAILABLE',
      code === 'ENOENT'
        ? 'FUSE is not available: /dev/fuse does not exist (load the kernel module with `modprobe fuse`; in a container, pass --device /dev/fuse --cap-add SYS_ADMIN)'
        : 'FUSE is not available: /dev/fuse cannot be opened for reading and writing (check its permissions)',
      { path: '/dev/fuse' },
    );
  }
  if (process.getuid?.() !== 0 && !(await commandExists('fusermount')) && !(await commandExists('fusermount3'))) {
    throw new MusicFsError('FUSE_UNAVAILABLE', 'FUSE is not available: fusermount is not installed (install the fuse3 package)');
  }
}

export interface PrepareOptions {
  allowNonEmpty?: boolean;
}

/** Validates (and if needed un-stales) the mountpoint; returns its absolute path. */
export async function prepareMountpoint(mountPoint: string, logger: Logger, options: PrepareOptions = {}): Promise<string> {
  const abs = resolve(mountPoint);
  const mounted = await findMount(abs);
  if (mounted && mounted.fsType.startsWith('fuse')) {
    const probe = await probeMount(abs);
    if (probe === 'alive') {
      throw new MusicFsError('MOUNTPOINT_IN_USE', `${abs} is already mounted (${mounted.fsType} from ${mounted.source}); unmount it first or choose another folder`, { path: abs });
    }
    if (probe === 'hung') {
      throw new MusicFsError('MOUNTPOINT_IN_USE', `${abs} is a FUSE mount that does not answer; clear it with \`fusermount -uz ${abs}\``, { path: abs });
    }
    logger.warn('clearing a stale mount left by a daemon that did not exit cleanly', { mountpoint: abs, fsType: mounted.fsType });
    await clearStaleMount(abs);
  }

  let st;
  try {
    st = await stat(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MusicFsError('MOUNTPOINT_MISSING', `mountpoint ${abs} does not exist (create it with \`mkdir -p ${abs}\`)`, { path: abs });
    if (code === 'EACCES') throw new MusicFsError('MOUNTPOINT_NOT_WRITABLE', `mountpoint ${abs} cannot be reached: permission denied`, { path: abs });
    throw new MusicFsError('MOUNTPOINT_MISSING', `mountpoint ${abs} cannot be used: ${(err as Error).message}`, { path: abs });
  }
  if (!st.isDirectory()) throw new MusicFsError('MOUNTPOINT_NOT_DIRECTORY', `mountpoint ${abs} is not a folder`, { path: abs });
  try {
    await access(abs, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch {
    throw new MusicFsError('MOUNTPOINT_NOT_WRITABLE', `mountpoint ${abs} is not writable by this user (FUSE needs write access to mount on it)`, { path: abs });
  }
  if (!options.allowNonEmpty) {
    const entries = await readdir(abs);
    if (entries.length > 0) {
      throw new MusicFsError('MOUNTPOINT_NOT_EMPTY', `mountpoint ${abs} is not empty (${entries.length} entries); mount on an empty folder or pass --allow-non-empty`, { path: abs });
    }
  }
  return abs;
}

/** 'stale' when the FUSE server is gone (ENOTCONN), 'hung' when it does not answer. */
async function probeMount(abs: string): Promise<'alive' | 'stale' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hung'>((res) => {
    timer = setTimeout(() => res('hung'), PROBE_TIMEOUT_MS);
    timer.unref();
  });
  const probe = stat(abs).then(
    () => 'alive' as const,
    (err: NodeJS.ErrnoException) => (err.code === 'ENOTCONN' || err.code === 'ECONNABORTED' ? 'stale' : 'alive'),
  );
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lazily unmounts `abs` (works even while something holds it open). */
export async function clearStaleMount(abs: string): Promise<void> {
  const attempts: [string, string[]][] = [
    ['fusermount', ['-uz', abs]],
    ['fusermount3', ['-uz', abs]],
    ['umount', ['-l', abs]],
  ];
  let lastError: unknown;
  for (const [cmd, args] of attempts) {
    try {
      await execFileAsync(cmd, args, { timeout: 10_000 });
      return;
    } catch (err) {
      lastError = err;
    }
  }
  throw new MusicFsError('MOUNTPOINT_IN_USE', `cannot clear the stale mount at ${abs}: ${(lastError as Error).message.split('\n')[0]}; try \`fusermount -uz ${abs}\``, { path: abs });
}

async function commandExists(cmd: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    try {
      await access(`${dir}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}
