/**
 * The JSON API of the daemon as the UI sees it: the window (over the preload
 * bridge), a browser (over the loopback HTTP gateway) and the tray read and
 * send exactly these shapes. Plain data only (no classes, no Dates: times are
 * milliseconds since the Unix epoch), so a value survives JSON and
 * structured clone unchanged. The daemon maps its domain objects to these in
 * one place (`control/api-views.ts`); the gRPC API carries the same fields
 * in proto form.
 *
 * Secrets (S3 secret keys, SSH passwords) go to the daemon in `OriginSecrets`
 * and never come back in any of these types.
 */

export type HealthState = 'unknown' | 'healthy' | 'degraded' | 'unhealthy';
export type OriginKind = 'local' | 's3' | 'sftp';

export interface MountState {
  mounted: boolean;
  /** '' when not mounted and never was. */
  mountPoint: string;
  openFiles: number;
}

export interface DaemonStatus {
  version: string;
  pid: number;
  startedAt: number;
  uptimeSec: number;
  mount: MountState;
  tracks: number;
  folders: number;
  libraryBytes: number;
  origins: number;
  originsEnabled: number;
  scanning: boolean;
  /** `cache.paused`: nothing new is written to the cache (what is cached still plays). */
  cachingPaused: boolean;
  catalogPath: string;
  configPath: string;
  socketPath: string;
  /** '' when metrics are off. */
  metricsUrl: string;
}

export interface ScanIssue {
  path: string;
  reason: string;
}

export interface ScanReport {
  origin: string;
  kind: 'full' | 'changes';
  startedAt: number;
  durationMs: number;
  scanned: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  skipped: ScanIssue[];
  errors: ScanIssue[];
  /** Set when the scan stopped early. */
  incomplete?: string;
  bytesFetched: number;
}

/** One message of a rescan: progress while it runs, `report` on the last one of each origin. */
export interface ScanProgress {
  origin: string;
  done: number;
  total: number;
  report?: ScanReport;
}

export interface OriginHealth {
  state: HealthState;
  /** Why it is not healthy, in words ('' when healthy). */
  reason: string;
  /** 0 = never checked. */
  checkedAt: number;
  latencyMs: number;
  consecutiveFailures: number;
  /** Median latency of recent operations; 0 = none yet. */
  p50LatencyMs: number;
  bytesRead: number;
  failedOperations: number;
  remote: boolean;
}

export interface OriginInfo {
  name: string;
  kind: OriginKind;
  /** Folder or canonical URL; never a secret. */
  location: string;
  priority: number;
  enabled: boolean;
  /** 'config': in config.toml; 'session': a --origin of this run. */
  source: 'config' | 'session';
  tracks: number;
  scanning: boolean;
  lastScan?: ScanReport;
  health: OriginHealth;
}

/** Secrets typed into the origin wizard: sent once, stored by the daemon in files of mode 0600, never returned. */
export interface OriginSecrets {
  /** S3 access key id and secret key (both or neither). */
  s3AccessKeyId?: string;
  s3SecretAccessKey?: string;
  /** SFTP password. */
  sftpPassword?: string;
}

export interface AddOriginInput {
  /** A local folder, s3://BUCKET/PREFIX?... or sftp://USER@HOST:PORT/PATH?... */
  location: string;
  name?: string;
  priority?: number;
  enabled?: boolean;
  /** Not written to config.toml: for this run of the daemon only. */
  sessionOnly?: boolean;
  /** Add a remote origin without testing it first. */
  skipCheck?: boolean;
  secrets?: OriginSecrets;
}

export interface TestOriginInput {
  /** A location, or the name of an existing origin. */
  location: string;
  secrets?: OriginSecrets;
}

export type OriginFailure =
  | 'auth'
  | 'host_key'
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'reset'
  | 'bucket_missing'
  | 'permission'
  | 'not_found'
  | 'protocol'
  | 'io';

/** An SSH host key the server offered that known_hosts does not vouch for. */
export interface HostKeyInfo {
  host: string;
  port: number;
  /** 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'... */
  keyType: string;
  /** OpenSSH's 'SHA256:...' fingerprint, to compare with the server's (ssh-keygen -lf). */
  fingerprint: string;
  /** The public key blob, base64: what TrustHostKey writes to known_hosts. */
  keyBase64: string;
  /** The known_hosts file that was checked (and that trusting writes to). */
  knownHostsFile: string;
  /** 'unknown': never seen (can be trusted after checking the fingerprint); 'changed': another key was known (refused: possible interception). */
  verdict: 'unknown' | 'changed' | 'revoked';
}

export interface OriginTestStep {
  step: 'connect' | 'list' | 'read';
  ok: boolean;
  /** What was found, or what is wrong, in words. */
  detail: string;
  failure?: OriginFailure;
  durationMs: number;
}

export interface OriginTestResult {
  location: string;
  ok: boolean;
  steps: OriginTestStep[];
  /** One line: what works, or the first failure. */
  summary: string;
  /** Set when the connection failed on the SSH host key. */
  hostKey?: HostKeyInfo;
}

export interface TrustHostKeyInput {
  host: string;
  port: number;
  keyType: string;
  keyBase64: string;
  /** As HostKeyInfo.knownHostsFile. */
  knownHostsFile: string;
}

export interface OriginPatch {
  newName?: string;
  priority?: number;
  enabled?: boolean;
}

export interface Track {
  /** Path in the mount, relative to its root ('Artist/Album/01 - Title.flac'). */
  path: string;
  artist: string;
  albumArtist: string;
  album: string;
  title: string;
  track: number;
  trackTotal: number;
  disc: number;
  discTotal: number;
  year: number;
  genre: string;
  compilation: boolean;
  codec: string;
  durationSec: number;
  bitrate: number;
  sampleRate: number;
  size: number;
  /** Origins holding it, best first. */
  origins: string[];
  /** Its path on the first origin. */
  originPath: string;
}

export interface SearchInput {
  /** The CLI's query syntax: free text, artist:, album:, year:1990..1999, -word. */
  query: string;
  /** Default 100, at most 10000. */
  limit?: number;
  offset?: number;
}

export interface SearchResult {
  tracks: Track[];
  total: number;
  tookMs: number;
}

export interface CacheStats {
  dir: string;
  sizeBytes: number;
  limitBytes: number;
  chunks: number;
  tracks: number;
  tracksComplete: number;
  pinnedTracks: number;
  /** Bytes of pinned tracks (never evicted). */
  pinnedBytes: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  hits: number;
  misses: number;
  hitRatio: number;
  evictions: number;
  evictedBytes: number;
  corruptChunks: number;
  passthrough: boolean;
  passthroughReason: string;
  /** `cache.paused`. */
  paused: boolean;
}

/** Library paths ('Artist/Album' or a file) to prefetch, pin or unpin. */
export interface CachePathsInput {
  paths: string[];
}

export interface CacheProgress {
  path: string;
  filesDone: number;
  filesTotal: number;
  filesFailed: number;
  bytesDone: number;
  bytesTotal: number;
  error: string;
  finished: boolean;
}

export interface ConfigEntry {
  key: string;
  /** TOML text of the value. */
  value: string;
  source: 'default' | 'file' | 'env' | 'flag' | 'runtime';
  runtimeChangeable: boolean;
  description: string;
}

export interface ConfigSetInput {
  key: string;
  /** TOML text: 5000, "debug", true. */
  value: string;
}

export interface ConfigSetResult {
  entry: ConfigEntry;
  persisted: boolean;
}

export interface LayoutPreviewInput {
  /** A layout template; '' = the current one. */
  template: string;
  /** Sample size (default 50, at most 500). */
  limit?: number;
}

export interface LayoutPreviewEntry {
  /** Path under the current layout ('' when the track is not in the mount now). */
  current: string;
  /** Path under `template`. */
  preview: string;
  /** The preview name was taken by another track and got a ' (2)' suffix. */
  collision: boolean;
}

export interface LayoutPreviewResult {
  template: string;
  /** Set (with no entries) when the template does not compile: what is wrong, in words. */
  error?: string;
  entries: LayoutPreviewEntry[];
  /** Over the whole library: tracks, how many names would change, how many collide. */
  tracks: number;
  changed: number;
  collisions: number;
}

export type ApiEvent = ApiEventBody & { timestamp: number };

export type ApiEventBody =
  | { type: 'track_opened'; path: string; origin: string }
  | { type: 'scan_started'; origin: string; kind: 'full' | 'changes' }
  | { type: 'scan_progress'; origin: string; done: number; total: number }
  | { type: 'scan_completed'; origin: string; report: ScanReport }
  | { type: 'library_changed'; tracks: number; folders: number }
  | { type: 'origin_health_changed'; origin: string; state: HealthState; previous: HealthState; reason: string }
  | { type: 'all_origins_unhealthy'; origins: string[]; reasons: string[] }
  | { type: 'mount_state_changed'; mounted: boolean; mountPoint: string; tracks: number }
  | { type: 'config_changed'; key: string; value: string }
  | { type: 'origin_changed'; origin: string; change: 'added' | 'removed' | 'enabled' | 'disabled' | 'updated' }
  | { type: 'cache_evicted'; tracks: number; bytes: number; reason: 'limit' | 'disk_full' | 'clear' }
  | { type: 'cache_passthrough_changed'; passthrough: boolean; reason: string };

export type ApiEventType = ApiEvent['type'];

export interface EventsInput {
  /** Empty or absent: every type. */
  types?: ApiEventType[];
}
