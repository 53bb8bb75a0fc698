import type { AsyncDisposable } from '../../base/lifecycle.js';
import type { Origin, OriginAccess, OriginFileHandle, OriginStat, WalkOptions, WalkResult } from '../origin.js';
import { OriginError, type OriginFailure } from '../origin-error.js';

/**
 * A fault-injecting wrapper around a real origin, for unit tests of routing,
 * retries, failover and health: the bytes come from the real origin (a local
 * folder, usually); the wrapper makes it go down, hang, slow down, fail the
 * next few calls, or cut reads after some bytes, as a dying server would.
 */
export class FaultOrigin implements Origin {
  private downWith: OriginFailure | undefined;
  private hanging = false;
  private latencyMs = 0;
  private failures: { count: number; failure: OriginFailure } | undefined;
  private readBudget: number | undefined;
  /** Calls seen, by operation. */
  readonly calls = new Map<string, number>();

  constructor(
    private readonly inner: Origin,
    readonly remote = true,
  ) {}

  get id(): number {
    return this.inner.id;
  }
  get name(): string {
    return this.inner.name;
  }
  get kind(): string {
    return 'fault';
  }
  get root(): string {
    return this.inner.root;
  }

  /** Every call fails with `failure` until `up()`. */
  down(failure: OriginFailure = 'refused'): this {
    this.downWith = failure;
    return this;
  }
  up(): this {
    this.downWith = undefined;
    this.hanging = false;
    return this;
  }
  /** Every call from now on never answers (until its signal fires), like a black-holed host. */
  hang(): this {
    this.hanging = true;
    return this;
  }
  setLatency(ms: number): this {
    this.latencyMs = ms;
    return this;
  }
  /** The next `count` calls fail with `failure`, then calls work again. */
  failNext(count: number, failure: OriginFailure = 'reset'): this {
    this.failures = { count, failure };
    return this;
  }
  /** Reads fail (connection dropped) once this many more bytes have been read, over all handles. */
  cutReadsAfter(bytes: number | undefined): this {
    this.readBudget = bytes;
    return this;
  }

  count(operation: string): number {
    return this.calls.get(operation) ?? 0;
  }

  walk(options?: WalkOptions): Promise<WalkResult> {
    return this.gate('walk', options?.signal, () => this.inner.walk(options));
  }

  stat(path: string, signal?: AbortSignal): Promise<OriginStat | undefined> {
    return this.gate('stat', signal, () => this.inner.stat(path, signal), path);
  }

  async open(path: string, signal?: AbortSignal, access?: OriginAccess): Promise<OriginFileHandle> {
    const handle = await this.gate('open', signal, () => this.inner.open(path, signal, access), path);
    return {
      read: (buffer, offset, length, position, readSignal) =>
        this.gate(
          'read',
          readSignal,
          async () => {
            if (this.readBudget !== undefined && this.readBudget <= 0) throw new OriginError('reset', `${this.name}: connection dropped`, { origin: this.name, operation: 'read', path });
            const allowed = this.readBudget === undefined ? length : Math.min(length, this.readBudget);
            const n = await handle.read(buffer, offset, allowed, position, readSignal);
            if (this.readBudget !== undefined) this.readBudget -= n;
            return n;
          },
          path,
        ),
      close: () => handle.close(),
    };
  }

  checkHealth(signal?: AbortSignal): Promise<void> {
    return this.gate('health', signal, () => this.inner.checkHealth(signal));
  }

  watch(onChanges: (paths: string[]) => void): AsyncDisposable {
    return this.inner.watch?.(onChanges) ?? { dispose: () => undefined };
  }

  dispose(): void | Promise<void> {
    return this.inner.dispose();
  }

  private async gate<T>(operation: string, signal: AbortSignal | undefined, run: () => Promise<T>, path = ''): Promise<T> {
    this.calls.set(operation, this.count(operation) + 1);
    const context = { origin: this.name, operation, path };
    if (this.latencyMs > 0) await sleepUnlessAborted(this.latencyMs, signal);
    if (this.hanging) {
      await new Promise<never>((_, reject) => {
        const abort = (): void => reject(new OriginError('aborted', `${this.name}: ${operation} stopped`, context));
        if (signal?.aborted) abort();
        signal?.addEventListener('abort', abort, { once: true });
      });
    }
    if (this.downWith !== undefined) throw new OriginError(this.downWith, `${this.name}: ${operation}: injected ${this.downWith}`, context);
    if (this.failures && this.failures.count > 0) {
      this.failures.count--;
      throw new OriginError(this.failures.failure, `${this.name}: ${operation}: injected ${this.failures.failure}`, context);
    }
    return run();
  }
}

function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
