import { Emitter, type Event } from './base/event.js';
import type { ScanReport } from './scan/scan-report.js';

/**
 * The daemon's typed event bus: a closed union, named for what happened.
 * The gRPC event stream, webhooks, metrics and the CLI's foreground output all
 * read these same events. Later issues add cache and federation events.
 */

export type HealthStateName = 'unknown' | 'healthy' | 'degraded' | 'unhealthy';
export type OriginChange = 'added' | 'removed' | 'enabled' | 'disabled' | 'updated';
export type CacheEvictionReason = 'limit' | 'disk_full' | 'clear';

export type DaemonEventBody =
  | { type: 'track_opened'; path: string; origin: string }
  | { type: 'scan_started'; origin: string; kind: ScanReport['kind'] }
  | { type: 'scan_progress'; origin: string; done: number; total: number }
  | { type: 'scan_completed'; origin: string; report: ScanReport }
  | { type: 'library_changed'; tracks: number; folders: number }
  | { type: 'origin_health_changed'; origin: string; state: HealthStateName; previous: HealthStateName; reason: string }
  /** Every enabled origin became unhealthy: only cached tracks play; reads try the least-bad origin. */
  | { type: 'all_origins_unhealthy'; origins: string[]; reasons: string[] }
  | { type: 'mount_state_changed'; mounted: boolean; mountPoint: string; tracks: number }
  | { type: 'config_changed'; key: string; value: string }
  | { type: 'origin_changed'; origin: string; change: OriginChange }
  /** Tracks dropped from the cache: over its limit ('limit'), the disk full ('disk_full'), or ClearCache ('clear'). */
  | { type: 'cache_evicted'; tracks: number; bytes: number; reason: CacheEvictionReason }
  /** The cache disk stopped (or started again) taking writes; while on, reads go straight to the origins. */
  | { type: 'cache_passthrough_changed'; passthrough: boolean; reason: string };

export type DaemonEvent = DaemonEventBody & { timestamp: number };
export type DaemonEventType = DaemonEvent['type'];

export const DAEMON_EVENT_TYPES: readonly DaemonEventType[] = [
  'track_opened',
  'scan_started',
  'scan_progress',
  'scan_completed',
  'library_changed',
  'origin_health_changed',
  'all_origins_unhealthy',
  'mount_state_changed',
  'config_changed',
  'origin_changed',
  'cache_evicted',
  'cache_passthrough_changed',
];

export class EventBus {
  private readonly emitter = new Emitter<DaemonEvent>();
  readonly onEvent: Event<DaemonEvent> = this.emitter.event;

  publish(body: DaemonEventBody): void {
    this.emitter.fire({ ...body, timestamp: Date.now() });
  }

  dispose(): void {
    this.emitter.dispose();
  }
}

/** The origin an event concerns, if any (stream and webhook filters match on it). */
export function originOf(event: DaemonEvent): string | undefined {
  return 'origin' in event ? event.origin : undefined;
}
