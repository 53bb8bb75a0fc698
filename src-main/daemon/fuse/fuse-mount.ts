import { MusicFsError } from '../../../src-shared/errors.js';
import { InFlight } from '../base/async.js';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import type { Vfs, VfsAttr } from '../vfs/vfs.js';
import { Errno, toErrno } from './errno.js';
import { loadFuseBinding, type FuseInstance, type FuseOps, type FuseStat } from './fuse-binding.js';

/**
 * The FUSE adapter: a thin translation of kernel ops to the VFS.
 *
 * Lookups (getattr, readdir) answer synchronously from the in-memory tree.
 * Opens and reads are async; each has its own deadline (`opTimeoutMs`), after
 * which the kernel gets EIO and the late result is dropped. Read data is
 * copied into the kernel's buffer only while the op is still live: the
 * binding frees that buffer once answered.
 */

export interface FuseMountOptions {
  mountPoint: string;
  /** Deadline for open/read, in ms (read at each op: a config change applies at once). */
  opTimeoutMs: () => number;
  /** Seconds the kernel may cache names and attributes. */
  attrTimeoutSec?: number;
  /** Mount over a folder that has content (hidden while mounted). */
  allowNonEmpty?: boolean;
  debug?: boolean;
}

/** Observes every op (for metrics and events); must be cheap. */
export type FuseOpObserver = (op: string, durationMs: number, errno: number, path: string) => void;

const WRITE_OPS = [
  'write', 'create', 'truncate', 'ftruncate', 'unlink', 'rename', 'link', 'symlink',
  'mkdir', 'rmdir', 'chmod', 'chown', 'utimens', 'mknod', 'setxattr', 'removexattr',
] as const;

export class FuseMount implements AsyncDisposable {
  private readonly inFlight = new InFlight();
  private instance: FuseInstance | undefined;
  private mounted = false;

  constructor(
    private readonly vfs: Vfs,
    private readonly options: FuseMountOptions,
    private readonly logger: Logger,
    private readonly observe: FuseOpObserver = () => undefined,
  ) {}

  get mountPoint(): string {
    return this.options.mountPoint;
  }

  get isMounted(): boolean {
    return this.mounted;
  }

  async mount(): Promise<void> {
    const Fuse = loadFuseBinding();
    const attrTimeout = this.options.attrTimeoutSec ?? 1;
    const instance = new Fuse(this.options.mountPoint, this.buildOps(), {
      // Extra libfuse options ride on fsname: fuse-native has no field for
      // ro/use_ino, and they are comma-joined into one -o string.
      fsname: `musicfs,ro,use_ino,readdir_ino${this.options.allowNonEmpty ? ',nonempty' : ''}`,
      subtype: 'musicfs',
      // The kernel drops a dead daemon's mount by itself (no stale mount after SIGKILL).
      autoUnmount: true,
      // Page cache kept across opens, invalidated when size/mtime change.
      autoCache: true,
      entryTimeout: attrTimeout,
      attrTimeout,
      timeout: false,
      debug: this.options.debug ?? false,
    });
    await new Promise<void>((resolve, reject) => {
      instance.mount((err) => {
        if (err) {
          reject(
            new MusicFsError('MOUNT_FAILED', `cannot mount on ${this.options.mountPoint}: ${err.message} (is FUSE usable here? try \`fusermount -uz ${this.options.mountPoint}\`)`, {
              path: this.options.mountPoint,
            }, { cause: err }),
          );
          return;
        }
        resolve();
      });
    });
    this.instance = instance;
    this.mounted = true;
  }

  /** Waits up to `timeoutMs` for in-flight ops to finish; true when drained. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.inFlight.drain(timeoutMs);
  }

  get pendingOps(): number {
    return this.inFlight.size;
  }

  async dispose(): Promise<void> {
    const instance = this.instance;
    if (!instance || !this.mounted) return;
    this.mounted = false;
    this.instance = undefined;
    await new Promise<void>((resolve) => {
      instance.unmount((err) => {
        if (err) this.logger.warn('unmount reported an error', { mountpoint: this.options.mountPoint, reason: err.message });
        resolve();
      });
    });
  }

  private buildOps(): FuseOps {
    const vfs = this.vfs;
    const ops: FuseOps = {
      getattr: (path, cb) => this.sync('getattr', path, cb, () => [0, toFuseStat(vfs.getattr(path))]),
      fgetattr: (path, _fd, cb) => this.sync('getattr', path, cb, () => [0, toFuseStat(vfs.getattr(path))]),
      readdir: (path, cb) =>
        this.sync('readdir', path, cb, () => {
          const { names, attrs } = vfs.readdir(path);
          return [0, names, attrs.map(toFuseStat)];
        }),
      statfs: (path, cb) =>
        this.sync('statfs', path, cb, () => {
          const s = vfs.statfs();
          return [0, { bsize: s.blockSize, frsize: s.blockSize, blocks: s.blocks, bfree: 0, bavail: 0, files: s.files, ffree: 0, favail: 0, fsid: 0x6d757366, flag: 1, namemax: s.nameMax }];
        }),
      open: (path, flags, cb) => this.async('open', path, cb, async () => [0, await vfs.open(path, flags)]),
      release: (path, fd, cb) => this.async('release', path, cb, async () => (await vfs.release(fd), [0])),
      read: (path, fd, buf, len, pos, cb) => {
        const end = this.begin();
        const started = performance.now();
        let answered = false;
        const answer = (result: number): void => {
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          end();
          this.observe('read', performance.now() - started, result < 0 ? result : 0, path);
          cb(result);
        };
        const timer = setTimeout(() => {
          this.logger.warn('read timed out', { path, position: pos, length: len, timeoutMs: this.options.opTimeoutMs() });
          answer(Errno.EIO);
        }, this.options.opTimeoutMs());
        vfs.read(fd, pos, len).then(
          (data) => {
            // Copy only while the kernel buffer is still ours (not after a timeout).
            if (answered) return;
            data.copy(buf, 0, 0, Math.min(len, data.length));
            answer(data.length);
          },
          (err: unknown) => {
            this.logError('read', path, err);
            answer(toErrno(err));
          },
        );
      },
    };
    for (const op of WRITE_OPS) {
      ops[op] = ((...args: unknown[]) => {
        const cb = args[args.length - 1] as (code: number) => void;
        cb(Errno.EROFS);
      }) as (...args: never[]) => void;
    }
    return ops;
  }

  private begin(): () => void {
    return this.inFlight.begin();
  }

  private sync(op: string, path: string, cb: (...args: never[]) => void, fn: () => unknown[]): void {
    const started = performance.now();
    let result: unknown[];
    try {
      result = fn();
    } catch (err) {
      result = [toErrno(err)];
      if (toErrno(err) !== Errno.ENOENT) this.logError(op, path, err);
    }
    this.observe(op, performance.now() - started, result[0] as number, path);
    (cb as (...args: unknown[]) => void)(...result);
  }

  private async(op: string, path: string, cb: (...args: never[]) => void, fn: () => Promise<unknown[]>): void {
    const end = this.begin();
    const started = performance.now();
    let answered = false;
    const answer = (result: unknown[]): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      end();
      this.observe(op, performance.now() - started, result[0] as number, path);
      (cb as (...args: unknown[]) => void)(...result);
    };
    const timer = setTimeout(() => answer([Errno.EIO]), this.options.opTimeoutMs());
    fn().then(answer, (err: unknown) => {
      if (toErrno(err) !== Errno.ENOENT && toErrno(err) !== Errno.EROFS) this.logError(op, path, err);
      answer([toErrno(err)]);
    });
  }

  private logError(op: string, path: string, err: unknown): void {
    this.logger.warn(`${op} failed`, { path, reason: err instanceof Error ? err.message : String(err) });
  }
}

function toFuseStat(a: VfsAttr): FuseStat {
  return {
    mode: a.mode,
    uid: a.uid,
    gid: a.gid,
    size: a.size,
    nlink: a.nlink,
    ino: a.ino,
    mtime: a.mtimeMs,
    atime: a.mtimeMs,
    ctime: a.mtimeMs,
    blksize: 131072,
    blocks: Math.ceil(a.size / 512),
  };
}
