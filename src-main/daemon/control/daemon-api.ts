import type { Event } from '../base/event.js';
import type { CacheApi } from './cache-api.js';
import type { TrackRecord } from '../catalog/catalog.js';
import type { ConfigEntryInfo } from '../config/config-store.js';
import type { DaemonEvent } from '../events.js';
import type { OriginTestReport } from '../federation/origin-tester.js';
import type { ManagedOrigin, OriginSpec } from '../origins/origin-manager.js';
import type { ScanReport } from '../scan/scan-report.js';
import type { ScanProgress } from '../scan/scanner.js';

/**
 * What the control plane needs of the daemon: one facade, declared here by
 * its consumer (the gRPC service, later the HTTP gateway) and implemented by
 * the Daemon. Values are domain objects; the service maps them to messages.
 */

export interface MountView {
  mounted: boolean;
  mountPoint: string;
  openFiles: number;
}

export interface StatusView {
  version: string;
  pid: number;
  startedAt: number;
  mount: MountView;
  tracks: number;
  folders: number;
  libraryBytes: number;
  origins: number;
  originsEnabled: number;
  scanning: boolean;
  catalogPath: string;
  configPath: string;
  socketPath: string;
  metricsUrl: string;
}

/** A track as search returns it: where it is in the mount, and its catalog rows (one per replica hit). */
export interface TrackView {
  path: string;
  records: TrackRecord[];
}

export interface SearchView {
  tracks: TrackView[];
  total: number;
  tookMs: number;
}

export interface DaemonApi extends CacheApi {
  readonly onEvent: Event<DaemonEvent>;
  status(): StatusView;
  /** Starts a graceful shutdown (drain, unmount, exit 0); returns at once. */
  requestShutdown(reason: string): void;

  mountState(): MountView;
  mount(path: string | undefined, allowNonEmpty: boolean | undefined): Promise<MountView>;
  unmount(): Promise<MountView>;

  listOrigins(): ManagedOrigin[];
  originTrackCount(origin: ManagedOrigin): number;
  addOrigin(spec: OriginSpec, sessionOnly: boolean, skipCheck: boolean): Promise<ManagedOrigin>;
  /** Tests a location or an existing origin (by name): connect, list, read a range. */
  testOrigin(location: string): Promise<OriginTestReport>;
  updateOrigin(name: string, patch: { newName?: string; priority?: number; enabled?: boolean }): Promise<ManagedOrigin>;
  removeOrigin(name: string): Promise<ManagedOrigin>;
  checkOriginHealth(name: string | undefined, now: boolean): Promise<ManagedOrigin[]>;
  /** Full scans of one origin (or every enabled one, in turn); rejects with CANCELLED when `signal` aborts. */
  rescan(name: string | undefined, onProgress: (p: ScanProgress) => void, onReport: (r: ScanReport) => void, signal: AbortSignal): Promise<void>;

  search(query: string, limit: number, offset: number): Promise<SearchView>;
  /** Every match, in pages; resolves with the count sent. */
  searchAll(query: string, onPage: (tracks: TrackView[]) => void, signal: AbortSignal): Promise<number>;
  originName(id: number): string | undefined;

  configEntries(keys: readonly string[]): ConfigEntryInfo[];
  readonly configPath: string;
  setConfig(key: string, value: string): Promise<ConfigEntryInfo>;
}
