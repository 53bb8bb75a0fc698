/**
 * MusicFS daemons (and other FUSE daemons to compare with: `startFusePeer`)
 * as child processes of a benchmark, and the resources to release whatever
 * happens: live daemons (SIGINT or their stop signal, then SIGKILL), FUSE
 * mounts (`fusermount -uz`), other resources (servers, proxies:
 * `trackResource`) and the temp folder, in that order. `runBench` wires the
 * clean-up to the end of the run, to SIGINT/SIGTERM and, as a last resort,
 * to `exit`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BIN, DOCS_FILE, isolatedEnv, log } from './bench-kit.js';
import { writeDocsSection } from './docs-section.js';

const WRITE_DOCS = process.env['MUSICFS_BENCH_WRITE_DOCS'] !== '0';
const KEEP_TMP = process.env['MUSICFS_BENCH_KEEP'] === '1';

// ---------------------------------------------------------------------------
// Resources to release whatever happens

const liveDaemons = new Set<DaemonProcess>();
const usedMounts = new Set<string>();
const resources = new Set<Resource>();
let tmpRoot: string | undefined;
let cleanedUp = false;

/** Creates the run's temp folder (removed by the clean-up unless MUSICFS_BENCH_KEEP=1). */
export async function makeTmpRoot(prefix: string): Promise<string> {
  tmpRoot = await mkdtemp(join(tmpdir(), prefix));
  log(`working in ${tmpRoot}`);
  return tmpRoot;
}

/** A mount point to unmount at clean-up (and not to delete while still mounted). */
export function trackMount(path: string): void {
  usedMounts.add(path);
}

/** Something to release at clean-up that is not a daemon or a mount: a server, a proxy. */
export interface Resource {
  label: string;
  /** Safe to call twice. */
  stop(): Promise<void>;
  /** The last resort at `exit` (no awaiting there): kill what would outlive the process, if anything. */
  killSync?(): void;
}

/**
 * Releases `resource` at clean-up (after the daemons and mounts that may use
 * it, newest first) unless `release` is called first; `release` stops it now.
 */
export function trackResource(resource: Resource): () => Promise<void> {
  resources.add(resource);
  return async () => {
    resources.delete(resource);
    await resource.stop();
  };
}

export interface StateDirs {
  dir: string;
  /** The child's whole environment: see `isolatedEnv`. */
  env: NodeJS.ProcessEnv;
}

/** Fresh XDG folders `state/NAME` under the temp root (the same ones again for the same name). */
export async function makeState(name: string): Promise<StateDirs> {
  if (tmpRoot === undefined) throw new Error('makeState before makeTmpRoot');
  const dir = join(tmpRoot, 'state', name);
  return { dir, env: await isolatedEnv(dir) };
}

/** Whether `path` is a mount point now (/proc/self/mountinfo). */
export function isMounted(path: string): boolean {
  try {
    const text = readFileSync('/proc/self/mountinfo', 'utf8');
    // Field 5 is the mount point, with space, tab, newline and backslash as octal escapes.
    const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    return text.split('\n').some((line) => line !== '' && unescape(line.split(' ')[4] ?? '') === path);
  } catch {
    return false;
  }
}

function unmountSync(path: string): void {
  if (!isMounted(path)) return;
  const r = spawnSync('fusermount', ['-uz', path], { stdio: 'ignore', timeout: 10_000 });
  if (r.status !== 0) spawnSync('umount', ['-l', path], { stdio: 'ignore', timeout: 10_000 });
}

async function cleanup(): Promise<void> {
  if (cleanedUp) return;
  cleanedUp = true;
  await Promise.allSettled([...liveDaemons].map((d) => d.stop()));
  for (const m of usedMounts) unmountSync(m);
  for (const r of [...resources].reverse()) {
    resources.delete(r);
    await r.stop().catch((err: unknown) => log(`${r.label}: stop failed: ${err instanceof Error ? err.message : String(err)}`));
  }
  if (tmpRoot !== undefined) {
    const stillMounted = [...usedMounts].filter(isMounted);
    if (stillMounted.length > 0) log(`NOT removing ${tmpRoot}: still mounted: ${stillMounted.join(', ')}`);
    else if (KEEP_TMP) log(`kept ${tmpRoot}`);
    else await rm(tmpRoot, { recursive: true, force: true });
  }
}

/** Last resort when the process exits without the async cleanup (uncaught error, second Ctrl-C). */
function cleanupSync(): void {
  for (const d of liveDaemons) d.kill();
  for (const m of usedMounts) unmountSync(m);
  for (const r of resources) r.killSync?.();
}

/**
 * A benchmark's `main`: produces the section, prints it, writes it as
 * `## heading` of docs/benchmarks.md (unless MUSICFS_BENCH_WRITE_DOCS=0),
 * and cleans up in every case. `onSignal` says what the clean-up does.
 * Resolves to the exit code.
 */
export async function runBench(heading: string, onSignal: string, produce: () => Promise<string>): Promise<number> {
  let interrupted = false;
  const signalled = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      cleanupSync();
      process.exit(130);
    }
    interrupted = true;
    log(`${signal}: ${onSignal}`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', signalled);
  process.on('SIGTERM', signalled);
  process.on('exit', cleanupSync);
  try {
    const section = await produce();
    process.stdout.write(`\n${section}\n`);
    if (WRITE_DOCS) {
      await writeDocsSection(DOCS_FILE, heading, section);
      log(`wrote the ${heading} section of ${DOCS_FILE}`);
    }
    return 0;
  } catch (err) {
    log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    await cleanup();
  }
}

// ---------------------------------------------------------------------------
// Daemon child processes

export interface Line {
  /** ms since spawn. */
  t: number;
  text: string;
}

export interface Memory {
  rssKb: number;
  hwmKb: number;
  /** Threads of the daemon process (main, libuv pool, tag workers, FUSE). */
  threads: number;
}

export interface Cpu {
  totalSec: number;
  mainSec: number;
}

export interface DaemonOptions {
  /** Default wait of `waitForLine`. */
  lineTimeoutMs: number;
  /** Default wait of `stop` before SIGKILL. */
  stopTimeoutMs: number;
  /** Run node with `--cpu-prof` into this folder (MusicFS only). */
  cpuProfDir?: string | undefined;
  /** Another program than bin/musicfs (a peer FUSE daemon): run `command args`. */
  command?: string | undefined;
  /** What `stop` sends first; SIGINT unless set. */
  stopSignal?: NodeJS.Signals | undefined;
}

let clockTicks: number | undefined;
/** Clock ticks per second of /proc/PID/stat times (asked once, when first needed). */
const clkTck = (): number => (clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100);

/** utime + stime, in clock ticks, of a /proc/PID/stat or /proc/PID/task/TID/stat file. */
function ticksOf(file: string): number {
  const text = readFileSync(file, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU seconds (utime + stime) used so far by process `pid` and its live
 * descendants (/proc/PID/task/TID/children, recursively); 0 for what is gone.
 */
export function processTreeCpuSec(pid: number): number {
  let ticks = 0;
  const visit = (p: number): void => {
    try {
      ticks += ticksOf(`/proc/${p}/stat`);
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        for (const child of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ')) if (child.trim() !== '') visit(Number(child));
      }
    } catch {
      // The process ended while we looked.
    }
  };
  visit(pid);
  return ticks / clkTck();
}

let profileSeq = 0;

/** `bin/musicfs ARGS` (or `command ARGS`) with its stdout lines timestamped; stopped by the clean-up if still running. */
export class DaemonProcess {
  readonly child: ChildProcess;
  readonly spawnedAt = performance.now();
  private readonly lines: Line[] = [];
  private readonly waiters = new Set<() => void>();
  private stderrTail = '';
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    private readonly options: DaemonOptions,
  ) {
    const dir = options.cpuProfDir;
    // `${pid}` and `${time}` are filled in by node itself.
    const [cmd, argv]: [string, readonly string[]] = options.command
      ? [options.command, args]
      : dir
        ? [process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${label}-${++profileSeq}.\${pid}.\${time}.cpuprofile`, BIN, ...args]]
        : [BIN, args];
    this.child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const t = performance.now() - this.spawnedAt;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        this.lines.push({ t, text: pending.slice(0, nl) });
        pending = pending.slice(nl + 1);
      }
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-8000);
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exit ??= { code, signal };
        liveDaemons.delete(this);
        this.wake();
        resolve();
      };
      this.child.on('exit', done);
      this.child.on('error', (err) => {
        this.stderrTail += `\nspawn error: ${err.message}`;
        done(null, null);
      });
    });
    liveDaemons.add(this);
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error(`${this.label}: no pid (spawn failed: ${this.stderrTail.trim()})`);
    return pid;
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  /** The first stdout line matching `re` (already seen or still to come). */
  waitForLine(re: RegExp, timeoutMs = this.options.lineTimeoutMs): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.lines.find((l) => re.test(l.text));
        if (hit) {
          done();
          resolve(hit);
          return true;
        }
        if (this.exit) {
          done();
          reject(new Error(`${this.label}: daemon exited (code ${this.exit.code}, signal ${this.exit.signal}) before printing ${re}\nstdout:\n${this.stdout()}\nstderr:\n${this.stderrTail}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: no line matching ${re} after ${timeoutMs} ms\nstdout:\n${this.stdout()}\nstderr:\n${this.stderrTail}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = (): void => void check();
      if (!check()) this.waiters.add(waiter);
    });
  }

  /** Polls /proc/self/mountinfo until `mountPoint` is mounted; rejects if the daemon exits first or after `timeoutMs`. */
  async waitForMount(mountPoint: string, timeoutMs = this.options.lineTimeoutMs): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (isMounted(mountPoint)) return performance.now() - this.spawnedAt;
      if (this.exit) throw new Error(`${this.label}: exited (code ${this.exit.code}, signal ${this.exit.signal}) before mounting ${mountPoint}\nstderr:\n${this.stderrTail}`);
      if (performance.now() > deadline) throw new Error(`${this.label}: ${mountPoint} not mounted after ${timeoutMs} ms\nstderr:\n${this.stderrTail}`);
      await sleep(20);
    }
  }

  stdout(): string {
    return this.lines.map((l) => `${l.t.toFixed(0).padStart(7)} ms  ${l.text}`).join('\n');
  }

  memory(): Memory {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const field = (name: string): number => {
      const m = new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status);
      if (!m) throw new Error(`${this.label}: no ${name} in /proc/${this.pid}/status`);
      return Number(m[1]);
    };
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM'), threads: field('Threads') };
  }

  /** CPU seconds used so far by the whole process and by its main thread (tid = pid). */
  cpu(): Cpu {
    return { totalSec: ticksOf(`/proc/${this.pid}/stat`) / clkTck(), mainSec: ticksOf(`/proc/${this.pid}/task/${this.pid}/stat`) / clkTck() };
  }

  /** CPU seconds used so far by the process and its live descendants (sshfs does its crypto in an `ssh` child). */
  treeCpuSec(): number {
    return processTreeCpuSec(this.pid);
  }

  /** SIGINT (or the stop signal), then wait for exit; SIGKILL (this pid only) if it does not exit in time. */
  async stop(timeoutMs = this.options.stopTimeoutMs): Promise<void> {
    if (this.exit) return;
    const signal = this.options.stopSignal ?? 'SIGINT';
    this.child.kill(signal);
    const inTime = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!inTime) {
      log(`${this.label}: no exit ${timeoutMs} ms after ${signal}; sending SIGKILL to pid ${this.child.pid}`);
      this.kill();
      await this.exited;
    }
    // Re-read: TypeScript keeps the narrowing from before the awaits.
    const exit = this.exit as { code: number | null } | undefined;
    // 128 + the signal number: the exit status of a daemon that quits on the signal it was sent (rclone does).
    if (exit && exit.code !== 0 && exit.code !== null && exit.code !== 128 + constants.signals[signal]) log(`${this.label}: exited with code ${exit.code}; stderr: ${this.stderrTail.trim().slice(-500)}`);
  }

  kill(): void {
    if (!this.exit) this.child.kill('SIGKILL');
  }
}

/**
 * Another FUSE daemon to compare with (rclone, mergerfs...): `command args`
 * in the foreground, so its pid is the daemon's; stopped with SIGTERM, its
 * mount point unmounted at clean-up. Resolves once `mountPoint` is mounted.
 */
export async function startFusePeer(label: string, command: string, args: readonly string[], mountPoint: string, options: DaemonOptions, env: NodeJS.ProcessEnv = process.env): Promise<DaemonProcess> {
  trackMount(mountPoint);
  const d = new DaemonProcess(label, args, env, { stopSignal: 'SIGTERM', ...options, command });
  try {
    await d.waitForMount(mountPoint);
  } catch (err) {
    await d.stop();
    throw err;
  }
  return d;
}
