import { OriginError } from './origin-error.js';

/**
 * A bulkhead for the file calls of one local origin. Node runs file calls on
 * libuv's small shared thread pool; on a hung NFS/SMB mount each call blocks
 * its thread until the server answers, possibly forever, and a few of them
 * would stall every other origin, the cache and the catalog. So each local
 * origin may have at most `slots` calls in the pool at once; a call still
 * running past `stuckMs` counts as stuck (it keeps its slot until the kernel
 * answers, which is all we can do), and when every slot is stuck new calls
 * fail at once with a `timeout` error instead of queueing behind them.
 */
export class FsGate {
  private running = 0;
  private stuck = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly origin: string,
    private readonly stuckMs: () => number,
    private readonly slots = 4,
  ) {}

  /** Calls in the pool that have run past the stuck threshold. */
  get stuckCalls(): number {
    return this.stuck;
  }

  async run<T>(operation: string, path: string, call: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.stuck >= this.slots) {
        throw new OriginError(
          'timeout',
          `${this.origin}: ${this.stuck} file operations have hung for more than ${this.stuckMs() >= 1000 ? `${Math.round(this.stuckMs() / 1000)} s` : `${this.stuckMs()} ms`} (is an NFS/SMB share behind it not answering?)`,
          { origin: this.origin, operation, path },
        );
      }
      if (this.running < this.slots) break;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.running++;
    let isStuck = false;
    const timer = setTimeout(() => {
      isStuck = true;
      this.stuck++;
      // Waiters queued behind stuck calls would wait for ever: fail them now.
      if (this.stuck >= this.slots) for (const wake of this.waiting.splice(0)) wake();
    }, this.stuckMs());
    timer.unref();
    try {
      return await call();
    } finally {
      clearTimeout(timer);
      if (isStuck) this.stuck--;
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
