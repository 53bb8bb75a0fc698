import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import type { FromWorker, RangeReply, RangeRequest, TagBatchRequest, TagTaskRequest, TagTaskResponse } from './worker-protocol.js';

/**
 * A pool of worker threads reading tags (music-metadata) and fingerprints, so
 * parsing uses every core and never stalls the main thread, where FUSE ops run.
 *
 * Files go to workers in batches (up to BATCH_MAX_FILES), and each worker
 * holds up to BATCHES_PER_WORKER batches so it never waits for the next one.
 * A file that hangs a worker past `taskTimeoutMs` or crashes it fails on its
 * own: the worker is replaced and every file it held is retried once, alone
 * in a fresh worker, so only the culprit fails.
 * Idle workers exit after IDLE_EXIT_MS and are started again on demand.
 */

export interface TagReaderPoolOptions {
  workers?: number;
  taskTimeoutMs?: number;
}

type Outcome = TagTaskResponse & { retryable?: boolean };

/**
 * The bytes of a remote file, read by the main thread for a worker: up to
 * `length` bytes at `position` (shorter only at the end). Rejects with
 * `RemoteSourceError` when the origin cannot serve them.
 */
export interface RemoteRangeSource {
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Why a remote range could not be read; `vanished` = the file is gone. */
export class RemoteSourceError extends Error {
  constructor(
    message: string,
    readonly vanished: boolean,
  ) {
    super(message);
  }
}

interface Task {
  request: TagTaskRequest;
  /** For remote files: where the worker's range requests are served from. */
  source?: RemoteRangeSource;
  /** A range could not be read because of the origin (not the file): the scan should try again later. */
  originFailed?: boolean;
  resolve: (outcome: Outcome) => void;
  retried: boolean;
  signal: AbortSignal | undefined;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Task>;
  batches: number;
  idleTimer?: NodeJS.Timeout;
}

const BATCH_MAX_FILES = 64;
const BATCHES_PER_WORKER = 2;
/** A worker with nothing to do for this long exits (a scan's parser heap is large). */
const IDLE_EXIT_MS = 10_000;
/** Parsing allocates many short-lived buffers; the default young generation makes the scavenger a third of the work. */
const YOUNG_GENERATION_MB = 96;
const WORKER_URL = new URL('./tag-worker.js', import.meta.url);

const stopped = (id: number): Outcome => ({ id, ok: false, reason: 'scanner stopped', vanished: false });

export class TagReaderPool implements AsyncDisposable {
  private readonly size: number;
  private readonly taskTimeoutMs: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private disposed = false;

  constructor(
    private readonly logger: Logger,
    options: TagReaderPoolOptions = {},
  ) {
    this.size = Math.max(1, options.workers ?? availableParallelism());
    this.taskTimeoutMs = options.taskTimeoutMs ?? 30_000;
  }

  /**
   * Starts the workers now (loading the parser takes a few hundred ms), so
   * they are ready when a walk hands over its first files.
   */
  warmUp(): void {
    while (!this.disposed && this.slots.length < this.size) this.armIdleExit(this.spawn());
  }

  /** Reads one local file; never rejects: failures come back as `{ ok: false, reason }`. */
  read(absPath: string, signal?: AbortSignal): Promise<Outcome> {
    return this.enqueue({ id: this.nextId++, absPath }, undefined, signal);
  }

  /**
   * Reads one remote file, its bytes served by `source` on this thread.
   * Never rejects; a failure caused by the origin (not the file) comes back
   * with `retryable` set. The source is closed when the read is done.
   */
  async readRemote(file: { name: string; size: number; mtimeMs: number }, source: RemoteRangeSource, signal?: AbortSignal): Promise<Outcome> {
    try {
      return await this.enqueue({ id: this.nextId++, remote: file }, source, signal);
    } finally {
      await source.close().catch(() => undefined);
    }
  }

  private enqueue(request: TagTaskRequest, source: RemoteRangeSource | undefined, signal: AbortSignal | undefined): Promise<Outcome> {
    if (this.disposed || signal?.aborted) return Promise.resolve(stopped(0));
    return new Promise((resolve) => {
      const task: Task = { request, resolve: () => undefined, retried: false, signal, source };
      task.resolve = (outcome) => resolve(!outcome.ok && task.originFailed ? { ...outcome, retryable: true } : outcome);
      this.queue.push(task);
      // Let a burst of read() calls queue up before cutting batches.
      if (this.queue.length === 1) queueMicrotask(() => this.pump());
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.disposed) {
      // A file retried after a timeout or crash runs alone in an idle worker,
      // so if it fails again it is surely the culprit.
      const isolate = this.queue[0]!.retried;
      const slot = this.freeSlot(isolate);
      if (!slot) return;
      const size = isolate ? 1 : Math.min(BATCH_MAX_FILES, Math.max(1, Math.ceil(this.queue.length / (this.size * BATCHES_PER_WORKER))));
      const tasks: Task[] = [];
      while (tasks.length < size && this.queue.length > 0 && this.queue[0]!.retried === isolate) {
        const task = this.queue.shift()!;
        // A stopped scan's queued files are handed back unread.
        if (task.signal?.aborted) task.resolve(stopped(task.request.id));
        else tasks.push(task);
      }
      if (tasks.length === 0) continue;
      clearTimeout(slot.idleTimer);
      for (const task of tasks) {
        slot.inFlight.set(task.request.id, task);
        task.timer = setTimeout(() => this.onTimeout(slot), this.taskTimeoutMs);
        task.timer.unref();
      }
      slot.batches++;
      slot.worker.postMessage({ kind: 'batch', tasks: tasks.map((t) => t.request) } satisfies TagBatchRequest);
    }
  }

  /** A worker with room for a batch (an idle one when `idle`), started if needed. */
  private freeSlot(idle: boolean): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.batches < BATCHES_PER_WORKER && (!best || s.batches < best.batches)) best = s;
    if (best && best.batches === 0) return best;
    if (this.slots.length < this.size) return this.spawn();
    return idle ? undefined : best;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    // An idle pool must not keep the process alive.
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map(), batches: 0 };
    worker.on('message', (response: FromWorker) => {
      if (response.kind === 'range') {
        void this.serveRange(slot, response);
        return;
      }
      if (response.done) slot.batches = Math.max(0, slot.batches - 1);
      for (const result of response.results) {
        const task = slot.inFlight.get(result.id);
        if (!task) continue;
        slot.inFlight.delete(result.id);
        clearTimeout(task.timer);
        task.resolve(result);
      }
      this.pump();
      if (slot.inFlight.size === 0) this.armIdleExit(slot);
    });
    worker.on('error', (err) => this.retire(slot, `tag reader crashed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.disposed) this.retire(slot, `tag reader exited (code ${code})`);
    });
    this.slots.push(slot);
    return slot;
  }

  /** Answers a worker's request for bytes of a remote file from the task's source. */
  private async serveRange(slot: Slot, request: RangeRequest): Promise<void> {
    const task = slot.inFlight.get(request.taskId);
    let reply: RangeReply;
    if (!task?.source) {
      reply = { kind: 'range-reply', requestId: request.requestId, error: 'scanner stopped' };
    } else {
      try {
        const data = await task.source.read(request.position, request.length);
        reply = { kind: 'range-reply', requestId: request.requestId, data };
      } catch (err) {
        const vanished = err instanceof RemoteSourceError && err.vanished;
        if (!vanished) task.originFailed = true;
        reply = { kind: 'range-reply', requestId: request.requestId, error: (err as Error).message, vanished };
      }
    }
    // The slot may have been retired meanwhile; a terminated worker ignores the message.
    const transfer = reply.data && reply.data.byteOffset === 0 && reply.data.byteLength === reply.data.buffer.byteLength ? [reply.data.buffer as ArrayBuffer] : [];
    slot.worker.postMessage(reply, transfer);
  }

  private armIdleExit(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => {
      if (slot.inFlight.size > 0) return;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      void slot.worker.terminate();
    }, IDLE_EXIT_MS);
    slot.idleTimer.unref();
  }

  private onTimeout(slot: Slot): void {
    const files = [...slot.inFlight.values()].map((t) => ('absPath' in t.request ? t.request.absPath : t.request.remote.name));
    this.logger.warn('reading tags timed out; restarting the tag reader', { files: files.length === 1 ? files[0] : files.length, timeoutMs: this.taskTimeoutMs });
    this.retire(slot, `timed out reading tags after ${this.taskTimeoutMs} ms`);
  }

  /** Drops a broken worker; its files are retried once (each alone), then failed. */
  private retire(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    clearTimeout(slot.idleTimer);
    void slot.worker.terminate();
    const retry: Task[] = [];
    for (const task of slot.inFlight.values()) {
      clearTimeout(task.timer);
      if (task.retried) {
        task.resolve({ id: task.request.id, ok: false, reason, vanished: false });
      } else {
        task.retried = true;
        retry.push(task);
      }
    }
    slot.inFlight.clear();
    this.queue.unshift(...retry);
    this.pump();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const task of this.queue.splice(0)) task.resolve(stopped(task.request.id));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      clearTimeout(slot.idleTimer);
      for (const task of slot.inFlight.values()) {
        clearTimeout(task.timer);
        task.resolve(stopped(task.request.id));
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
