/**
 * A test's playground: a temp folder, XDG state dirs inside it, and a record
 * of every daemon process and mount point the test started. `cleanup()`
 * stops what is still running, unmounts what is still mounted (fusermount -uz
 * as a last resort), removes the folder, and reports what leaked so the test
 * can fail on it (after vscode's ensureNoDisposablesAreLeakedInTestSuite).
 */
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const MUSICFS_BIN = join(REPO_ROOT, 'bin', 'musicfs');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export class DaemonProcess {
  private out = '';
  private err = '';
  private readonly exited: Promise<RunResult>;
  private exitResult: RunResult | undefined;

  constructor(
    readonly child: ChildProcess,
    readonly mountPoint: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.err += d));
    this.exited = new Promise((res) => {
      child.on('exit', (code, signal) => {
        this.exitResult = { code, signal, stdout: this.out, stderr: this.err };
        res(this.exitResult);
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  get hasExited(): boolean {
    return this.exitResult !== undefined;
  }

  /** Resolves when stdout matches `pattern` `count` times; rejects if the process exits first or on timeout. */
  async waitForOutput(pattern: RegExp, count = 1, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : pattern.flags + 'g');
    for (;;) {
      if ((this.out.match(global) ?? []).length >= count) return;
      if (this.exitResult) throw new Error(`musicfs exited (code ${this.exitResult.code}) before printing ${pattern}\nstdout:\n${this.out}\nstderr:\n${this.err}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} x${count}\nstdout:\n${this.out}\nstderr:\n${this.err}`);
      await sleep(20);
    }
  }

  /** Waits for the mount line. */
  ready(timeoutMs = 30_000): Promise<void> {
    return this.waitForOutput(/^musicfs: mounted /m, 1, timeoutMs);
  }

  /** Waits for the daemon's ready line (printed by `mount` and `daemon` alike). */
  daemonReady(timeoutMs = 30_000): Promise<void> {
    return this.waitForOutput(/^musicfs: daemon ready /m, 1, timeoutMs);
  }

  /** Waits until `n` full scans have completed (one per origin at start). */
  scansComplete(n: number, timeoutMs = 60_000): Promise<void> {
    return this.waitForOutput(/^scan complete: /m, n, timeoutMs);
  }

  /** Sends `signal` and waits for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 20_000): Promise<RunResult> {
    if (!this.exitResult) this.child.kill(signal);
    return withTimeout(this.exited, timeoutMs, `musicfs did not exit after ${signal}`);
  }

  wait(timeoutMs = 20_000): Promise<RunResult> {
    return withTimeout(this.exited, timeoutMs, 'musicfs did not exit');
  }

  /** Stops it with SIGINT unless it has exited already, and asserts a clean exit (code 0). */
  async stopCleanly(): Promise<void> {
    if (this.hasExited) return;
    const r = await this.stop('SIGINT');
    assert.equal(r.code, 0, `musicfs exited with ${r.code}: ${r.stderr}`);
  }
}

export class Sandbox {
  readonly env: NodeJS.ProcessEnv;
  private readonly daemons: DaemonProcess[] = [];
  private readonly mountPoints = new Set<string>();

  private constructor(readonly dir: string) {
    this.env = {
      ...process.env,
      XDG_CONFIG_HOME: join(dir, 'state', 'config'),
      XDG_DATA_HOME: join(dir, 'state', 'data'),
      XDG_CACHE_HOME: join(dir, 'state', 'cache'),
      XDG_RUNTIME_DIR: join(dir, 'state', 'run'),
      // No colour codes or locale surprises in captured output.
      NO_COLOR: '1',
      LC_ALL: 'C.UTF-8',
    };
  }

  static async create(prefix = 'musicfs-it-'): Promise<Sandbox> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    return new Sandbox(dir);
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async mkdir(...parts: string[]): Promise<string> {
    const p = this.path(...parts);
    await mkdir(p, { recursive: true });
    return p;
  }

  /** Starts `musicfs mount MOUNTPOINT --origin ...` (does not wait for readiness). */
  startMount(mountPoint: string, origins: readonly string[], extraArgs: readonly string[] = [], env: NodeJS.ProcessEnv = {}): DaemonProcess {
    const args = ['mount', mountPoint, ...origins.flatMap((o) => ['--origin', o]), ...extraArgs];
    const child = spawn(MUSICFS_BIN, args, { env: { ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(child, mountPoint);
    this.daemons.push(daemon);
    this.mountPoints.add(resolve(mountPoint));
    return daemon;
  }

  /** Starts `musicfs daemon ARGS` (does not wait); `mountPoint` is tracked for cleanup. */
  startDaemon(args: readonly string[] = [], env: NodeJS.ProcessEnv = {}, mountPoint?: string): DaemonProcess {
    const child = spawn(MUSICFS_BIN, ['daemon', ...args], { env: { ...this.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(child, mountPoint ?? '');
    this.daemons.push(daemon);
    if (mountPoint) this.mountPoints.add(resolve(mountPoint));
    return daemon;
  }

  /** Runs `musicfs ARGS` to completion. */
  async run(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; wrapper?: readonly string[] } = {}): Promise<RunResult> {
    const [cmd, ...cmdArgs] = [...(options.wrapper ?? []), MUSICFS_BIN, ...args];
    const child = spawn(cmd!, cmdArgs, { env: { ...this.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(child, '');
    this.daemons.push(daemon);
    return daemon.wait(options.timeoutMs ?? 30_000);
  }

  /** Stops leftovers, unmounts, removes the folder; returns what had leaked. */
  async cleanup(): Promise<string[]> {
    const leaks: string[] = [];
    for (const d of this.daemons) {
      if (d.hasExited) continue;
      leaks.push(`process ${d.pid} (musicfs ${d.mountPoint}) still running`);
      d.child.kill('SIGKILL');
      await d.wait(5000).catch(() => undefined);
    }
    for (const mp of this.mountPoints) {
      if (await isMounted(mp)) {
        leaks.push(`mount ${mp} still mounted`);
        await forceUnmount(mp);
      }
    }
    for (const mp of await mountsUnder(this.dir)) {
      leaks.push(`mount ${mp} still mounted`);
      await forceUnmount(mp);
    }
    await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
    return leaks;
  }
}

export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mounts', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[1])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(dir + '/'));
}

export async function isMounted(mountPoint: string): Promise<boolean> {
  return (await mountsUnder(mountPoint)).includes(mountPoint);
}

export async function forceUnmount(mountPoint: string): Promise<void> {
  await execFileAsync('fusermount', ['-uz', mountPoint]).catch(() => execFileAsync('umount', ['-l', mountPoint]).catch(() => undefined));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true (or a non-false value) or `timeoutMs` passes; returns the elapsed ms. */
export async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 25): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** Every file below `dir` (relative, '/'-separated), following no symlinks. */
export async function listFiles(dir: string): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(rel ? join(dir, rel) : dir, { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}
