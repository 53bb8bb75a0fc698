/**
 * The daemon's one public surface: what the process entry (and, later, the
 * Electron host) may use. Everything else in daemon/ is internal.
 */
export { Daemon, type DaemonOptions } from './app.js';
export type { DaemonEvent, DaemonEventType } from './events.js';
export type { OriginSpec } from './origins/origin-manager.js';
export { runDaemon, type RunDaemonOptions } from './run.js';
export { summariseReport, type ScanReport } from './scan/scan-report.js';
