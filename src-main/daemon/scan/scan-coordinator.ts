import type { AsyncDisposable } from '../base/lifecycle.js';
import type { Logger } from '../base/logger.js';
import type { EventBus } from '../events.js';
import type { ManagedOrigin } from '../origins/origin-manager.js';
import type { ScanReport } from './scan-report.js';
import type { ScanProgress, Scanner } from './scanner.js';

/**
 * When origins are scanned: a watcher and a full scan when an origin starts
 * being served, watcher batches as they come, rescans on request (with
 * progress) and on a timer. Each origin has its own abort controller, so
 * disabling or removing it stops its scan at once.
 */

interface Running {
  watcher: AsyncDisposable | undefined;
  abort: AbortController;
}

export class ScanCoordinator {
  private readonly running = new Map<number, Running>();
  private readonly pending = new Set<Promise<unknown>>();
  private disposed = false;

  constructor(
    private readonly scanner: Scanner,
    private readonly events: EventBus,
    private readonly logger: Logger,
  ) {}

  /** Starts serving an origin: watch it, then scan it fully in the background. */
  start(o: ManagedOrigin): void {
    if (this.disposed || this.running.has(o.id)) return;
    const state: Running = { watcher: undefined, abort: new AbortController() };
    this.running.set(o.id, state);
    // Watch first: the walk registers each folder before listing it.
    if (o.origin.watch) state.watcher = o.origin.watch((paths) => this.track(this.run(o, 'changes', paths).catch(() => undefined)));
    this.track(this.run(o, 'full').catch(() => undefined));
  }

  /** Stops watching and scanning an origin (disabled or removed). */
  async stop(o: ManagedOrigin): Promise<void> {
    const state = this.running.get(o.id);
    if (!state) return;
    this.running.delete(o.id);
    state.abort.abort(new Error('origin stopped'));
    await state.watcher?.dispose();
  }

  /** A full scan now; progress is reported while it runs. Rejects when cancelled. */
  rescan(o: ManagedOrigin, onProgress: (p: ScanProgress) => void, signal?: AbortSignal): Promise<ScanReport> {
    const sub = this.scanner.onDidProgress((p) => {
      if (p.origin === o.name) onProgress(p);
    });
    const p = this.run(o, 'full', [], signal).finally(() => void sub.dispose());
    this.track(p.catch(() => undefined));
    return p;
  }

  /** Resolves when every scan started so far has finished. */
  async whenIdle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  private async run(o: ManagedOrigin, kind: 'full' | 'changes', paths: string[] = [], signal?: AbortSignal): Promise<ScanReport> {
    const state = this.running.get(o.id);
    const abort = signal && state ? AbortSignal.any([signal, state.abort.signal]) : (signal ?? state?.abort.signal);
    abort?.throwIfAborted();
    o.scanning = true;
    this.events.publish({ type: 'scan_started', origin: o.name, kind });
    try {
      const report = kind === 'full' ? await this.scanner.fullScan(o.origin, abort) : await this.scanner.scanPaths(o.origin, paths, abort);
      if (kind === 'full' || !o.lastScan) o.lastScan = report;
      this.events.publish({ type: 'scan_completed', origin: o.name, report });
      return report;
    } catch (err) {
      if (!abort?.aborted) this.logger.error('scan failed', { origin: o.name, kind, reason: (err as Error).message });
      throw err;
    } finally {
      o.scanning = false;
    }
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const states = [...this.running.values()];
    this.running.clear();
    for (const s of states) s.abort.abort(new Error('shutting down'));
    await Promise.all(states.map((s) => s.watcher?.dispose()));
  }
}
