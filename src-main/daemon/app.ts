import { realpath, stat, access } from 'node:fs/promises';
import { constants } from 'node:fs';
import { basename } from 'node:path';
import type { MusicFsConfig } from '../../src-shared/config.js';
import { MusicFsError } from '../../src-shared/errors.js';
import { compileLayout, type CompiledLayout } from '../../src-shared/layout/index.js';
import { delay } from './base/async.js';
import { Emitter } from './base/event.js';
import { Disposable, toDisposable } from './base/lifecycle.js';
import type { Logger } from './base/logger.js';
import { resolveStatePaths, type StatePaths } from '../common/xdg.js';
import { Catalog, type TrackRecord } from './catalog/catalog.js';
import type { DaemonEvent } from './events.js';
import { FuseMount } from './fuse/fuse-mount.js';
import { checkFuseAvailable, prepareMountpoint } from './fuse/mountpoint.js';
import { LocalOrigin } from './origins/local-origin.js';
import type { Origin } from './origins/origin.js';
import { Scanner, type CatalogDelta } from './scan/scanner.js';
import type { ScanReport } from './scan/scan-report.js';
import { TagReaderPool } from './scan/tag-reader-pool.js';
import { FileReader } from './vfs/file-reader.js';
import { LibraryTree, TreeBuilder } from './vfs/library-tree.js';
import { Vfs } from './vfs/vfs.js';

/**
 * The composition root: builds every service, owns them, and releases them in
 * reverse order. Start order: validate inputs → catalog → tree from the
 * catalog → mount (usable now) → watchers → background scans.
 */

export interface OriginSpec {
  /** A local folder. */
  path: string;
  name?: string;
}

export interface DaemonOptions {
  mountPoint: string;
  origins: readonly OriginSpec[];
  config: MusicFsConfig;
  allowNonEmpty?: boolean;
  statePaths?: StatePaths;
  logger: Logger;
}

/**
 * Minimum time between two rebuilds of the tree while a scan streams in; at
 * least this many times the last build's duration, so rebuilds never take
 * more than a small share of the main thread (where FUSE ops run).
 */
const TREE_REBUILD_INTERVAL_MS = 300;
const TREE_REBUILD_DUTY_FACTOR = 5;
const DRAIN_TIMEOUT_MS = 5000;
const SCAN_STOP_TIMEOUT_MS = 3000;

export class Daemon extends Disposable {
  private readonly events = new Emitter<DaemonEvent>();
  readonly onEvent = this.events.event;

  private tree = LibraryTree.empty();
  /** Every track of the active origins, by id: the tree is built from here, not from SQLite. */
  private readonly tracks = new Map<number, TrackRecord>();
  private treeBuilder!: TreeBuilder;
  private tracksChanged = true;
  private rebuildTimer: NodeJS.Timeout | undefined;
  private lastRebuild = 0;
  private lastRebuildMs = 0;
  private readonly scanAbort = new AbortController();
  private readonly origins = new Map<number, Origin>();
  private readonly originOrder: number[] = [];
  private fuse: FuseMount | undefined;
  private catalog!: Catalog;
  private scanner!: Scanner;
  private readonly pendingScans = new Set<Promise<unknown>>();

  private constructor(
    private readonly options: DaemonOptions,
    private readonly layout: CompiledLayout,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** Validates everything, mounts, and starts background scans. Throws MusicFsError. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const logger = options.logger;
    const layout = compileLayout(options.config.layout);
    const origins = await Promise.all(options.origins.map(validateOrigin));
    const mountPoint = await prepareMountpoint(options.mountPoint, logger, { allowNonEmpty: options.allowNonEmpty ?? false });
    await checkFuseAvailable();
    const daemon = new Daemon({ ...options, mountPoint }, layout, logger);
    try {
      await daemon.init(origins, options.statePaths ?? resolveStatePaths());
    } catch (err) {
      await daemon.dispose().catch(() => undefined);
      throw err;
    }
    return daemon;
  }

  get mountPoint(): string {
    return this.options.mountPoint;
  }

  get trackCount(): number {
    return this.tree.fileCount;
  }

  /** Resolves when every scan started so far has finished. */
  async whenScansIdle(): Promise<void> {
    while (this.pendingScans.size > 0) await Promise.allSettled([...this.pendingScans]);
  }

  private async init(origins: { path: string; name: string }[], paths: StatePaths): Promise<void> {
    const logger = this.logger;
    this.catalog = Catalog.open(paths.catalogFile, logger.child('catalog'));
    this.register(toDisposable(() => this.catalog.close()));

    for (const spec of origins) {
      const record = this.catalog.ensureOrigin(spec.name, spec.path, 'local');
      if (this.origins.has(record.id)) continue; // the same folder given twice
      const origin = new LocalOrigin(record.id, record.name, record.root, logger.child(`origin:${record.name}`), this.options.config.watchDebounceMs);
      this.origins.set(record.id, origin);
      this.originOrder.push(record.id);
      this.register(origin);
    }

    const pool = this.register(new TagReaderPool(logger.child('tags'), this.options.config.scanWorkers > 0 ? { workers: this.options.config.scanWorkers } : {}));
    this.scanner = new Scanner(this.catalog, pool, logger.child('scan'));
    this.register(this.scanner.onDidChange((delta) => this.applyDelta(delta)));
    this.register(this.scanner.onDidProgress((p) => this.events.fire({ type: 'scan_progress', origin: p.origin, done: p.done, total: p.total })));
    this.register(toDisposable(() => this.scanAbort.abort(new Error('shutting down'))));

    // Usable at once from what the catalog already knows.
    for (const t of this.catalog.listTracks(this.originOrder)) this.tracks.set(t.id, t);
    this.treeBuilder = new TreeBuilder(this.layout, this.originOrder);
    this.rebuildTree();
    const reader = new FileReader({ origin: (id) => this.origins.get(id) }, logger.child('reader'));
    this.register(toDisposable(() => reader.closeAll()));
    const vfs = new Vfs(() => this.tree, reader);
    const fuse = new FuseMount(vfs, { mountPoint: this.mountPoint, opTimeoutMs: this.options.config.readTimeoutMs, attrTimeoutSec: this.options.config.attrTimeoutSec, allowNonEmpty: this.options.allowNonEmpty ?? false }, logger.child('fuse'));
    await fuse.mount();
    this.fuse = fuse;
    this.register(toDisposable(async () => {
      const drained = await fuse.drain(DRAIN_TIMEOUT_MS);
      if (!drained) logger.warn('unmounting with reads still in flight', { pending: fuse.pendingOps });
      await fuse.dispose();
      this.events.fire({ type: 'mount_state_changed', mounted: false, mountPoint: this.mountPoint, tracks: this.tree.fileCount });
    }));
    this.events.fire({ type: 'mount_state_changed', mounted: true, mountPoint: this.mountPoint, tracks: this.tree.fileCount });

    for (const origin of this.origins.values()) {
      // Watch first: the walk registers each folder before listing it.
      if (origin.watch) {
        this.register(origin.watch((changed) => this.track(this.runScan(origin, 'changes', changed))));
      }
      this.track(this.runScan(origin, 'full'));
    }
  }

  private track(p: Promise<unknown>): void {
    this.pendingScans.add(p);
    void p.finally(() => this.pendingScans.delete(p));
  }

  private async runScan(origin: Origin, kind: 'full' | 'changes', paths: string[] = []): Promise<void> {
    if (this.scanAbort.signal.aborted) return;
    this.events.fire({ type: 'scan_started', origin: origin.name, kind });
    let report: ScanReport;
    try {
      report =
        kind === 'full'
          ? await this.scanner.fullScan(origin, this.scanAbort.signal)
          : await this.scanner.scanPaths(origin, paths, this.scanAbort.signal);
    } catch (err) {
      if (this.scanAbort.signal.aborted) return;
      this.logger.error('scan failed', { origin: origin.name, kind, reason: (err as Error).message });
      return;
    }
    // Apply right away: changes show in the mount without waiting for the throttle.
    this.rebuildTree();
    this.events.fire({ type: 'scan_completed', report });
  }

  private applyDelta(delta: CatalogDelta): void {
    for (const id of delta.removedIds) this.tracks.delete(id);
    for (const t of delta.upserted) this.tracks.set(t.id, t);
    this.tracksChanged = true;
    this.scheduleRebuild();
  }

  private scheduleRebuild(): void {
    if (this.rebuildTimer) return;
    const interval = Math.max(TREE_REBUILD_INTERVAL_MS, TREE_REBUILD_DUTY_FACTOR * this.lastRebuildMs);
    const wait = Math.max(0, this.lastRebuild + interval - Date.now());
    this.rebuildTimer = setTimeout(() => {
      this.rebuildTimer = undefined;
      this.rebuildTree();
    }, wait);
    this.rebuildTimer.unref();
  }

  /** Swaps in a tree built from the current tracks, if they changed since the last build. */
  private rebuildTree(): void {
    if (this.isDisposed) return;
    if (this.rebuildTimer) {
      clearTimeout(this.rebuildTimer);
      this.rebuildTimer = undefined;
    }
    if (!this.tracksChanged) return;
    this.tracksChanged = false;
    const started = performance.now();
    this.tree = this.treeBuilder.build(this.tracks.values());
    this.lastRebuild = Date.now();
    this.lastRebuildMs = performance.now() - started;
    this.events.fire({ type: 'library_changed', tracks: this.tree.fileCount, folders: this.tree.dirCount });
  }

  override async dispose(): Promise<void> {
    if (this.rebuildTimer) clearTimeout(this.rebuildTimer);
    this.scanAbort.abort(new Error('shutting down'));
    // Let stopped scans write what they read before the catalog closes.
    await Promise.race([this.whenScansIdle(), delay(SCAN_STOP_TIMEOUT_MS)]);
    await super.dispose();
    this.events.dispose();
  }
}

async function validateOrigin(spec: OriginSpec): Promise<{ path: string; name: string }> {
  let real: string;
  try {
    real = await realpath(spec.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MusicFsError('ORIGIN_MISSING', `origin folder ${spec.path} does not exist`, { path: spec.path });
    throw new MusicFsError('ORIGIN_UNREADABLE', `origin folder ${spec.path} cannot be opened: ${(err as Error).message}`, { path: spec.path });
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw new MusicFsError('ORIGIN_NOT_DIRECTORY', `origin ${spec.path} is not a folder`, { path: spec.path });
  try {
    await access(real, constants.R_OK | constants.X_OK);
  } catch {
    throw new MusicFsError('ORIGIN_UNREADABLE', `origin folder ${spec.path} is not readable by this user`, { path: spec.path });
  }
  return { path: real, name: spec.name ?? (basename(real) || 'root') };
}
