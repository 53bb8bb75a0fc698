import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import type { TagTaskRequest, TagTaskResponse } from './worker-protocol.js';

/**
 * A pool of worker threads reading tags (music-metadata) and fingerprints, so
 * parsing uses every core and never stalls the main thread, where FUSE ops run.
 *
 * Each worker takes a few files at once (I/O overlaps parsing). A file that
 * hangs a worker past `taskTimeoutMs` or crashes it fails on its own: the
 * worker is replaced and the other files it held are retried once elsewhere.
 */

export interface TagReaderPoolOptions {
  workers?: number;
  tasksPerWorker?: number;
  taskTimeoutMs?: number;
}

type Outcome = TagTaskResponse;

interface Task {
  request: TagTaskRequest;
  resolve: (outcome: Outcome) => void;
  retried: boolean;
  signal: AbortSignal | undefined;
  timer?: NodeJS.Timeout;
}

const stopped = (id: number): Outcome => ({ id, ok: false, reason: 'scanner stopped', vanished: false });

interface Slot {
  worker: Worker;
  inFlight: Map<number, Task>;
}

const WORKER_URL = new URL('./tag-worker.js', import.meta.url);

export class TagReaderPool implements AsyncDisposable {
  private readonly size: number;
  private readonly tasksPerWorker: number;
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
    this.tasksPerWorker = Math.max(1, options.tasksPerWorker ?? 4);
    this.taskTimeoutMs = options.taskTimeoutMs ?? 30_000;
  }

  /** Reads one file; never rejects: failures come back as `{ ok: false, reason }`. */
  read(absPath: string, signal?: AbortSignal): Promise<Outcome> {
    if (this.disposed || signal?.aborted) return Promise.resolve(stopped(0));
    return new Promise((resolve) => {
      this.queue.push({ request: { id: this.nextId++, absPath }, resolve, retried: false, signal });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.disposed) {
      const slot = this.freeSlot();
      if (!slot) return;
      const task = this.queue.shift()!;
      // A stopped scan's queued files are handed back unread.
      if (task.signal?.aborted) {
        task.resolve(stopped(task.request.id));
        continue;
      }
      slot.inFlight.set(task.request.id, task);
      task.timer = setTimeout(() => this.onTimeout(slot, task), this.taskTimeoutMs);
      task.timer.unref();
      slot.worker.postMessage(task.request);
    }
  }

  private freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.inFlight.size < this.tasksPerWorker && (!best || s.inFlight.size < best.inFlight.size)) best = s;
    if (best && best.inFlight.size === 0) return best;
    if (this.slots.length < this.size) return this.spawn();
    return best;
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_URL);
    // An idle pool must not keep the process alive.
    worker.unref();
    const slot: Slot = { worker, inFlight: new Map() };
    worker.on('message', (response: TagTaskResponse) => {
      const task = slot.inFlight.get(response.id);
      if (!task) return;
      slot.inFlight.delete(response.id);
      clearTimeout(task.timer);
      task.resolve(response);
      this.pump();
    });
    worker.on('error', (err) => this.retire(slot, `tag reader crashed: ${err.message}`));
    worker.on('exit', (code) => {
      if (!this.disposed) this.retire(slot, `tag reader exited (code ${code})`);
    });
    this.slots.push(slot);
    return slot;
  }

  private onTimeout(slot: Slot, task: Task): void {
    this.logger.warn('reading tags timed out; restarting the tag reader', { file: task.request.absPath, timeoutMs: this.taskTimeoutMs });
    slot.inFlight.delete(task.request.id);
    task.resolve({ id: task.request.id, ok: false, reason: `timed out reading tags after ${this.taskTimeoutMs} ms`, vanished: false });
    this.retire(slot, 'restarted after a timeout');
  }

  /** Drops a broken worker; its other tasks are retried once, then failed. */
  private retire(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    for (const task of slot.inFlight.values()) {
      clearTimeout(task.timer);
      if (task.retried) {
        task.resolve({ id: task.request.id, ok: false, reason, vanished: false });
      } else {
        task.retried = true;
        this.queue.unshift(task);
      }
    }
    slot.inFlight.clear();
    this.pump();
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const task of this.queue.splice(0)) task.resolve(stopped(task.request.id));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      for (const task of slot.inFlight.values()) {
        clearTimeout(task.timer);
        task.resolve(stopped(task.request.id));
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
