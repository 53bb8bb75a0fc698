/**
 * Prometheus metrics of one daemon, in a registry of its own (never
 * prom-client's global one), so tests and several daemons in one process do
 * not clash. Served by `metrics-server.ts` when `[metrics] listen` is set.
 *
 * Conventions: durations are histograms in seconds, counters end in `_total`,
 * and labels are only ever `op`, `origin`, `operation`, `kind`, `method`,
 * `code`, `webhook`, `errno`, `result` or `outcome` — never a path, so the
 * number of series stays bounded by the configuration, not by the library.
 *
 * | name | type | labels | help |
 * |---|---|---|---|
 * | `musicfs_fuse_ops_total` | counter | `op`, `result` (`ok`/`error`) | FUSE operations answered. |
 * | `musicfs_fuse_errors_total` | counter | `op`, `errno` (e.g. `ENOENT`) | FUSE operations answered with an error. |
 * | `musicfs_fuse_latency_seconds` | histogram | `op` | Time to answer a FUSE operation (buckets 20 µs … 30 s). |
 * | `musicfs_origin_health` | gauge | `origin` | Origin health: 1 healthy, 0.5 degraded, 0 unhealthy, -1 unknown. |
 * | `musicfs_origin_request_seconds` | histogram | `origin`, `operation` | Duration of requests to an origin. |
 * | `musicfs_origin_errors_total` | counter | `origin`, `operation` | Requests to an origin that failed. |
 * | `musicfs_origin_read_bytes_total` | counter | `origin` | Bytes read from an origin (playback, caching, tag scans). |
 * | `musicfs_tracks` | gauge | | Tracks in the library. |
 * | `musicfs_folders` | gauge | | Folders in the mounted tree. |
 * | `musicfs_mounted` | gauge | | 1 while the library is mounted, else 0. |
 * | `musicfs_scans_total` | counter | `origin`, `kind` (`full`/`changes`) | Scans started. |
 * | `musicfs_scans_running` | gauge | | Scans running now. |
 * | `musicfs_scan_duration_seconds` | histogram | `kind` | Duration of completed scans. |
 * | `musicfs_scanned_files_total` | counter | `origin` | Files looked at by completed scans. |
 * | `musicfs_scan_files_total` | counter | `origin`, `outcome` (`added`/`updated`/`removed`/`error`) | Files changed in the catalog, or failed, by completed scans. |
 * | `musicfs_webhook_deliveries_total` | counter | `webhook`, `result` (`delivered`/`failed_attempt`/`gave_up`/`dropped`) | Webhook delivery outcomes. |
 * | `musicfs_webhook_delivery_seconds` | histogram | `webhook` | Duration of successful webhook deliveries. |
 * | `musicfs_webhook_queue` | gauge | `webhook` | Events waiting to be delivered to a webhook. |
 * | `musicfs_rpc_total` | counter | `method`, `code` | Control-plane (gRPC) calls answered. |
 * | `musicfs_rpc_seconds` | histogram | `method` | Duration of control-plane calls. |
 * | `musicfs_cache_size_bytes` | gauge | | Unique chunk bytes in the cache on disk. |
 * | `musicfs_cache_limit_bytes` | gauge | | Disk space the cache may use (`cache.size_limit`). |
 * | `musicfs_cache_memory_bytes` | gauge | | Bytes in the cache's memory tier. |
 * | `musicfs_cache_chunks` | gauge | | Chunks in the cache on disk. |
 * | `musicfs_cache_passthrough` | gauge | | 1 while the cache disk takes no writes (reads go straight to the origins), else 0. |
 * | `musicfs_cache_hits_total` | counter | | Reads served wholly from the cache. |
 * | `musicfs_cache_misses_total` | counter | | Reads that needed an origin. |
 * | `musicfs_cache_evictions_total` | counter | | Tracks evicted from the cache. |
 * | `musicfs_cache_evicted_bytes_total` | counter | | Bytes evicted from the cache. |
 * | `musicfs_cache_corrupt_chunks_total` | counter | | Chunks found corrupt or missing on disk and fetched again. |
 * | `musicfs_process_*`, `musicfs_nodejs_*` | | | prom-client's default process metrics (unless turned off). |
 *
 * `webhook` is the URL without userinfo, query string or fragment, so secrets
 * carried there never reach a dashboard.
 *
 * The cache metrics are read from the cache's own stats at each scrape
 * (`bindCache`): gauges take the current values, counters grow by what the
 * stats grew since the last scrape (never less than 0, so a restarted cache
 * does not make them go down). Without a cache the gauges are 0.
 *
 * Hot path: `observeFuseOp` runs on the main thread for every FUSE op; it
 * keeps the labelled children of each op so an observation costs no label
 * hashing. Everything else is called a few times a second at most.
 */
import { constants as osConstants } from 'node:os';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheStatsView } from './cache-api.js';

export type OriginHealthState = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';
export type ScanKind = 'full' | 'changes';

export interface ScanReportCounts {
  durationMs: number;
  scanned: number;
  added: number;
  updated: number;
  removed: number;
  errors: number;
}

const PREFIX = 'musicfs_';
const SCAN_KINDS: readonly ScanKind[] = ['full', 'changes'];
const SCAN_OUTCOMES = ['added', 'updated', 'removed', 'error'] as const;

const HEALTH_VALUE: Record<OriginHealthState, number> = { healthy: 1, degraded: 0.5, unhealthy: 0, unknown: -1 };

/** `count` buckets from `min` to `max`, evenly spaced on a log scale, two significant digits. */
function logBuckets(min: number, max: number, count: number): number[] {
  const ratio = max / min;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = Number((min * ratio ** (i / (count - 1))).toPrecision(2));
    if (out.length === 0 || v > out[out.length - 1]!) out.push(v);
  }
  return out;
}

const FUSE_LATENCY_BUCKETS = logBuckets(20e-6, 30, 16);
const ORIGIN_REQUEST_BUCKETS = logBuckets(0.001, 60, 12);
const SCAN_DURATION_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const WEBHOOK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RPC_BUCKETS = logBuckets(0.0005, 10, 12);

/** errno number (either sign) → its name, e.g. -2 → "ENOENT". */
const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name] as const),
);

function errnoLabel(errno: number): string {
  const n = Math.abs(errno);
  return ERRNO_NAMES.get(n) ?? String(n);
}

/** The webhook label: the URL without userinfo, query string or fragment. */
export function webhookLabel(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    // Not a URL we can parse: strip the same parts by hand.
    return url.replace(/[?#].*$/s, '').replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1');
  }
}

type CacheGaugeKey = 'sizeBytes' | 'limitBytes' | 'memoryBytes' | 'chunks' | 'passthrough';
type CacheCounterKey = 'hits' | 'misses' | 'evictions' | 'evictedBytes' | 'corruptChunks';

const CACHE_GAUGES: readonly { key: CacheGaugeKey; name: string; help: string }[] = [
  { key: 'sizeBytes', name: 'cache_size_bytes', help: 'Unique chunk bytes in the cache on disk.' },
  { key: 'limitBytes', name: 'cache_limit_bytes', help: 'Disk space the cache may use (cache.size_limit).' },
  { key: 'memoryBytes', name: 'cache_memory_bytes', help: "Bytes in the cache's memory tier." },
  { key: 'chunks', name: 'cache_chunks', help: 'Chunks in the cache on disk.' },
  { key: 'passthrough', name: 'cache_passthrough', help: '1 while the cache disk takes no writes (reads go straight to the origins), else 0.' },
];

const CACHE_COUNTERS: readonly { key: CacheCounterKey; name: string; help: string }[] = [
  { key: 'hits', name: 'cache_hits_total', help: 'Reads served wholly from the cache.' },
  { key: 'misses', name: 'cache_misses_total', help: 'Reads that needed an origin.' },
  { key: 'evictions', name: 'cache_evictions_total', help: 'Tracks evicted from the cache.' },
  { key: 'evictedBytes', name: 'cache_evicted_bytes_total', help: 'Bytes evicted from the cache.' },
  { key: 'corruptChunks', name: 'cache_corrupt_chunks_total', help: 'Chunks found corrupt or missing on disk and fetched again.' },
];

function cacheGaugeValue(stats: CacheStatsView | undefined, key: CacheGaugeKey): number {
  if (stats === undefined) return 0;
  if (key === 'passthrough') return stats.passthrough ? 1 : 0;
  return Number.isFinite(stats[key]) ? stats[key] : 0;
}

interface FuseOpChildren {
  ok: Counter.Internal;
  error: Counter.Internal;
  latency: Histogram.Internal<'op'>;
}

export class Metrics {
  readonly registry = new Registry();

  // FUSE
  private readonly fuseOps: Counter<'op' | 'result'>;
  private readonly fuseErrors: Counter<'op' | 'errno'>;
  private readonly fuseLatency: Histogram<'op'>;
  private readonly fuseChildren = new Map<string, FuseOpChildren>();
  // Origins
  private readonly originHealth: Gauge<'origin'>;
  private readonly originRequestSeconds: Histogram<'origin' | 'operation'>;
  private readonly originErrors: Counter<'origin' | 'operation'>;
  private readonly originReadBytes: Counter<'origin'>;
  /** Operations seen per origin, so `removeOrigin` can name every series. */
  private readonly originOperations = new Map<string, Set<string>>();
  // Library
  private readonly tracks: Gauge;
  private readonly folders: Gauge;
  private readonly mounted: Gauge;
  // Scans
  private readonly scansTotal: Counter<'origin' | 'kind'>;
  private readonly scansRunning: Gauge;
  private readonly scanDuration: Histogram<'kind'>;
  private readonly scanFiles: Counter<'origin' | 'outcome'>;
  private readonly scannedFiles: Counter<'origin'>;
  /** Scans running per origin; `musicfs_scans_running` is their sum. */
  private readonly runningScans = new Map<string, number>();
  // Webhooks
  private readonly webhookDeliveries: Counter<'webhook' | 'result'>;
  private readonly webhookSeconds: Histogram<'webhook'>;
  private readonly webhookQueue: Gauge<'webhook'>;
  // Control plane
  private readonly rpcTotal: Counter<'method' | 'code'>;
  private readonly rpcSeconds: Histogram<'method'>;
  // Cache (read from its stats at each scrape)
  private cacheStats: () => CacheStatsView | undefined = () => undefined;
  /** The stats of the scrape in progress: read once, by the first collect() of a scrape. */
  private cacheSnapshot: { stats: CacheStatsView | undefined } | undefined;
  /** Counter values of the stats at the last scrape; the counters grow by the difference. */
  private readonly cacheSeen = new Map<CacheCounterKey, number>();

  constructor(options: { collectDefaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.collectDefaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });

    this.fuseOps = new Counter({
      name: `${PREFIX}fuse_ops_total`,
      help: 'FUSE operations answered.',
      labelNames: ['op', 'result'],
      registers,
    });
    this.fuseErrors = new Counter({
      name: `${PREFIX}fuse_errors_total`,
      help: 'FUSE operations answered with an error.',
      labelNames: ['op', 'errno'],
      registers,
    });
    this.fuseLatency = new Histogram({
      name: `${PREFIX}fuse_latency_seconds`,
      help: 'Time to answer a FUSE operation.',
      labelNames: ['op'],
      buckets: FUSE_LATENCY_BUCKETS,
      registers,
    });

    this.originHealth = new Gauge({
      name: `${PREFIX}origin_health`,
      help: 'Origin health: 1 healthy, 0.5 degraded, 0 unhealthy, -1 unknown.',
      labelNames: ['origin'],
      registers,
    });
    this.originRequestSeconds = new Histogram({
      name: `${PREFIX}origin_request_seconds`,
      help: 'Duration of requests to an origin.',
      labelNames: ['origin', 'operation'],
      buckets: ORIGIN_REQUEST_BUCKETS,
      registers,
    });
    this.originReadBytes = new Counter({
      name: `${PREFIX}origin_read_bytes_total`,
      help: 'Bytes read from an origin (playback, caching, tag scans).',
      labelNames: ['origin'],
      registers: [this.registry],
    });
    this.originErrors = new Counter({
      name: `${PREFIX}origin_errors_total`,
      help: 'Requests to an origin that failed.',
      labelNames: ['origin', 'operation'],
      registers,
    });

    this.tracks = new Gauge({ name: `${PREFIX}tracks`, help: 'Tracks in the library.', registers });
    this.folders = new Gauge({ name: `${PREFIX}folders`, help: 'Folders in the mounted tree.', registers });
    this.mounted = new Gauge({ name: `${PREFIX}mounted`, help: '1 while the library is mounted, else 0.', registers });

    this.scansTotal = new Counter({
      name: `${PREFIX}scans_total`,
      help: 'Scans started.',
      labelNames: ['origin', 'kind'],
      registers,
    });
    this.scansRunning = new Gauge({ name: `${PREFIX}scans_running`, help: 'Scans running now.', registers });
    this.scanDuration = new Histogram({
      name: `${PREFIX}scan_duration_seconds`,
      help: 'Duration of completed scans.',
      labelNames: ['kind'],
      buckets: SCAN_DURATION_BUCKETS,
      registers,
    });
    this.scannedFiles = new Counter({
      name: `${PREFIX}scanned_files_total`,
      help: 'Files looked at by completed scans.',
      labelNames: ['origin'],
      registers,
    });
    this.scanFiles = new Counter({
      name: `${PREFIX}scan_files_total`,
      help: 'Files changed in the catalog, or failed, by completed scans.',
      labelNames: ['origin', 'outcome'],
      registers,
    });

    this.webhookDeliveries = new Counter({
      name: `${PREFIX}webhook_deliveries_total`,
      help: 'Webhook delivery outcomes.',
      labelNames: ['webhook', 'result'],
      registers,
    });
    this.webhookSeconds = new Histogram({
      name: `${PREFIX}webhook_delivery_seconds`,
      help: 'Duration of successful webhook deliveries.',
      labelNames: ['webhook'],
      buckets: WEBHOOK_BUCKETS,
      registers,
    });
    this.webhookQueue = new Gauge({
      name: `${PREFIX}webhook_queue`,
      help: 'Events waiting to be delivered to a webhook.',
      labelNames: ['webhook'],
      registers,
    });

    this.rpcTotal = new Counter({
      name: `${PREFIX}rpc_total`,
      help: 'Control-plane (gRPC) calls answered.',
      labelNames: ['method', 'code'],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: `${PREFIX}rpc_seconds`,
      help: 'Duration of control-plane calls.',
      labelNames: ['method'],
      buckets: RPC_BUCKETS,
      registers,
    });

    for (const g of CACHE_GAUGES) {
      const gauge: Gauge = new Gauge({
        name: `${PREFIX}${g.name}`,
        help: g.help,
        registers,
        collect: () => gauge.set(cacheGaugeValue(this.cacheStatsNow(), g.key)),
      });
    }
    for (const c of CACHE_COUNTERS) {
      const counter: Counter = new Counter({
        name: `${PREFIX}${c.name}`,
        help: c.help,
        registers,
        collect: () => {
          const now = this.cacheStatsNow()?.[c.key];
          if (now === undefined || !Number.isFinite(now)) return;
          counter.inc(nonNegative(now - (this.cacheSeen.get(c.key) ?? 0)));
          this.cacheSeen.set(c.key, now);
        },
      });
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Prometheus text exposition of the registry. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  // ---- FUSE ----

  /** `errno` is 0 for success, else the errno (FUSE's negative value or a positive one). */
  observeFuseOp(op: string, seconds: number, errno: number): void {
    let c = this.fuseChildren.get(op);
    if (c === undefined) {
      c = {
        ok: this.fuseOps.labels({ op, result: 'ok' }),
        error: this.fuseOps.labels({ op, result: 'error' }),
        latency: this.fuseLatency.labels({ op }),
      };
      // Both results exist from the first op, so rate() of errors starts at 0.
      c.ok.inc(0);
      c.error.inc(0);
      this.fuseChildren.set(op, c);
    }
    c.latency.observe(seconds);
    if (errno === 0) {
      c.ok.inc();
    } else {
      c.error.inc();
      this.fuseErrors.inc({ op, errno: errnoLabel(errno) });
    }
  }

  // ---- Origins ----

  setOriginHealth(origin: string, state: OriginHealthState): void {
    this.originHealth.set({ origin }, HEALTH_VALUE[state]);
  }

  observeOriginRequest(origin: string, operation: string, seconds: number, ok: boolean): void {
    let ops = this.originOperations.get(origin);
    if (ops === undefined) this.originOperations.set(origin, (ops = new Set()));
    ops.add(operation);
    this.originRequestSeconds.observe({ origin, operation }, seconds);
    this.originErrors.inc({ origin, operation }, ok ? 0 : 1);
  }

  originBytesRead(origin: string, bytes: number): void {
    this.originReadBytes.inc({ origin }, bytes);
  }

  /** Drops every labelled series of an origin that was removed from the configuration. */
  removeOrigin(origin: string): void {
    this.originHealth.remove({ origin });
    this.originReadBytes.remove({ origin });
    for (const operation of this.originOperations.get(origin) ?? []) {
      this.originRequestSeconds.remove({ origin, operation });
      this.originErrors.remove({ origin, operation });
    }
    this.originOperations.delete(origin);
    for (const kind of SCAN_KINDS) this.scansTotal.remove({ origin, kind });
    for (const outcome of SCAN_OUTCOMES) this.scanFiles.remove({ origin, outcome });
    this.scannedFiles.remove({ origin });
    if (this.runningScans.delete(origin)) this.updateScansRunning();
  }

  // ---- Library ----

  setTracks(n: number): void {
    this.tracks.set(n);
  }

  setFolders(n: number): void {
    this.folders.set(n);
  }

  setMounted(mounted: boolean): void {
    this.mounted.set(mounted ? 1 : 0);
  }

  // ---- Scans ----

  scanStarted(origin: string, kind: ScanKind): void {
    this.scansTotal.inc({ origin, kind });
    this.runningScans.set(origin, (this.runningScans.get(origin) ?? 0) + 1);
    this.updateScansRunning();
  }

  /** Also call it for a scan that failed or was cancelled, or `musicfs_scans_running` stays up. */
  scanCompleted(origin: string, kind: ScanKind, report: ScanReportCounts): void {
    const running = (this.runningScans.get(origin) ?? 0) - 1;
    if (running > 0) this.runningScans.set(origin, running);
    else this.runningScans.delete(origin);
    this.updateScansRunning();

    this.scanDuration.observe({ kind }, Math.max(0, report.durationMs) / 1000);
    this.scannedFiles.inc({ origin }, nonNegative(report.scanned));
    this.scanFiles.inc({ origin, outcome: 'added' }, nonNegative(report.added));
    this.scanFiles.inc({ origin, outcome: 'updated' }, nonNegative(report.updated));
    this.scanFiles.inc({ origin, outcome: 'removed' }, nonNegative(report.removed));
    this.scanFiles.inc({ origin, outcome: 'error' }, nonNegative(report.errors));
  }

  private updateScansRunning(): void {
    let sum = 0;
    for (const n of this.runningScans.values()) sum += n;
    this.scansRunning.set(sum);
  }

  // ---- Webhooks ----

  webhookDelivered(url: string, seconds: number): void {
    const webhook = webhookLabel(url);
    this.webhookDeliveries.inc({ webhook, result: 'delivered' });
    this.webhookSeconds.observe({ webhook }, seconds);
  }

  webhookFailedAttempt(url: string): void {
    this.webhookDeliveries.inc({ webhook: webhookLabel(url), result: 'failed_attempt' });
  }

  webhookGaveUp(url: string): void {
    this.webhookDeliveries.inc({ webhook: webhookLabel(url), result: 'gave_up' });
  }

  webhookDropped(url: string): void {
    this.webhookDeliveries.inc({ webhook: webhookLabel(url), result: 'dropped' });
  }

  setWebhookQueue(url: string, n: number): void {
    this.webhookQueue.set({ webhook: webhookLabel(url) }, n);
  }

  // ---- Control plane ----

  observeRpc(method: string, code: string, seconds: number): void {
    this.rpcTotal.inc({ method, code });
    this.rpcSeconds.observe({ method }, seconds);
  }

  // ---- Cache ----

  /**
   * Where the cache metrics come from: called once per scrape; undefined (or
   * a throw) means no cache right now. Totals that went down (a new cache)
   * add nothing; the counters grow again from there.
   */
  bindCache(stats: () => CacheStatsView | undefined): void {
    this.cacheStats = stats;
  }

  /** The cache's stats for the scrape in progress (prom-client calls every collect() in one synchronous pass). */
  private cacheStatsNow(): CacheStatsView | undefined {
    if (this.cacheSnapshot === undefined) {
      let stats: CacheStatsView | undefined;
      try {
        stats = this.cacheStats();
      } catch {
        stats = undefined;
      }
      this.cacheSnapshot = { stats };
      queueMicrotask(() => (this.cacheSnapshot = undefined));
    }
    return this.cacheSnapshot.stats;
  }
}

/** Counters only go up; a bogus negative count would make prom-client throw. */
function nonNegative(n: number): number {
  return Number.isFinite(n) && n > 0 ? n : 0;
}
