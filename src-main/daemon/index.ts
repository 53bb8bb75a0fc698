/**
 * The daemon's one public surface: what the process entry (and, later, the
 * Electron host) may use. Everything else in daemon/ is internal.
 */
export { Daemon, type DaemonOptions, type OriginSpec } from './app.js';
export type { DaemonEvent, DaemonEventType } from './events.js';
export { runForegroundMount, type ForegroundMountOptions } from './foreground.js';
export { summariseReport, type ScanReport } from './scan/scan-report.js';
