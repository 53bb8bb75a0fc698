/**
 * The reads of `npm run bench:read` (bench/bench-read.ts), in a worker thread
 * with synchronous fs calls: each open and read is timed alone, without the
 * thread-pool hand-off of the async API, while the main thread stays free to
 * handle signals and time limits (a read that hangs on a FUSE mount blocks
 * this thread only; the clean-up's unmount ends it).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { mulberry32 } from './rng.js';

/** Read every file from start to end: `firstBytes` first (time to first byte), then `blockBytes` at a time. */
export interface SequentialJob {
  op: 'sequential';
  files: readonly string[];
  firstBytes: number;
  blockBytes: number;
}

/** `rounds` times over the files: open, read `bytes` from the start, close. */
export interface FirstByteJob {
  op: 'first-byte';
  files: readonly string[];
  rounds: number;
  bytes: number;
}

/** `count` reads of `bytes` at random 4 KiB-aligned offsets (seeded), file after file, all files open first. */
export interface SeekJob {
  op: 'seek';
  files: readonly string[];
  sizes: readonly number[];
  count: number;
  bytes: number;
  seed: number;
}

/** One block at a random offset of each file, in `a` and in `b`: how many are equal. */
export interface CompareJob {
  op: 'compare';
  a: readonly string[];
  b: readonly string[];
  sizes: readonly number[];
  bytes: number;
  seed: number;
}

export type ReadJob = SequentialJob | FirstByteJob | SeekJob | CompareJob;

export interface SequentialResult {
  ms: number;
  bytes: number;
  /** Per file: open → first read returned. */
  firstByteMs: number[];
  /** Per file: bytes read. */
  fileBytes: number[];
  /** CPU seconds of the benchmark process (user + system) over the job. */
  cpuSec: number;
}
export interface SamplesResult {
  ms: number;
  samplesMs: number[];
  cpuSec: number;
}
export interface CompareResult {
  equal: number;
  total: number;
}

export type ReadReply = { ok: true; result: SequentialResult | SamplesResult | CompareResult } | { ok: false; error: string };

const PAGE = 4096;
const cpuSec = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
const randomOffset = (rng: () => number, size: number, bytes: number): number => Math.floor((rng() * Math.max(0, size - bytes)) / PAGE) * PAGE;

function sequential(job: SequentialJob): SequentialResult {
  const buf = Buffer.allocUnsafe(Math.max(job.blockBytes, job.firstBytes));
  const firstByteMs: number[] = [];
  const fileBytes: number[] = [];
  let bytes = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (const file of job.files) {
    const t = performance.now();
    const fd = openSync(file, 'r');
    try {
      let n = readSync(fd, buf, 0, job.firstBytes, 0);
      firstByteMs.push(performance.now() - t);
      let pos = n;
      while (n > 0) {
        n = readSync(fd, buf, 0, job.blockBytes, pos);
        pos += n;
      }
      fileBytes.push(pos);
      bytes += pos;
    } finally {
      closeSync(fd);
    }
  }
  return { ms: performance.now() - started, bytes, firstByteMs, fileBytes, cpuSec: cpuSec(cpu) };
}

function firstByte(job: FirstByteJob): SamplesResult {
  const buf = Buffer.allocUnsafe(job.bytes);
  const samplesMs: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let r = 0; r < job.rounds; r++) {
    for (const file of job.files) {
      const t = performance.now();
      const fd = openSync(file, 'r');
      try {
        readSync(fd, buf, 0, job.bytes, 0);
        samplesMs.push(performance.now() - t);
      } finally {
        closeSync(fd);
      }
    }
  }
  return { ms: performance.now() - started, samplesMs, cpuSec: cpuSec(cpu) };
}

function seek(job: SeekJob): SamplesResult {
  const buf = Buffer.allocUnsafe(job.bytes);
  const rng = mulberry32(job.seed);
  const fds = job.files.map((f) => openSync(f, 'r'));
  const samplesMs: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  try {
    for (let i = 0; i < job.count; i++) {
      const k = i % fds.length;
      const offset = randomOffset(rng, job.sizes[k]!, job.bytes);
      const t = performance.now();
      readSync(fds[k]!, buf, 0, job.bytes, offset);
      samplesMs.push(performance.now() - t);
    }
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  return { ms: performance.now() - started, samplesMs, cpuSec: cpuSec(cpu) };
}

function compare(job: CompareJob): CompareResult {
  const rng = mulberry32(job.seed);
  const x = Buffer.alloc(job.bytes);
  const y = Buffer.alloc(job.bytes);
  let equal = 0;
  job.a.forEach((a, i) => {
    const offset = randomOffset(rng, job.sizes[i]!, job.bytes);
    const read = (file: string, into: Buffer): number => {
      const fd = openSync(file, 'r');
      try {
        return readSync(fd, into, 0, job.bytes, offset);
      } finally {
        closeSync(fd);
      }
    };
    const n = read(a, x);
    if (read(job.b[i]!, y) === n && x.subarray(0, n).equals(y.subarray(0, n))) equal++;
  });
  return { equal, total: job.a.length };
}

function handle(job: ReadJob): SequentialResult | SamplesResult | CompareResult {
  switch (job.op) {
    case 'sequential':
      return sequential(job);
    case 'first-byte':
      return firstByte(job);
    case 'seek':
      return seek(job);
    case 'compare':
      return compare(job);
  }
}

parentPort?.on('message', (job: ReadJob) => {
  let reply: ReadReply;
  try {
    reply = { ok: true, result: handle(job) };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
