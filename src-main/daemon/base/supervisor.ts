import type { AsyncDisposable } from './lifecycle.js';
import type { Logger } from './logger.js';

/**
 * Runs long-lived background tasks (health checks, periodic rescans...) and
 * restarts one that crashes, with backoff, after syncthing's suture: a task
 * that fails is logged with its name and restarted after 1, 2, 5, 10, 30,
 * then 60 s; a task that ran for a minute is trusted again (backoff reset).
 * A task ends normally by returning when its signal aborts.
 */

export type Task = (signal: AbortSignal) => Promise<void>;

const BACKOFF_MS = [1000, 2000, 5000, 10_000, 30_000, 60_000];
const HEALTHY_AFTER_MS = 60_000;

export class Supervisor implements AsyncDisposable {
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly logger: Logger,
    private readonly backoffMs: readonly number[] = BACKOFF_MS,
  ) {}

  /** Starts `task` under supervision. */
  run(name: string, task: Task): void {
    const p = this.loop(name, task);
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  private async loop(name: string, task: Task): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      const started = Date.now();
      try {
        await task(signal);
        if (signal.aborted) return;
        // Returned on its own: a one-shot task, done.
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (Date.now() - started >= HEALTHY_AFTER_MS) failures = 0;
        const waitMs = this.backoffMs[Math.min(failures, this.backoffMs.length - 1)] ?? 1000;
        failures++;
        this.logger.error('background task crashed; restarting', { task: name, attempt: failures, restartInMs: waitMs, reason: (err as Error).message, stack: (err as Error).stack });
        await sleep(waitMs, signal);
      }
    }
  }

  async dispose(): Promise<void> {
    this.abort.abort(new Error('shutting down'));
    await Promise.allSettled([...this.running]);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
