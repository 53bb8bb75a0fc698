import { createHash } from 'node:crypto';
import { LAYOUT_ENGINE_VERSION, type CompiledLayout } from '../../../src-shared/layout/index.js';
import { Emitter } from '../base/event.js';
import type { Catalog, IndexedTrack, TrackRecord } from '../catalog/catalog.js';
import { indexTrack, LibraryTree, renderName, TreeBuilder } from '../vfs/library-tree.js';

/**
 * The library as the mount shows it: every track of every origin in a slim
 * in-memory index (what the tree and the reader need; no tags), kept in step
 * with the catalog by deltas; the order of the enabled origins; and the tree
 * built from them.
 *
 * A track's name is rendered once per layout and stored in the catalog
 * (layout_key/layout_name), so a start loads names instead of rendering
 * every track, and tags need not stay in memory.
 *
 * Rebuilds run on the main thread (where FUSE ops run too), so they are
 * throttled: at most every REBUILD_INTERVAL_MS, or five times the last
 * build's duration, and never when nothing changed.
 */

const REBUILD_INTERVAL_MS = 300;
const REBUILD_DUTY_FACTOR = 5;

export interface TrackDelta {
  upserted: readonly TrackRecord[];
  removedIds: readonly number[];
}

export class Library {
  private tree = LibraryTree.empty();
  private readonly tracks = new Map<number, IndexedTrack>();
  private builder: TreeBuilder;
  private layoutKey: string;
  private changed = true;
  private timer: NodeJS.Timeout | undefined;
  private lastBuildAt = 0;
  private lastBuildMs = 0;
  private disposed = false;
  private readonly didRebuild = new Emitter<LibraryTree>();
  /** Fires after every rebuild with the new tree. */
  readonly onDidRebuild = this.didRebuild.event;

  constructor(
    private readonly catalog: Catalog,
    private layout: CompiledLayout,
    private originOrder: readonly number[],
  ) {
    this.layoutKey = layoutKeyOf(layout);
    this.builder = new TreeBuilder(originOrder);
    const { indexed, stale } = catalog.listForLayout(this.layoutKey);
    for (const t of indexed) this.tracks.set(t.id, t);
    // Tracks changed since their name was stored, or a new layout: render now.
    this.addRendered(stale);
  }

  get current(): LibraryTree {
    return this.tree;
  }

  get size(): number {
    return this.tracks.size;
  }

  /** Tracks of an origin currently in the index. */
  countOf(originId: number): number {
    let n = 0;
    for (const t of this.tracks.values()) if (t.originId === originId) n++;
    return n;
  }

  applyDelta(delta: TrackDelta): void {
    if (delta.upserted.length + delta.removedIds.length === 0) return;
    for (const id of delta.removedIds) this.tracks.delete(id);
    this.addRendered(delta.upserted);
    this.changed = true;
    this.schedule();
  }

  /** Enabled origins, best first; a new order renames and rebuilds at once. */
  setOriginOrder(order: readonly number[]): void {
    if (order.length === this.originOrder.length && order.every((id, i) => id === this.originOrder[i])) return;
    this.originOrder = [...order];
    this.builder = new TreeBuilder(this.originOrder);
    this.changed = true;
    this.rebuildNow();
  }

  /** A new layout: every name is rendered again (tags come back from the catalog once). */
  setLayout(layout: CompiledLayout): void {
    this.layout = layout;
    this.layoutKey = layoutKeyOf(layout);
    this.tracks.clear();
    this.addRendered(this.catalog.listTracks());
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

  /** Renders names, stores them, and indexes the tracks (kept in id order). */
  private addRendered(records: readonly TrackRecord[]): void {
    if (records.length === 0) return;
    const names = records.map((t) => ({ id: t.id, name: renderName(this.layout, t) }));
    this.catalog.saveLayoutNames(this.layoutKey, names);
    const maxId = this.maxId();
    const reorder = records.some((t) => !this.tracks.has(t.id) && t.id < maxId);
    records.forEach((t, i) => this.tracks.set(t.id, indexTrack(t, names[i]!.name)));
    if (reorder) {
      // A reused id landed out of order: restore id order (the builder's fast path).
      const sorted = [...this.tracks.values()].sort((a, b) => a.id - b.id);
      this.tracks.clear();
      for (const t of sorted) this.tracks.set(t.id, t);
    }
  }

  private maxId(): number {
    let max = 0;
    for (const id of this.tracks.keys()) if (id > max) max = id;
    return max;
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

/** Which layout (and layout engine) a stored name was rendered with. */
function layoutKeyOf(layout: CompiledLayout): string {
  return `${LAYOUT_ENGINE_VERSION}:${createHash('sha1').update(layout.source).digest('hex').slice(0, 16)}`;
}
