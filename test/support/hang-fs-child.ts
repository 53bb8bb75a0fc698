/**
 * The FUSE server behind hang-fs.ts, run in its own process so that the test
 * process never waits on itself: a read-only passthrough of SOURCE mounted at
 * MOUNT_POINT (argv), steered over the IPC channel.
 *
 * While hanging, every op is held (its callback kept, nothing answered) in
 * arrival order. `resume` serves the held ops normally, as a hard-mounted NFS
 * share does when its server comes back, and serves later ops at once.
 * `stop` (or the parent going away) answers held ops, and any op after
 * them, with EIO, unmounts and exits. fuse-native's own per-op timeout is off, so only we answer.
 *
 * Protocol (both ways JSON over the IPC channel):
 *   parent → child  { id, command: 'hang' | 'resume' | 'held' | 'stop' }
 *   child → parent  { id, ok: true, held } after each command,
 *                   { event: 'mounted' } once, { event: 'failed', message } if the mount fails.
 */
import { constants as fsConstants, type Stats } from 'node:fs';
import { open, readdir, readFile, stat, statfs, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Errno } from '../../src-main/daemon/fuse/errno.js';
import { loadFuseBinding, type FuseInstance, type FuseOps, type FuseStat } from '../../src-main/daemon/fuse/fuse-binding.js';

export type HangFsCommand = 'hang' | 'resume' | 'held' | 'stop';
export interface HangFsRequest {
  id: number;
  command: HangFsCommand;
}
export type HangFsReply = { id: number; ok: true; held: number } | { event: 'mounted' } | { event: 'failed'; message: string };

/** How often to check that the parent is still alive (see watchParent). */
const PARENT_CHECK_MS = 250;

/** Linux's access-mode bits of open flags (not in Node's fs.constants). */
const O_ACCMODE = 3;

const WRITE_OPS = [
  'write', 'create', 'truncate', 'ftruncate', 'unlink', 'rename', 'link', 'symlink',
  'mkdir', 'rmdir', 'chmod', 'chown', 'utimens', 'mknod', 'setxattr', 'removexattr',
] as const;

/** An op waiting for the hang to end: `serve` does the work and answers, `fail` answers EIO. */
interface HeldOp {
  serve(): void;
  fail(): void;
}

class HangFsServer {
  private hanging = false;
  /** Stopping: every op, held or new, gets EIO (an op queued in the kernel behind a held one arrives only now). */
  private failing = false;
  private readonly held: HeldOp[] = [];
  /** Our fds for the kernel's file handles (fuse-native passes 32-bit numbers). */
  private readonly files = new Map<number, FileHandle>();
  private instance: FuseInstance | undefined;

  constructor(
    private readonly source: string,
    private readonly mountPoint: string,
  ) {}

  async mount(): Promise<void> {
    const Fuse = loadFuseBinding();
    const instance = new Fuse(this.mountPoint, this.buildOps(), {
      // Extra options ride on fsname (comma-joined into one -o). Zero cache
      // timeouts: every lookup reaches us, so a hang is felt at once.
      fsname: 'hangfs,ro,entry_timeout=0,attr_timeout=0,negative_timeout=0',
      subtype: 'hangfs',
      // A killed server leaves no stale mount.
      autoUnmount: true,
      timeout: false,
    });
    await new Promise<void>((resolve, reject) => instance.mount((err) => (err ? reject(err) : resolve())));
    this.instance = instance;
  }

  hang(): void {
    this.hanging = true;
  }

  resume(): void {
    this.hanging = false;
    for (const op of this.held.splice(0)) op.serve();
  }

  get heldCount(): number {
    return this.held.length;
  }

  async stop(): Promise<void> {
    this.failing = true;
    for (const op of this.held.splice(0)) op.fail();
    const instance = this.instance;
    this.instance = undefined;
    if (instance) await new Promise<void>((resolve) => instance.unmount(() => resolve()));
    await Promise.all([...this.files.values()].map((f) => f.close().catch(() => undefined)));
  }

  private buildOps(): FuseOps {
    const real = (path: string): string => join(this.source, path);
    const ops: FuseOps = {
      getattr: (path, cb) => this.gate(cb, async () => [0, toFuseStat(await stat(real(path)))]),
      fgetattr: (path, _fd, cb) => this.gate(cb, async () => [0, toFuseStat(await stat(real(path)))]),
      readdir: (path, cb) => this.gate(cb, async () => [0, await readdir(real(path))]),
      open: (path, flags, cb) =>
        this.gate(cb, async () => {
          if ((flags & O_ACCMODE) !== fsConstants.O_RDONLY) return [Errno.EROFS];
          const handle = await open(real(path), 'r');
          this.files.set(handle.fd, handle);
          return [0, handle.fd];
        }),
      read: (_path, fd, buf, len, pos, cb) =>
        this.gate(cb, async () => {
          const handle = this.files.get(fd);
          if (!handle) return [Errno.EBADF];
          const { bytesRead } = await handle.read(buf, 0, len, pos);
          return [bytesRead];
        }),
      release: (_path, fd, cb) =>
        this.gate(cb, async () => {
          const handle = this.files.get(fd);
          this.files.delete(fd);
          await handle?.close();
          return [0];
        }),
      statfs: (_path, cb) =>
        this.gate(cb, async () => {
          const s = await statfs(this.source);
          return [0, { bsize: s.bsize, frsize: s.bsize, blocks: s.blocks, bfree: s.bfree, bavail: s.bavail, files: s.files, ffree: s.ffree, favail: s.ffree, fsid: 0x68616e67, flag: 1, namemax: 255 }];
        }),
    };
    for (const op of WRITE_OPS) {
      ops[op] = ((...args: unknown[]) => (args[args.length - 1] as (code: number) => void)(Errno.EROFS)) as (...args: never[]) => void;
    }
    return ops;
  }

  /** Runs `work` and answers with its result, or holds the op while hanging. */
  private gate(cb: (...args: never[]) => void, work: () => Promise<unknown[]>): void {
    const answer = cb as (...args: unknown[]) => void;
    const serve = (): void => {
      work().then(
        (result) => answer(...result),
        (err: unknown) => answer(errnoOf(err)),
      );
    };
    if (this.failing) answer(Errno.EIO);
    else if (this.hanging) this.held.push({ serve, fail: () => answer(Errno.EIO) });
    else serve();
  }
}

/** Node's system errors carry the negated errno FUSE wants; anything else is EIO. */
function errnoOf(err: unknown): number {
  const errno = (err as NodeJS.ErrnoException).errno;
  return typeof errno === 'number' && errno < 0 ? errno : Errno.EIO;
}

function toFuseStat(s: Stats): FuseStat {
  return {
    mode: s.mode,
    uid: s.uid,
    gid: s.gid,
    size: s.size,
    nlink: s.nlink,
    ino: s.ino,
    mtime: s.mtimeMs,
    atime: s.atimeMs,
    ctime: s.ctimeMs,
    blksize: s.blksize,
    blocks: s.blocks,
  };
}

/**
 * Calls `onGone` once the parent has died. The IPC channel alone cannot
 * tell: a parent killed while one of its threads waits on our mount stays a
 * zombie, its sockets open, until we answer that op (the kernel waits
 * uninterruptibly for a request the server has already read). So also look
 * at the parent's state in /proc.
 */
function watchParent(onGone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) return onGone();
    readFile(`/proc/${parent}/stat`, 'utf8').then(
      (stat) => {
        // Fields after "pid (comm) ": the state letter comes first.
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state === 'Z' || state === 'X') onGone();
      },
      () => onGone(),
    );
  }, PARENT_CHECK_MS);
  timer.unref();
}

async function main(): Promise<void> {
  const [source, mountPoint] = process.argv.slice(2);
  const send = (reply: HangFsReply, then?: () => void): void => void process.send?.(reply, undefined, {}, () => then?.());
  if (!source || !mountPoint || !process.send) {
    console.error('usage: hang-fs-child SOURCE MOUNT_POINT (spawned with an IPC channel)');
    process.exit(64);
  }
  const server = new HangFsServer(source, mountPoint);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= server.stop());
  // The parent gone: unmount and leave.
  const leave = (): void => void stop().finally(() => process.exit(0));
  process.on('disconnect', leave);
  watchParent(leave);
  process.on('message', (request: HangFsRequest) => {
    const ack = (): void => send({ id: request.id, ok: true, held: server.heldCount });
    switch (request.command) {
      case 'hang':
        server.hang();
        return ack();
      case 'resume':
        server.resume();
        return ack();
      case 'held':
        return ack();
      case 'stop':
        // Exit only once the ack is out (an exit drops queued IPC messages).
        void stop().finally(() => send({ id: request.id, ok: true, held: 0 }, () => process.exit(0)));
        return;
    }
  });
  try {
    await server.mount();
  } catch (err) {
    send({ event: 'failed', message: (err as Error).message }, () => process.exit(1));
    return;
  }
  send({ event: 'mounted' });
}

void main();
