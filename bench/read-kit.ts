/**
 * What the read benchmarks share (bench-read: local files; bench-remote: S3
 * and SFTP): the reader worker thread and its client, files of a mount
 * matched to their sources, the page-cache drop, and read-number formatting.
 *
 * The reads themselves run in bench/read-worker.ts, never on the main thread:
 * a benchmark may host a server in its own event loop (s3rver) that the
 * mounts read from, and a synchronous read on the main thread would deadlock.
 */
import { spawnSync } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { timeCommand } from './bench-kit.js';
import type { CompareResult, ReadJob, ReadReply, SamplesResult, SequentialResult } from './read-worker.js';

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

// ---------------------------------------------------------------------------
// Files

export interface SourceFile {
  /** Relative to its library folder. */
  rel: string;
  size: number;
}

/** Every regular file below `root` with its size, sorted by path. */
export async function walkFiles(root: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  const visit = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await visit(p);
      else if (e.isFile()) out.push({ path: p, size: (await stat(p)).size });
    }
  };
  await visit(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Each source file's path in a mount that names files its own way (MusicFS:
 * by tags), matched by size. When two files share a size, the 3-digit number
 * at the end of the source name must appear in the mount name as ` NNN.`
 * (the generated libraries put it in the title); otherwise it is an error.
 */
export async function matchBySize(files: readonly SourceFile[], mountPoint: string): Promise<string[]> {
  const bySize = new Map<number, string[]>();
  for (const f of await walkFiles(mountPoint)) bySize.set(f.size, [...(bySize.get(f.size) ?? []), f.path]);
  return files.map((f) => {
    let hits = bySize.get(f.size) ?? [];
    const number = /(\d{3})\.[a-z0-9]+$/.exec(f.rel)?.[1];
    if (hits.length > 1 && number) hits = hits.filter((p) => p.includes(` ${number}.`));
    if (hits.length !== 1) throw new Error(`${f.rel} (${f.size} bytes): ${hits.length} files of that size in ${mountPoint}${hits.length ? `: ${hits.join(', ')}` : ''}`);
    return hits[0]!;
  });
}

// ---------------------------------------------------------------------------
// The page cache

export type DropMode = 'global' | 'files';

/** `global` or `files` from the environment variable `name` (default global). */
export function dropModeEnv(name: string): DropMode {
  const mode = process.env[name] || 'global';
  if (mode !== 'global' && mode !== 'files') throw new Error(`${name} must be global or files, got ${JSON.stringify(mode)}`);
  return mode;
}

export interface Drop {
  /** What was done, in words. */
  method: string;
  /** Bytes of the dropped files in the page cache before and after (fincore), or NaN without fincore. */
  residentBefore: number;
  residentAfter: number;
}

const HAS_FINCORE = spawnSync('sh', ['-c', 'command -v fincore'], { stdio: 'ignore' }).status === 0;

/** Runs `cmd ...fixed FILE...` over the files, 200 at a time; the stdouts joined. */
async function overFiles(cmd: string, fixed: readonly string[], files: readonly string[]): Promise<string> {
  let out = '';
  for (let i = 0; i < files.length; i += 200) out += (await timeCommand(cmd, [...fixed, ...files.slice(i, i + 200)], process.env)).stdout;
  return out;
}

/** Bytes of `files` in the page cache (fincore), NaN without fincore. */
export async function resident(files: readonly string[]): Promise<number> {
  if (!HAS_FINCORE || files.length === 0) return NaN;
  return sum((await overFiles('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES'], files)).split('\n').filter((l) => l.trim() !== '').map(Number));
}

/**
 * Drops `files` from the page cache: mode `global` writes 1 to
 * /proc/sys/vm/drop_caches (root only: the whole page cache) when allowed;
 * then, in every mode, each file is written back and dropped on its own
 * (`dd iflag=nocache count=0`: posix_fadvise DONTNEED).
 */
export async function dropCaches(files: readonly string[], mode: DropMode): Promise<Drop> {
  const residentBefore = await resident(files);
  const perFile = 'per file: `sync FILE` + `dd if=FILE iflag=nocache count=0` (posix_fadvise DONTNEED)';
  let method = files.length > 0 ? perFile : 'nothing (no files named)';
  if (mode === 'global') {
    try {
      spawnSync('sync');
      await writeFile('/proc/sys/vm/drop_caches', '1\n');
      method = `\`echo 1 > /proc/sys/vm/drop_caches\` (the whole page cache)${files.length > 0 ? `, then ${perFile}` : ''}`;
    } catch (err) {
      method = `${method} (/proc/sys/vm/drop_caches refused: ${(err as NodeJS.ErrnoException).code ?? String(err)})`;
    }
  }
  if (files.length > 0) {
    await overFiles('sync', [], files);
    await overFiles('sh', ['-c', 'for f; do dd if="$f" iflag=nocache count=0 status=none; done', 'sh'], files);
  }
  return { method, residentBefore, residentAfter: await resident(files) };
}

// ---------------------------------------------------------------------------
// The reader (a worker thread)

/** Runs read jobs (bench/read-worker.ts) one at a time in a worker thread. */
export class Reader {
  private readonly worker = new Worker(new URL('./read-worker.js', import.meta.url));
  private failed: Error | undefined;

  constructor(private readonly timeoutMs: number) {
    this.worker.unref();
    this.worker.on('error', (err) => (this.failed = err));
  }

  run<T extends SequentialResult | SamplesResult | CompareResult>(job: ReadJob): Promise<T> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${job.op}: no answer after ${this.timeoutMs} ms`)), this.timeoutMs);
      const onMessage = (reply: ReadReply): void => (reply.ok ? finish(undefined, reply.result as T) : finish(new Error(`${job.op}: ${reply.error}`)));
      const onError = (err: Error): void => finish(err);
      const finish = (err: Error | undefined, result?: T): void => {
        clearTimeout(timer);
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
        if (err) reject(err);
        else resolve(result!);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
      this.worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

// ---------------------------------------------------------------------------
// Numbers

/** MB/s of a sequential pass (MB = 10⁶ bytes). */
export const mbps = (r: SequentialResult): number => r.bytes / 1e6 / (r.ms / 1000);
export const fmtMB = (bytes: number): string => (Number.isNaN(bytes) ? '? (no fincore)' : `${(bytes / 1e6).toFixed(1)} MB`);
/** A latency in ms, three significant digits or so. */
export const lat = (ms: number): string => (ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toString());
export const ratioText = (x: number): string => `${x.toFixed(2)}×`;
