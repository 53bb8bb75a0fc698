import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Origin, OriginAccess, OriginFileHandle, OriginStat, WalkOptions, WalkResult } from '../origins/origin.js';
import { toOriginError } from '../origins/origin-error.js';
import { withDeadline } from './deadline.js';
import { LatencyWindow } from './latency-window.js';
import { retryTransient } from './retry.js';

/**
 * The federation layer's wrapper around every origin: each operation gets a
 * deadline, idempotent lookups (stat) are retried on transient failures, and
 * round-trip latencies and failures are recorded for routing, health and
 * metrics. Reads are not retried here: the replica reader decides whether
 * the next attempt goes to the same origin or to another replica.
 */

export interface GuardSettings {
  /** Deadline of one operation (retries included), read live from the config. */
  deadlineMs(): number;
  /** Told of every operation's outcome and of bytes read (metrics). */
  observe?(operation: string, seconds: number, ok: boolean): void;
  bytesRead?(bytes: number): void;
}

export interface OriginOpStats {
  /** Successful operations and failed ones (after retries), by operation. */
  ops: Map<string, { ok: number; failed: number }>;
  bytesRead: number;
  /** Consecutive failed operations (any kind) since the last success. */
  consecutiveFailures: number;
  lastFailure: string;
}

export class GuardedOrigin implements Origin {
  readonly latency = new LatencyWindow();
  readonly stats: OriginOpStats = { ops: new Map(), bytesRead: 0, consecutiveFailures: 0, lastFailure: '' };

  constructor(
    readonly inner: Origin,
    private readonly settings: GuardSettings,
  ) {}

  get id(): number {
    return this.inner.id;
  }
  get name(): string {
    return this.inner.name;
  }
  get kind(): string {
    return this.inner.kind;
  }
  get root(): string {
    return this.inner.root;
  }
  get remote(): boolean {
    return this.inner.remote;
  }

  walk(options?: WalkOptions): Promise<WalkResult> {
    // A walk of a large bucket legitimately takes minutes: each origin bounds
    // its own list requests; the caller's signal stops it.
    return this.inner.walk(options);
  }

  stat(path: string, signal?: AbortSignal): Promise<OriginStat | undefined> {
    const deadlineMs = this.settings.deadlineMs();
    const deadlineAt = performance.now() + deadlineMs;
    return this.track('stat', () =>
      retryTransient(
        () => withDeadline((s) => this.inner.stat(path, s), Math.max(1, Math.ceil(deadlineAt - performance.now())), { origin: this.name, operation: 'stat', path }, signal),
        deadlineAt,
        signal,
      ),
    );
  }

  async open(path: string, signal?: AbortSignal, access?: OriginAccess): Promise<OriginFileHandle> {
    const handle = await this.track('open', () => withDeadline((s) => this.inner.open(path, s, access), this.settings.deadlineMs(), { origin: this.name, operation: 'open', path }, signal));
    return this.guardHandle(handle, path);
  }

  checkHealth(signal?: AbortSignal): Promise<void> {
    return this.track('health', () => this.inner.checkHealth(signal));
  }

  get localPath(): ((path: string) => string) | undefined {
    return this.inner.localPath?.bind(this.inner);
  }

  get watch(): ((onChanges: (paths: string[]) => void) => AsyncDisposable) | undefined {
    return this.inner.watch?.bind(this.inner);
  }

  dispose(): void | Promise<void> {
    return this.inner.dispose();
  }

  /**
   * Reads with a deadline per call. A read that hangs past it fails (the
   * handle is then closed by the caller) instead of holding a FUSE request.
   */
  private guardHandle(handle: OriginFileHandle, path: string): OriginFileHandle {
    return {
      ...(handle.stat !== undefined ? { stat: handle.stat } : {}),
      read: async (buffer, offset, length, position, signal) => {
        const n = await this.track(
          'read',
          () => withDeadline((s) => handle.read(buffer, offset, length, position, s), this.settings.deadlineMs(), { origin: this.name, operation: 'read', path }, signal),
          false,
        );
        this.stats.bytesRead += n;
        this.settings.bytesRead?.(n);
        return n;
      },
      close: () => handle.close(),
    };
  }

  /** Runs one operation, recording its outcome; `timed` ones feed the latency window (round trips, not transfers). */
  private async track<T>(operation: string, run: () => Promise<T>, timed = true): Promise<T> {
    const counts = this.stats.ops.get(operation) ?? { ok: 0, failed: 0 };
    this.stats.ops.set(operation, counts);
    const started = performance.now();
    try {
      const value = await run();
      this.settings.observe?.(operation, (performance.now() - started) / 1000, true);
      counts.ok++;
      this.stats.consecutiveFailures = 0;
      if (timed) this.latency.add(performance.now() - started);
      return value;
    } catch (err) {
      const e = toOriginError(err, { origin: this.name, operation });
      // A missing file or a stopped call says nothing about the origin's health.
      if (e.failure !== 'not_found' && e.failure !== 'aborted') {
        this.settings.observe?.(operation, (performance.now() - started) / 1000, false);
        counts.failed++;
        this.stats.consecutiveFailures++;
        this.stats.lastFailure = e.message;
      }
      throw e;
    }
  }
}
