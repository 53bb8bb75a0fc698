import type { ScanReport } from './scan/scan-report.js';

/**
 * The daemon's typed event bus: a closed union, named for what happened.
 * The CLI's foreground output reads it today; the gRPC stream, webhooks and
 * metrics will read the same events.
 */
export type DaemonEvent =
  | { type: 'mount_state_changed'; mounted: boolean; mountPoint: string; tracks: number }
  | { type: 'scan_started'; origin: string; kind: ScanReport['kind'] }
  | { type: 'scan_progress'; origin: string; done: number; total: number }
  | { type: 'scan_completed'; report: ScanReport }
  | { type: 'library_changed'; tracks: number; folders: number };

export type DaemonEventType = DaemonEvent['type'];
