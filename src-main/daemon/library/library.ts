import type { CompiledLayout } from '../../../src-shared/layout/index.js';
import { Emitter } from '../base/event.js';
import type { TrackRecord } from '../catalog/catalog.js';
import type { CatalogDelta } from '../scan/scanner.js';
import { LibraryTree, TreeBuilder } from '../vfs/library-tree.js';

/**
 * The library as the mount shows it: every track of every origin (an
 * in-memory index kept in step with the catalog by deltas), the layout, the
 * order of the enabled origins, and the tree built from them.
 *
 * Rebuilds run on the main thread (where FUSE ops run too), so they are
 * throttled: at most every REBUILD_INTERVAL_MS, or five times the last
 * build's duration, and never when nothing changed. A name is rendered once
 * per track record and reused by later builds.
 */

const REBUILD_INTERVAL_MS = 300;
const REBUILD_DUTY_FACTOR = 5;

export class Library {
  private tree = LibraryTree.empty();
  private readonly tracks = new Map<number, TrackRecord>();
  private builder: TreeBuilder;
  private changed = true;
  private timer: NodeJS.Timeout | undefined;
  private lastBuildAt = 0;
  private lastBuildMs = 0;
  private disposed = false;
  private readonly didRebuild = new Emitter<LibraryTree>();
  /** Fires after every rebuild with the new tree. */
  readonly onDidRebuild = this.didRebuild.event;

  constructor(
    private layout: CompiledLayout,
    private originOrder: readonly number[],
    tracks: Iterable<TrackRecord>,
  ) {
    for (const t of tracks) this.tracks.set(t.id, t);
    this.builder = new TreeBuilder(layout, originOrder);
  }

  get current(): LibraryTree {
    return this.tree;
  }

  track(id: number): TrackRecord | undefined {
    return this.tracks.get(id);
  }

  /** Tracks of an origin currently in the index. */
  countOf(originId: number): number {
    let n = 0;
    for (const t of this.tracks.values()) if (t.originId === originId) n++;
    return n;
  }

  applyDelta(delta: Pick<CatalogDelta, 'upserted' | 'removedIds'>): void {
    if (delta.upserted.length + delta.removedIds.length === 0) return;
    for (const id of delta.removedIds) this.tracks.delete(id);
    for (const t of delta.upserted) this.tracks.set(t.id, t);
    this.changed = true;
    this.schedule();
  }

  /** Enabled origins, best first; a new order renames and rebuilds at once. */
  setOriginOrder(order: readonly number[]): void {
    if (order.length === this.originOrder.length && order.every((id, i) => id === this.originOrder[i])) return;
    this.originOrder = [...order];
    this.builder = new TreeBuilder(this.layout, this.originOrder);
    this.changed = true;
    this.rebuildNow();
  }

  setLayout(layout: CompiledLayout): void {
    this.layout = layout;
    this.builder = new TreeBuilder(layout, this.originOrder);
    this.changed = true;
    this.rebuildNow();
  }

  /** Builds now if anything changed since the last build. */
  rebuildNow(): void {
    if (this.disposed) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.changed) return;
    this.changed = false;
    const started = performance.now();
    this.tree = this.builder.build(this.tracks.values());
    this.lastBuildAt = Date.now();
    this.lastBuildMs = performance.now() - started;
    this.didRebuild.fire(this.tree);
  }

  private schedule(): void {
    if (this.timer || this.disposed) return;
    const interval = Math.max(REBUILD_INTERVAL_MS, REBUILD_DUTY_FACTOR * this.lastBuildMs);
    this.timer = setTimeout(() => this.rebuildNow(), Math.max(0, this.lastBuildAt + interval - Date.now()));
    this.timer.unref();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.didRebuild.dispose();
  }
}
