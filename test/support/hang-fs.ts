/**
 * A FUSE folder that can hang on command, standing in for a hung NFS/SMB
 * share: a read-only passthrough of `source` mounted at `mountPoint`, served
 * by a child process (hang-fs-child.ts) so the test process never blocks on
 * its own mount.
 *
 * - `hang()`: from its ack on, every op is held unanswered (getattr, readdir,
 *   open, read, release, statfs; writes get EROFS, the rest ENOSYS). Calls
 *   may also wait in the kernel behind a held op without reaching the server
 *   (libfuse 2 has no parallel lookups in one folder): `heldOps()` counts
 *   only what reached it. No attribute or entry caching, so every call is
 *   felt.
 * - `resume()`: held ops are served normally (a returning NFS server), and
 *   new ones at once.
 * - `stop()`: always leaves no mount and no process: held ops (and any op
 *   after them) get EIO, the child unmounts and exits; if it does not within a moment it is killed
 *   (the kernel then fails pending requests with ENOTCONN), and
 *   `fusermount -uz` runs as a last resort. Resolves once
 *   /proc/self/mountinfo no longer lists the mount point.
 *
 * Touching a hung mount: a *synchronous* fs call on it blocks the whole test
 * process. Use async fs calls (a libuv pool thread stays stuck; the pool has
 * 4 threads unless UV_THREADPOOL_SIZE says otherwise, and later fs calls
 * queue behind stuck ones) or a child process, race them with a timer, and
 * call `stop()` in an after()/finally: it is what frees stuck threads, which
 * would otherwise keep the test process from exiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HangFsCommand, HangFsReply, HangFsRequest } from './hang-fs-child.js';
import { forceUnmount, waitUntil } from './sandbox.js';

export interface HangFsOptions {
  /** Folder to serve (read-only). */
  source: string;
  /** Where to mount it (created if missing; must not be mounted already). */
  mountPoint: string;
  startTimeoutMs?: number;
}

export interface HangFs {
  /** The mount point, resolved to a real path. */
  readonly mountPoint: string;
  /** The FUSE server's pid. */
  readonly pid: number;
  /** Holds every op from now on; resolves once the server has switched. */
  hang(): Promise<void>;
  /** Serves the held ops normally, and every later op. */
  resume(): Promise<void>;
  /** How many ops are held right now (for waiting until a call has reached the server). */
  heldOps(): Promise<number>;
  /** Unmounts and ends the server, whatever state it is in. Safe to call twice. */
  stop(): Promise<void>;
  /** The same as stop(), for owners that hold AsyncDisposables. */
  dispose(): Promise<void>;
}

const CHILD_SCRIPT = fileURLToPath(new URL('./hang-fs-child.js', import.meta.url));
const COMMAND_TIMEOUT_MS = 5_000;
const GRACEFUL_STOP_MS = 3_000;
const KILL_WAIT_MS = 5_000;
const UNMOUNT_WAIT_MS = 10_000;
/** Diagnostics kept from the child's output. */
const MAX_OUTPUT_CHARS = 16 * 1024;

export async function startHangFs(options: HangFsOptions): Promise<HangFs> {
  await mkdir(options.mountPoint, { recursive: true });
  // Resolved before mounting: afterwards a realpath could itself hang.
  const mountPoint = await realpath(resolve(options.mountPoint));
  if (await isListedInMountinfo(mountPoint)) throw new Error(`hang-fs: ${mountPoint} is already a mount point`);
  const child = spawn(process.execPath, ['--enable-source-maps', CHILD_SCRIPT, resolve(options.source), mountPoint], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const server = new HangFsProcess(child, mountPoint);
  try {
    await server.mounted(options.startTimeoutMs ?? 10_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** True while /proc/self/mountinfo lists `mountPoint` (reading it never touches the mount). */
export async function isListedInMountinfo(mountPoint: string): Promise<boolean> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').some((line) => unescapeMountPath(line.split(' ')[4] ?? '') === mountPoint);
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

interface PendingCommand {
  resolve(held: number): void;
  reject(err: Error): void;
}

/** Our side of the child: numbered commands acked over IPC, and the teardown. */
class HangFsProcess implements HangFs {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCommand>();
  private readonly exited: Promise<void>;
  private hasExited = false;
  private output = '';
  private onMountEvent: ((reply: HangFsReply) => void) | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly child: ChildProcess,
    readonly mountPoint: string,
  ) {
    const keep = (d: string): void => {
      this.output = (this.output + d).slice(-MAX_OUTPUT_CHARS);
    };
    child.stdout!.setEncoding('utf8').on('data', keep);
    child.stderr!.setEncoding('utf8').on('data', keep);
    child.on('message', (reply: HangFsReply) => this.onReply(reply));
    this.exited = new Promise((res) => {
      child.once('exit', () => {
        this.hasExited = true;
        for (const p of this.pending.values()) p.reject(new Error(`hang-fs server exited\n${this.output}`));
        this.pending.clear();
        res();
      });
    });
    // A spawn error would otherwise be thrown as unhandled; keep it for the diagnostics.
    child.on('error', (err) => keep(`spawn error: ${err.message}\n`));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  mounted(timeoutMs: number): Promise<void> {
    return new Promise((res, rej) => {
      let settled = false;
      const settle = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.onMountEvent = undefined;
        if (err) rej(err);
        else res();
      };
      this.onMountEvent = (reply) => {
        if ('event' in reply && reply.event === 'mounted') settle();
        else if ('event' in reply && reply.event === 'failed') settle(new Error(`hang-fs: cannot mount ${this.mountPoint}: ${reply.message}\n${this.output}`));
      };
      const timer = setTimeout(() => settle(new Error(`hang-fs: no mount at ${this.mountPoint} after ${timeoutMs} ms\n${this.output}`)), timeoutMs);
      void this.exited.then(() => settle(new Error(`hang-fs server exited before mounting\n${this.output}`)));
    });
  }

  async hang(): Promise<void> {
    await this.command('hang');
  }

  async resume(): Promise<void> {
    await this.command('resume');
  }

  heldOps(): Promise<number> {
    return this.command('held');
  }

  stop(): Promise<void> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  dispose(): Promise<void> {
    return this.stop();
  }

  private async teardown(): Promise<void> {
    if (!this.hasExited) {
      // Graceful: held ops get EIO, the child unmounts and exits.
      await this.command('stop', GRACEFUL_STOP_MS).catch(() => undefined);
      await raceTimer(this.exited, GRACEFUL_STOP_MS);
    }
    if (!this.hasExited) {
      this.child.kill('SIGKILL');
      await raceTimer(this.exited, KILL_WAIT_MS);
      if (!this.hasExited) throw new Error(`hang-fs: server ${this.pid} survived SIGKILL`);
    }
    if (await isListedInMountinfo(this.mountPoint)) await forceUnmount(this.mountPoint);
    await waitUntil(async () => !(await isListedInMountinfo(this.mountPoint)), UNMOUNT_WAIT_MS, `${this.mountPoint} to leave /proc/self/mountinfo`);
  }

  private command(command: HangFsCommand, timeoutMs = COMMAND_TIMEOUT_MS): Promise<number> {
    if (this.hasExited || !this.child.connected) return Promise.reject(new Error(`hang-fs server is gone (${command})\n${this.output}`));
    const id = this.nextId++;
    return new Promise<number>((res, rej) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        rej(new Error(`hang-fs: no ack for ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (held) => (clearTimeout(timer), res(held)),
        reject: (err) => (clearTimeout(timer), rej(err)),
      });
      const request: HangFsRequest = { id, command };
      this.child.send(request, (err) => {
        if (!err) return;
        this.pending.get(id)?.reject(err);
        this.pending.delete(id);
      });
    });
  }

  private onReply(reply: HangFsReply): void {
    if ('id' in reply) {
      this.pending.get(reply.id)?.resolve(reply.held);
      this.pending.delete(reply.id);
    } else {
      this.onMountEvent?.(reply);
    }
  }
}

/** Waits for `p` at most `ms`; never rejects. */
async function raceTimer(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
