import { join } from 'node:path';
import { MusicFsError } from '../../src-shared/errors.js';
import { compileLayout } from '../../src-shared/layout/index.js';
import { parseSearchQuery } from '../../src-shared/search/query.js';
import type { StatePaths } from '../common/xdg.js';
import { Emitter } from './base/event.js';
import { Disposable, toDisposable } from './base/lifecycle.js';
import type { Logger, LogLevel } from './base/logger.js';
import { sleep, Supervisor } from './base/supervisor.js';
import { CacheService, type LibraryFile } from './cache/cache-service.js';
import { ChunkCache, type ChunkCacheSettings } from './cache/chunk-cache.js';
import { Catalog, type TrackRecord } from './catalog/catalog.js';
import { CatalogSearcher } from './catalog/catalog-searcher.js';
import type { ConfigEntryInfo, ConfigStore } from './config/config-store.js';
import { checkSocketFree, ControlServer } from './control/control-server.js';
import type { CacheClearView, CacheProgressView, CacheStatsView, CacheUnpinView } from './control/cache-api.js';
import type { DaemonApi, MountView, SearchView, StatusView, TrackView } from './control/daemon-api.js';
import { eventData } from './control/messages.js';
import { Metrics } from './control/metrics.js';
import { MetricsServer } from './control/metrics-server.js';
import { createHandlers } from './control/service.js';
import { WebhookDispatcher } from './control/webhooks.js';
import { EventBus, originOf, type DaemonEvent } from './events.js';
import { Library } from './library/library.js';
import { MountService } from './mount/mount-service.js';
import type { OriginTestReport } from './federation/origin-tester.js';
import { OriginManager, type ManagedOrigin, type OriginSpec } from './origins/origin-manager.js';
import { ScanCoordinator } from './scan/scan-coordinator.js';
import type { ScanReport } from './scan/scan-report.js';
import { Scanner, type ScanProgress } from './scan/scanner.js';
import { TagReaderPool } from './scan/tag-reader-pool.js';
import type { Replica, TreeNode } from './vfs/library-tree.js';
import { ReplicaReader } from './vfs/replica-reader.js';

/**
 * The composition root: builds every service, owns them, wires their events,
 * and releases them in reverse order. It is also the one facade the control
 * plane talks to (DaemonApi).
 *
 * Start: config (given) → control socket free? → catalog → origins → library
 * (usable tree from the catalog) → mount (when asked) → control server →
 * metrics, webhooks, health checks → scans. Stop: the reverse, draining
 * reads before unmounting.
 */

export interface DaemonOptions {
  config: ConfigStore;
  statePaths: StatePaths;
  sessionOrigins: readonly OriginSpec[];
  /** Mount here at start (the `mount` command, or [mount] path for `daemon`). */
  mountPoint?: string;
  allowNonEmpty?: boolean;
  logger: Logger;
  /** Changes the level of every logger (log_level at run time). */
  setLogLevel: (level: LogLevel) => void;
  version: string;
}

const SCAN_STOP_TIMEOUT_MS = 3000;
const SEARCH_PAGE_SIZE = 500;

export class Daemon extends Disposable implements DaemonApi {
  private readonly bus = new EventBus();
  readonly onEvent = this.bus.onEvent;
  private readonly didRequestShutdown = new Emitter<string>();
  /** Fires when something (Shutdown RPC) asks the daemon to stop. */
  readonly onDidRequestShutdown = this.didRequestShutdown.event;
  readonly startedAt = Date.now();
  readonly metrics = new Metrics();

  private catalog!: Catalog;
  private origins!: OriginManager;
  private library!: Library;
  private coordinator!: ScanCoordinator;
  private searcher!: CatalogSearcher;
  private mounts!: MountService;
  private cache!: ChunkCache;
  private cacheService!: CacheService;
  private metricsServer: MetricsServer | undefined;
  private webhooks: WebhookDispatcher | undefined;
  private readonly socketPath: string;
  private readonly supervisor: Supervisor;
  private readonly logger: Logger;

  private constructor(private readonly options: DaemonOptions) {
    super();
    this.logger = options.logger;
    this.supervisor = new Supervisor(options.logger.child('supervisor'));
    const configured = options.config.current.controlSocket;
    this.socketPath = configured !== '' ? configured : join(options.statePaths.runtimeDir, 'control.sock');
  }

  /** Starts everything; throws MusicFsError (nothing left running) when something cannot start. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    const daemon = new Daemon(options);
    try {
      await daemon.init();
    } catch (err) {
      await daemon.dispose().catch(() => undefined);
      throw err;
    }
    return daemon;
  }

  private async init(): Promise<void> {
    const { config, statePaths, logger } = this.options;
    const layout = compileLayout(config.current.layout);
    // Refuse early, before touching the mountpoint, if another daemon runs.
    await checkSocketFree(this.socketPath);

    this.register(toDisposable(() => this.bus.dispose()));
    this.catalog = Catalog.open(statePaths.catalogFile, logger.child('catalog'));
    this.register(toDisposable(() => this.catalog.close()));

    this.origins = new OriginManager(this.catalog, config, this.bus, logger.child('origins'), {
      watchDebounceMs: config.current.watchDebounceMs,
      deadlineMs: () => config.current.originDeadlineMs,
      failureThreshold: (remote) => (remote ? config.current.healthFailuresRemote : config.current.healthFailuresLocal),
      observe: (origin, operation, seconds, ok) => this.metrics.observeOriginRequest(origin, operation, seconds, ok),
      bytesRead: (origin, bytes) => this.metrics.originBytesRead(origin, bytes),
    });
    this.register(this.origins);
    await this.origins.init(this.options.sessionOrigins);

    this.library = new Library(this.catalog, layout, this.origins.enabledOrder());
    this.register(this.library);
    this.register(
      this.library.onDidRebuild((tree) => {
        this.metrics.setTracks(tree.fileCount);
        this.metrics.setFolders(tree.dirCount);
        this.bus.publish({ type: 'library_changed', tracks: tree.fileCount, folders: tree.dirCount });
      }),
    );
    this.library.rebuildNow();

    const pool = this.register(new TagReaderPool(logger.child('tags'), config.current.scanWorkers > 0 ? { workers: config.current.scanWorkers } : {}));
    const scanner = new Scanner(this.catalog, pool, logger.child('scan'));
    this.register(scanner.onDidChange((delta) => this.library.applyDelta(delta)));
    this.register(scanner.onDidProgress((p) => this.bus.publish({ type: 'scan_progress', origin: p.origin, done: p.done, total: p.total })));
    this.coordinator = new ScanCoordinator(scanner, this.bus, logger.child('scan'));
    this.register(toDisposable(async () => {
      await this.coordinator.dispose();
      // Let stopped scans write what they read before the catalog closes.
      await Promise.race([this.coordinator.whenIdle(), new Promise((r) => setTimeout(r, SCAN_STOP_TIMEOUT_MS).unref())]);
    }));

    this.searcher = this.register(new CatalogSearcher(statePaths.catalogFile, logger.child('search')));

    // Opened before the mount and disposed after it: reads drain first.
    this.cache = await ChunkCache.open({
      dir: config.current.cacheDir !== '' ? config.current.cacheDir : join(statePaths.cacheDir, 'chunks'),
      settings: () => this.cacheSettings(),
      events: {
        evicted: (tracks, bytes, reason) => this.bus.publish({ type: 'cache_evicted', tracks, bytes, reason }),
        passthroughChanged: (passthrough, reason) => this.bus.publish({ type: 'cache_passthrough_changed', passthrough, reason }),
      },
      logger: logger.child('cache'),
    });
    this.register(this.cache);
    this.cacheService = new CacheService(this.cache, { mountPoint: () => this.mounts.mountPoint, filesUnder: (p) => this.libraryFilesUnder(p) }, () => this.cacheSettings());
    this.metrics.bindCache(() => this.cacheService.stats());

    this.mounts = new MountService({
      library: this.library,
      origins: this.originLookup,
      cache: this.cache,
      events: this.bus,
      logger,
      observe: (op, ms, errno) => this.metrics.observeFuseOp(op, ms / 1000, errno),
    });
    this.register(this.mounts);
    if (this.options.mountPoint !== undefined) {
      await this.mounts.mount(this.options.mountPoint, this.mountSettings(this.options.allowNonEmpty));
      this.metrics.setMounted(true);
    }

    const handlers = createHandlers(this, logger.child('rpc'), (method, code, seconds) => this.metrics.observeRpc(method, code, seconds));
    this.register(await ControlServer.start(this.socketPath, handlers, logger.child('control')));

    this.register(this.bus.onEvent((e) => this.onDaemonEvent(e)));
    this.register(this.origins.onDidChange(({ origin, change }) => void this.onOriginChange(origin, change)));
    this.register(config.onDidChange((c) => void this.onConfigChange(c.key, c.value)));
    await this.startMetricsServer(config.current.metricsListen);
    this.register(toDisposable(() => this.metricsServer?.dispose()));
    this.startWebhooks();
    this.register(toDisposable(() => this.webhooks?.dispose()));

    this.register(this.supervisor);
    this.supervisor.run('health-checks', (signal) => this.healthLoop(signal));
    this.supervisor.run('periodic-rescans', (signal) => this.rescanLoop(signal));
    for (const o of this.origins.list()) if (o.enabled) this.coordinator.start(o);
  }

  // ---- wiring ----

  private onDaemonEvent(e: DaemonEvent): void {
    switch (e.type) {
      case 'scan_started':
        this.metrics.scanStarted(e.origin, e.kind);
        break;
      case 'scan_completed':
        // Apply at once: whoever hears "scan complete" next sees the result in the mount.
        this.library.rebuildNow();
        this.metrics.scanCompleted(e.origin, e.report.kind, { ...e.report, errors: e.report.errors.length });
        break;
      case 'origin_health_changed':
        this.metrics.setOriginHealth(e.origin, e.state);
        break;
      case 'mount_state_changed':
        this.metrics.setMounted(e.mounted);
        break;
      default:
        break;
    }
    if (this.webhooks) {
      this.webhooks.publish({ type: e.type, timestamp: e.timestamp, ...(originOf(e) !== undefined ? { origin: originOf(e)! } : {}), data: eventData(e) });
      for (const s of this.webhooks.stats()) this.metrics.setWebhookQueue(s.url, s.queued);
    }
  }

  private async onOriginChange(o: ManagedOrigin, change: string): Promise<void> {
    if (change === 'removed') {
      await this.coordinator.stop(o);
      this.metrics.removeOrigin(o.name);
    } else if (o.enabled) {
      this.coordinator.start(o);
    } else {
      await this.coordinator.stop(o);
    }
    this.library.setOriginOrder(this.origins.enabledOrder());
  }

  private async onConfigChange(key: string, value: string): Promise<void> {
    const config = this.options.config.current;
    this.bus.publish({ type: 'config_changed', key, value });
    try {
      switch (key) {
        case 'layout':
          this.library.setLayout(compileLayout(config.layout));
          break;
        case 'log_level':
          this.options.setLogLevel(config.logLevel);
          break;
        case 'cache.size_limit':
        case 'cache.memory':
        case 'cache.high_watermark':
        case 'cache.low_watermark':
          this.cache.applySettings();
          break;
        case 'metrics.listen':
          await this.metricsServer?.dispose();
          this.metricsServer = undefined;
          await this.startMetricsServer(config.metricsListen);
          break;
        default:
          break;
      }
    } catch (err) {
      this.logger.error('cannot apply a configuration change', { key, reason: (err as Error).message });
    }
  }

  private async startMetricsServer(listen: string): Promise<void> {
    if (listen === '') return;
    this.metricsServer = await MetricsServer.start(
      {
        listen,
        metrics: this.metrics,
        readiness: () => {
          const wanted = this.options.mountPoint !== undefined;
          if (wanted && !this.mounts.isMounted) return { ready: false, reason: 'not mounted' };
          return { ready: true };
        },
      },
      this.logger.child('metrics'),
    );
  }

  private startWebhooks(): void {
    const hooks = this.options.config.current.webhooks;
    if (hooks.length === 0) return;
    this.webhooks = new WebhookDispatcher(hooks, this.logger.child('webhooks'), {
      onDelivered: (url, _attempt, ms) => this.metrics.webhookDelivered(url, ms / 1000),
      onFailedAttempt: (url) => this.metrics.webhookFailedAttempt(url),
      onGaveUp: (url) => this.metrics.webhookGaveUp(url),
      onDropped: (url) => this.metrics.webhookDropped(url),
    });
  }

  private async healthLoop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const c = this.options.config.current;
      await this.origins.checkHealth(c.healthTimeoutMs);
      await sleep(c.healthIntervalSec * 1000, signal);
    }
  }

  private async rescanLoop(signal: AbortSignal): Promise<void> {
    for (;;) {
      const minutes = this.options.config.current.rescanIntervalMin;
      // Re-read the interval every minute while off: `config set` turns it on.
      await sleep(minutes > 0 ? minutes * 60_000 : 60_000, signal);
      if (signal.aborted) return;
      if (this.options.config.current.rescanIntervalMin === 0) continue;
      for (const o of this.origins.list()) {
        if (!o.enabled || o.scanning) continue;
        await this.coordinator.rescan(o, () => undefined, signal).catch(() => undefined);
      }
    }
  }

  private cacheSettings(): ChunkCacheSettings {
    const c = this.options.config.current;
    return {
      limitBytes: c.cacheSizeLimit,
      memoryBytes: c.cacheMemory,
      highWatermark: c.cacheHighWatermark,
      lowWatermark: Math.min(c.cacheLowWatermark, c.cacheHighWatermark),
      readAheadBytes: c.cacheReadAhead,
    };
  }

  /** The origins as readers see them: enabled ones only. */
  private readonly originLookup = {
    origin: (id: number) => {
      const o = this.origins.byId(id);
      return o?.enabled ? o.origin : undefined;
    },
    route: (replicas: readonly Replica[]) => {
      const order = this.origins.route(replicas.map((r) => r.originId)).map((o) => o.id);
      return order.flatMap((id) => replicas.filter((r) => r.originId === id));
    },
    deadlineMs: () => this.options.config.current.originDeadlineMs,
    nameOf: (id: number) => this.origins.byId(id)?.name ?? String(id),
    cacheEnabled: (id: number) => this.origins.byId(id)?.cache ?? true,
  };

  /** Files of the library at or below `path`, for prefetch and pin. */
  private libraryFilesUnder(path: string): LibraryFile[] | undefined {
    const tree = this.library.current;
    const root = tree.lookup(path);
    if (!root) return undefined;
    const out: LibraryFile[] = [];
    const visit = (p: string, node: TreeNode): void => {
      if (node.kind === 'file') {
        out.push({
          path: p,
          fingerprint: node.fingerprint,
          size: node.size,
          cacheable: node.replicas.some((r) => this.originLookup.cacheEnabled(r.originId)),
          source: () => new ReplicaReader(node, p, this.originLookup, this.logger.child('reader')),
        });
        return;
      }
      const prefix = p === '/' ? '/' : p + '/';
      for (const name of node.names) {
        const child = tree.lookup(prefix + name);
        if (child) visit(prefix + name, child);
      }
    };
    visit(path, root);
    return out;
  }

  private mountSettings(allowNonEmpty: boolean | undefined) {
    const config = this.options.config;
    return {
      readTimeoutMs: () => config.current.readTimeoutMs,
      attrTimeoutSec: config.current.attrTimeoutSec,
      allowNonEmpty: allowNonEmpty ?? config.current.mountAllowNonEmpty,
    };
  }

  // ---- DaemonApi: cache ----

  cacheStats(): CacheStatsView {
    return this.cacheService.stats();
  }

  clearCache(includePinned: boolean): Promise<CacheClearView> {
    return this.cacheService.clear(includePinned);
  }

  prefetch(paths: readonly string[], cwd: string, pin: boolean, onProgress: (p: CacheProgressView) => void, signal: AbortSignal): Promise<void> {
    return this.cacheService.prefetch(paths, cwd, pin, onProgress, signal);
  }

  async unpin(paths: readonly string[], cwd: string): Promise<CacheUnpinView> {
    return this.cacheService.unpin(paths, cwd);
  }

  // ---- DaemonApi ----

  get configPath(): string {
    return this.options.config.file;
  }

  get mountPoint(): string | undefined {
    return this.mounts?.mountPoint;
  }

  get trackCount(): number {
    return this.library?.current.fileCount ?? 0;
  }

  get controlSocket(): string {
    return this.socketPath;
  }

  /** Resolves when every scan started so far has finished. */
  whenScansIdle(): Promise<void> {
    return this.coordinator.whenIdle();
  }

  status(): StatusView {
    const tree = this.library.current;
    const origins = this.origins.list();
    return {
      version: this.options.version,
      pid: process.pid,
      startedAt: this.startedAt,
      mount: this.mountState(),
      tracks: tree.fileCount,
      folders: tree.dirCount,
      libraryBytes: tree.totalBytes,
      origins: origins.length,
      originsEnabled: origins.filter((o) => o.enabled).length,
      scanning: this.coordinator.busy,
      catalogPath: this.catalog.file,
      configPath: this.options.config.file,
      socketPath: this.socketPath,
      metricsUrl: this.metricsServer?.url ?? '',
    };
  }

  requestShutdown(reason: string): void {
    this.didRequestShutdown.fire(reason);
  }

  mountState(): MountView {
    return { mounted: this.mounts.isMounted, mountPoint: this.mounts.mountPoint ?? '', openFiles: this.mounts.openFiles };
  }

  async mount(path: string | undefined, allowNonEmpty: boolean | undefined): Promise<MountView> {
    const target = path ?? this.options.config.current.mountPath;
    if (!target) throw new MusicFsError('USAGE', 'no mountpoint given and [mount] path is not set in config.toml');
    await this.mounts.mount(target, this.mountSettings(allowNonEmpty));
    return this.mountState();
  }

  async unmount(): Promise<MountView> {
    const mountPoint = await this.mounts.unmount();
    return { mounted: false, mountPoint, openFiles: 0 };
  }

  listOrigins(): ManagedOrigin[] {
    return this.origins.list();
  }

  originTrackCount(o: ManagedOrigin): number {
    return this.library.countOf(o.id);
  }

  async addOrigin(spec: OriginSpec, sessionOnly: boolean, skipCheck: boolean): Promise<ManagedOrigin> {
    return this.origins.add(spec, sessionOnly, skipCheck);
  }

  testOrigin(location: string): Promise<OriginTestReport> {
    const known = this.origins.list().find((o) => o.name === location);
    return this.origins.test(known ? known.spec : location, known?.name);
  }

  updateOrigin(name: string, patch: { newName?: string; priority?: number; enabled?: boolean }): Promise<ManagedOrigin> {
    return this.origins.update(name, patch);
  }

  async removeOrigin(name: string): Promise<ManagedOrigin> {
    const o = this.origins.get(name);
    await this.coordinator.stop(o);
    const { origin, removedTrackIds } = await this.origins.remove(name);
    this.library.applyDelta({ upserted: [], removedIds: removedTrackIds });
    this.library.rebuildNow();
    return origin;
  }

  async checkOriginHealth(name: string | undefined, now: boolean): Promise<ManagedOrigin[]> {
    if (now || name !== undefined) return this.origins.checkHealth(this.options.config.current.healthTimeoutMs, name);
    return this.origins.list();
  }

  async rescan(name: string | undefined, onProgress: (p: ScanProgress) => void, onReport: (r: ScanReport) => void, signal: AbortSignal): Promise<void> {
    const targets = name !== undefined ? [this.origins.get(name)] : this.origins.list().filter((o) => o.enabled);
    for (const o of targets) {
      if (!o.enabled) throw new MusicFsError('USAGE', `origin "${o.name}" is disabled; enable it first`, { origin: o.name });
      signal.throwIfAborted();
      const report = await this.coordinator.rescan(o, onProgress, signal);
      if (signal.aborted) throw new MusicFsError('CANCELLED', 'rescan cancelled', { origin: o.name });
      onReport(report);
    }
  }

  async search(query: string, limit: number, offset: number): Promise<SearchView> {
    const parsed = parseSearchQuery(query);
    const result = await this.searcher.search(parsed, limit, offset);
    return { tracks: this.viewsOf(result.records), total: result.total, tookMs: result.tookMs };
  }

  async searchAll(query: string, onPage: (tracks: TrackView[]) => void, signal: AbortSignal): Promise<number> {
    const parsed = parseSearchQuery(query);
    let sent = 0;
    await this.searcher.searchAll(
      parsed,
      SEARCH_PAGE_SIZE,
      (_ids, records) => {
        const views = this.viewsOf(records);
        sent += views.length;
        onPage(views);
      },
      signal,
    );
    return sent;
  }

  /** Catalog rows → files of the mount, replicas folded into one (tracks not in the mount dropped). */
  private viewsOf(records: readonly TrackRecord[]): TrackView[] {
    const tree = this.library.current;
    const byPath = new Map<string, TrackView>();
    for (const r of records) {
      const path = tree.pathOfTrack(r.id);
      if (path === undefined) continue;
      const view = byPath.get(path);
      if (view) view.records.push(r);
      else byPath.set(path, { path, records: [r] });
    }
    return [...byPath.values()];
  }

  originName(id: number): string | undefined {
    return this.origins.byId(id)?.name;
  }

  configEntries(keys: readonly string[]): ConfigEntryInfo[] {
    return this.options.config.entries(keys);
  }

  setConfig(key: string, value: string): Promise<ConfigEntryInfo> {
    return this.options.config.set(key, value, (k, v) => {
      if (k === 'layout') compileLayout(String(v));
    });
  }

  override async dispose(): Promise<void> {
    this.didRequestShutdown.dispose();
    await super.dispose();
  }
}
