import type { CacheProgress } from '../../common/api/gen/musicfs/v1/CacheProgress.js';
import type { CacheStats } from '../../common/api/gen/musicfs/v1/CacheStats.js';
import type { Event as EventMessage } from '../../common/api/gen/musicfs/v1/Event.js';
import type { EventType } from '../../common/api/gen/musicfs/v1/EventType.js';
import type { HealthState } from '../../common/api/gen/musicfs/v1/HealthState.js';
import type { Origin as OriginMessage } from '../../common/api/gen/musicfs/v1/Origin.js';
import type { OriginHealth } from '../../common/api/gen/musicfs/v1/OriginHealth.js';
import type { ScanProgress as ScanProgressMessage } from '../../common/api/gen/musicfs/v1/ScanProgress.js';
import type { ScanReport as ScanReportMessage } from '../../common/api/gen/musicfs/v1/ScanReport.js';
import type { Track } from '../../common/api/gen/musicfs/v1/Track.js';
import type { TrackRecord } from '../catalog/catalog.js';
import type { DaemonEvent, DaemonEventType, HealthStateName } from '../events.js';
import type { CacheProgressView, CacheStatsView } from './cache-api.js';
import type { ManagedOrigin } from '../origins/origin-manager.js';
import type { ScanReport } from '../scan/scan-report.js';
import type { ScanProgress } from '../scan/scanner.js';

/** Domain objects → API messages, in one place. */

const HEALTH: Record<HealthStateName, HealthState> = {
  unknown: 'HEALTH_STATE_UNKNOWN',
  healthy: 'HEALTH_STATE_HEALTHY',
  degraded: 'HEALTH_STATE_DEGRADED',
  unhealthy: 'HEALTH_STATE_UNHEALTHY',
};

export function healthMessage(state: HealthStateName): HealthState {
  return HEALTH[state];
}

export function scanReportMessage(r: ScanReport): ScanReportMessage {
  return {
    origin: r.origin,
    kind: r.kind,
    startedAtMs: r.startedAt,
    durationMs: r.durationMs,
    scanned: r.scanned,
    added: r.added,
    updated: r.updated,
    removed: r.removed,
    unchanged: r.unchanged,
    skipped: r.skipped,
    errors: r.errors,
    incomplete: r.incomplete ?? '',
    bytesFetched: r.bytesFetched,
  };
}

export function scanProgressMessage(p: ScanProgress): ScanProgressMessage {
  return { origin: p.origin, done: p.done, total: p.total };
}

export function originMessage(o: ManagedOrigin, tracks: number): OriginMessage {
  return {
    name: o.name,
    kind: o.kind,
    location: o.location,
    priority: o.priority,
    enabled: o.enabled,
    health: HEALTH[o.health.state],
    tracks,
    source: o.source,
    ...(o.lastScan ? { lastScan: scanReportMessage(o.lastScan) } : {}),
    scanning: o.scanning,
  };
}

export function originHealthMessage(o: ManagedOrigin): OriginHealth {
  return {
    name: o.name,
    state: HEALTH[o.health.state],
    reason: o.health.reason,
    checkedAtMs: o.health.checkedAt,
    latencyMs: o.health.latencyMs,
    consecutiveFailures: o.health.consecutiveFailures,
    p50LatencyMs: o.origin.latency.p50() ?? 0,
    bytesRead: o.origin.stats.bytesRead,
    failedOperations: [...o.origin.stats.ops.values()].reduce((n, c) => n + c.failed, 0),
    remote: o.origin.remote,
  };
}

export function trackMessage(path: string, records: readonly TrackRecord[], originName: (id: number) => string | undefined): Track {
  const t = records[0]!;
  return {
    path: path.replace(/^\//, ''),
    artist: t.tags.artist ?? '',
    albumArtist: t.tags.albumArtist ?? '',
    album: t.tags.album ?? '',
    title: t.tags.title ?? '',
    track: t.tags.track ?? 0,
    trackTotal: t.tags.trackTotal ?? 0,
    disc: t.tags.disc ?? 0,
    discTotal: t.tags.discTotal ?? 0,
    year: t.tags.year ?? 0,
    genre: t.tags.genre ?? '',
    compilation: t.tags.compilation,
    codec: t.audio.codec ?? '',
    durationSec: t.audio.durationSec ?? 0,
    bitrate: t.audio.bitrate ?? 0,
    sampleRate: t.audio.sampleRate ?? 0,
    size: t.size,
    origins: records.map((r) => originName(r.originId) ?? String(r.originId)),
    originPath: t.path,
  };
}

/** Event type names: ours are snake_case, the API's enum is upper case. */
export function eventTypeMessage(type: DaemonEventType): EventType {
  return type.toUpperCase() as EventType;
}

export function eventTypeFromMessage(type: string): DaemonEventType | undefined {
  const t = type.toLowerCase();
  return t === 'event_type_unspecified' ? undefined : (t as DaemonEventType);
}

export function eventMessage(e: DaemonEvent): EventMessage {
  const base: EventMessage = { type: eventTypeMessage(e.type), timestampMs: e.timestamp, origin: 'origin' in e ? e.origin : '' };
  switch (e.type) {
    case 'track_opened':
      return { ...base, trackOpened: { path: e.path, origin: e.origin } };
    case 'scan_started':
      return { ...base, scanStarted: { origin: e.origin, kind: e.kind } };
    case 'scan_progress':
      return { ...base, scanProgress: { origin: e.origin, done: e.done, total: e.total } };
    case 'scan_completed':
      return { ...base, scanCompleted: scanReportMessage(e.report) };
    case 'library_changed':
      return { ...base, libraryChanged: { tracks: e.tracks, folders: e.folders } };
    case 'origin_health_changed':
      return { ...base, originHealthChanged: { origin: e.origin, state: HEALTH[e.state], previous: HEALTH[e.previous], reason: e.reason } };
    case 'all_origins_unhealthy':
      return { ...base, allOriginsUnhealthy: { origins: e.origins, reasons: e.reasons } };
    case 'mount_state_changed':
      return { ...base, mountStateChanged: { mounted: e.mounted, mountPoint: e.mountPoint, tracks: e.tracks } };
    case 'config_changed':
      return { ...base, configChanged: { key: e.key, value: e.value } };
    case 'origin_changed':
      return { ...base, originChanged: { origin: e.origin, change: e.change } };
    case 'cache_evicted':
      return { ...base, cacheEvicted: { tracks: e.tracks, bytes: e.bytes, reason: e.reason } };
    case 'cache_passthrough_changed':
      return { ...base, cachePassthroughChanged: { passthrough: e.passthrough, reason: e.reason } };
  }
}

export function cacheStatsMessage(s: CacheStatsView): CacheStats {
  return {
    dir: s.dir,
    sizeBytes: s.sizeBytes,
    limitBytes: s.limitBytes,
    chunks: s.chunks,
    tracks: s.tracks,
    tracksComplete: s.tracksComplete,
    pinnedTracks: s.pinnedTracks,
    memoryBytes: s.memoryBytes,
    memoryLimitBytes: s.memoryLimitBytes,
    hits: s.hits,
    misses: s.misses,
    hitRatio: s.hitRatio,
    evictions: s.evictions,
    evictedBytes: s.evictedBytes,
    corruptChunks: s.corruptChunks,
    passthrough: s.passthrough,
    passthroughReason: s.passthroughReason,
  };
}

export function cacheProgressMessage(p: CacheProgressView): CacheProgress {
  return {
    path: p.path,
    filesDone: p.filesDone,
    filesTotal: p.filesTotal,
    filesFailed: p.filesFailed,
    bytesDone: p.bytesDone,
    bytesTotal: p.bytesTotal,
    error: p.error,
    finished: p.finished,
  };
}

/** The JSON `data` of an event for webhooks: the event without its envelope. */
export function eventData(e: DaemonEvent): Record<string, unknown> {
  const { type: _type, timestamp: _timestamp, ...data } = e;
  return data;
}
