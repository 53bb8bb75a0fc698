import { createRequire } from 'node:module';
import { MusicFsError } from '../../../src-shared/errors.js';

/**
 * The one place that loads the FUSE binding (fuse-native, libfuse 2 bundled).
 *
 * fuse-native hands JS *external* buffers for read/write data; Electron's V8
 * memory cage forbids them, so under Electron this module is where a
 * different transport (a child process hosting the mount) gets chosen. Every
 * op runs on the main JS thread: handlers must answer from memory or go async.
 */

export type FuseCallback = (...args: unknown[]) => void;

export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  nlink: number;
  ino: number;
  mtime: number;
  atime: number;
  ctime: number;
  blksize?: number;
  blocks?: number;
}

export interface FuseOps {
  getattr(path: string, cb: (code: number, stat?: FuseStat) => void): void;
  fgetattr?(path: string, fd: number, cb: (code: number, stat?: FuseStat) => void): void;
  readdir(path: string, cb: (code: number, names?: string[], stats?: FuseStat[]) => void): void;
  open(path: string, flags: number, cb: (code: number, fd?: number) => void): void;
  read(path: string, fd: number, buf: Buffer, len: number, pos: number, cb: (bytesOrCode: number) => void): void;
  release(path: string, fd: number, cb: (code: number) => void): void;
  statfs(path: string, cb: (code: number, statfs?: Record<string, number>) => void): void;
  [op: string]: ((...args: never[]) => void) | undefined;
}

export interface FuseOptions {
  fsname?: string;
  subtype?: string;
  autoUnmount?: boolean;
  autoCache?: boolean;
  kernelCache?: boolean;
  force?: boolean;
  allowOther?: boolean;
  entryTimeout?: number;
  attrTimeout?: number;
  /** false: no per-op timeout in the binding; MusicFS keeps its own deadlines. */
  timeout?: number | false;
  debug?: boolean;
}

export interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}

export interface FuseBinding {
  new (mountpoint: string, ops: FuseOps, options: FuseOptions): FuseInstance;
  unmount(mountpoint: string, cb: (err: Error | null) => void): void;
}

let cached: FuseBinding | undefined;

export function loadFuseBinding(): FuseBinding {
  if (cached) return cached;
  if ((process.versions as Record<string, string | undefined>).electron) {
    throw new MusicFsError('FUSE_UNAVAILABLE', 'the FUSE binding cannot run inside Electron\'s memory cage; run the mount in the musicfs daemon process');
  }
  try {
    const require = createRequire(import.meta.url);
    cached = require('fuse-native') as FuseBinding;
    return cached;
  } catch (err) {
    throw new MusicFsError('FUSE_UNAVAILABLE', `cannot load the FUSE binding (fuse-native): ${(err as Error).message}`, {}, { cause: err });
  }
}
