/**
 * The configuration schema: every key, its type, default, meaning and when a
 * change takes effect, in one place. Pure: the daemon reads config.toml and
 * the environment, this file validates and documents (docs/configuration.md
 * mirrors it).
 *
 * Precedence: CLI flag > environment (MUSICFS_*) > config file > default. A
 * value set at run time (SetConfig) is written to the file and wins over all.
 */
import { OriginLocationError, originLocationFromTable, type OriginLocation } from './origin-location.js';
import { lineOfKey as locateLine } from './toml/toml-locate.js';

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

/** One `[[origin]]` table. */
export interface OriginConfig {
  /** Defaults to the folder's, bucket's or host's name. */
  name?: string;
  /** A local folder, an S3 bucket (and prefix) or an SFTP folder, with its settings. */
  location: OriginLocation;
  /** Lower is preferred when several origins hold the same recording. */
  priority: number;
  enabled: boolean;
  /** Keep what is read from this origin in the chunk cache (default true). */
  cache?: boolean;
}

/** One `[[webhook]]` table. */
export interface WebhookConfigEntry {
  url: string;
  secret: string;
  /** Event types to send; empty = every type. */
  events: string[];
  timeoutMs: number;
  maxQueue: number;
}

export interface MusicFsConfig {
  /** Path template for the mount (see the layout fields). */
  layout: string;
  logLevel: LogLevelName;
  /** Where `musicfs daemon` mounts, and the default of the Mount RPC; '' = no mount until asked. */
  mountPath: string;
  mountAllowNonEmpty: boolean;
  /** Deadline for one read/open through the mount, in ms; then EIO. */
  readTimeoutMs: number;
  /** Seconds the kernel may cache names and attributes of the mount. */
  attrTimeoutSec: number;
  /** Quiet time before a burst of file changes is applied, in ms. */
  watchDebounceMs: number;
  /** Tag-reading worker threads; 0 = one per CPU core. */
  scanWorkers: number;
  /** Full rescan of every origin every N minutes (catches what the watcher missed); 0 = never. */
  rescanIntervalMin: number;
  healthIntervalSec: number;
  healthTimeoutMs: number;
  /** Consecutive failed checks before a local origin counts as unhealthy. */
  healthFailuresLocal: number;
  /** Consecutive failed checks before a remote (S3, SFTP) origin counts as unhealthy. */
  healthFailuresRemote: number;
  /** Deadline of one operation on an origin (list, stat, open, read), retries included, in ms. */
  originDeadlineMs: number;
  /** "host:port" of the Prometheus endpoint; '' = off. */
  metricsListen: string;
  /** Control socket path; '' = $XDG_RUNTIME_DIR/musicfs/control.sock. */
  controlSocket: string;
  /** Folder of the chunk cache; '' = $XDG_CACHE_HOME/musicfs/chunks. */
  cacheDir: string;
  /** Bytes the chunk cache may hold on disk. */
  cacheSizeLimit: number;
  /** Bytes of chunks kept in memory in front of the disk store. */
  cacheMemory: number;
  /** Eviction starts above this fraction of the limit... */
  cacheHighWatermark: number;
  /** ...and stops below this one. */
  cacheLowWatermark: number;
  /** Bytes fetched ahead of a sequential reader. */
  cacheReadAhead: number;
  origins: OriginConfig[];
  webhooks: WebhookConfigEntry[];
}

export type ScalarProp = Exclude<keyof MusicFsConfig, 'origins' | 'webhooks'>;

/** When a changed value takes effect. */
export type Applies = 'now' | 'next-mount' | 'restart';

interface ValueSpec {
  type: 'string' | 'integer' | 'number' | 'size' | 'boolean' | 'loglevel' | 'string-list';
  min?: number;
  max?: number;
}

export interface KeySpec extends ValueSpec {
  /** The key as written in config.toml (dotted for tables). */
  toml: string;
  env: string;
  prop: ScalarProp;
  applies: Applies;
  description: string;
}

export const CONFIG_KEYS: readonly KeySpec[] = [
  { toml: 'layout', env: 'MUSICFS_LAYOUT', prop: 'layout', type: 'string', applies: 'now', description: 'path template of the mount' },
  { toml: 'log_level', env: 'MUSICFS_LOG_LEVEL', prop: 'logLevel', type: 'loglevel', applies: 'now', description: 'debug, info, warn or error' },
  { toml: 'mount.path', env: 'MUSICFS_MOUNT_PATH', prop: 'mountPath', type: 'string', applies: 'next-mount', description: 'where `musicfs daemon` mounts ("" = only when asked)' },
  { toml: 'mount.allow_non_empty', env: 'MUSICFS_MOUNT_ALLOW_NON_EMPTY', prop: 'mountAllowNonEmpty', type: 'boolean', applies: 'next-mount', description: 'mount over a folder that has content' },
  { toml: 'mount.read_timeout_ms', env: 'MUSICFS_READ_TIMEOUT_MS', prop: 'readTimeoutMs', type: 'integer', min: 100, max: 600_000, applies: 'now', description: 'deadline of one read, then EIO' },
  { toml: 'mount.attr_timeout_sec', env: 'MUSICFS_ATTR_TIMEOUT_SEC', prop: 'attrTimeoutSec', type: 'number', min: 0, max: 3600, applies: 'next-mount', description: 'kernel cache time of names and attributes' },
  { toml: 'scan.watch_debounce_ms', env: 'MUSICFS_WATCH_DEBOUNCE_MS', prop: 'watchDebounceMs', type: 'integer', min: 10, max: 60_000, applies: 'restart', description: 'quiet time before file changes are applied' },
  { toml: 'scan.workers', env: 'MUSICFS_SCAN_WORKERS', prop: 'scanWorkers', type: 'integer', min: 0, max: 64, applies: 'restart', description: 'tag reader threads (0 = one per core)' },
  { toml: 'scan.rescan_interval_min', env: 'MUSICFS_RESCAN_INTERVAL_MIN', prop: 'rescanIntervalMin', type: 'integer', min: 0, max: 100_000, applies: 'now', description: 'full rescan of every origin every N minutes (0 = never)' },
  { toml: 'health.interval_sec', env: 'MUSICFS_HEALTH_INTERVAL_SEC', prop: 'healthIntervalSec', type: 'integer', min: 1, max: 86_400, applies: 'now', description: 'seconds between origin health checks' },
  { toml: 'health.timeout_ms', env: 'MUSICFS_HEALTH_TIMEOUT_MS', prop: 'healthTimeoutMs', type: 'integer', min: 50, max: 600_000, applies: 'now', description: 'deadline of one health check' },
  { toml: 'health.failures_local', env: 'MUSICFS_HEALTH_FAILURES_LOCAL', prop: 'healthFailuresLocal', type: 'integer', min: 1, max: 100, applies: 'now', description: 'failed checks in a row before a local origin is unhealthy' },
  { toml: 'health.failures_remote', env: 'MUSICFS_HEALTH_FAILURES_REMOTE', prop: 'healthFailuresRemote', type: 'integer', min: 1, max: 100, applies: 'now', description: 'failed checks in a row before an S3/SFTP origin is unhealthy' },
  { toml: 'federation.deadline_ms', env: 'MUSICFS_ORIGIN_DEADLINE_MS', prop: 'originDeadlineMs', type: 'integer', min: 100, max: 600_000, applies: 'now', description: 'deadline of one origin operation, retries included' },
  { toml: 'metrics.listen', env: 'MUSICFS_METRICS_LISTEN', prop: 'metricsListen', type: 'string', applies: 'now', description: 'host:port of the Prometheus endpoint ("" = off)' },
  { toml: 'cache.dir', env: 'MUSICFS_CACHE_DIR', prop: 'cacheDir', type: 'string', applies: 'restart', description: 'folder of the chunk cache ("" = $XDG_CACHE_HOME/musicfs/chunks)' },
  { toml: 'cache.size_limit', env: 'MUSICFS_CACHE_SIZE_LIMIT', prop: 'cacheSizeLimit', type: 'size', min: 0, max: 2 ** 53 - 1, applies: 'now', description: 'disk space the cache may use ("10 GiB"; 0 = cache nothing new)' },
  { toml: 'cache.memory', env: 'MUSICFS_CACHE_MEMORY', prop: 'cacheMemory', type: 'size', min: 0, max: 64 * 2 ** 30, applies: 'now', description: 'memory tier in front of the disk store ("256 MiB")' },
  { toml: 'cache.high_watermark', env: 'MUSICFS_CACHE_HIGH_WATERMARK', prop: 'cacheHighWatermark', type: 'number', min: 0.1, max: 1, applies: 'now', description: 'eviction starts above this fraction of size_limit' },
  { toml: 'cache.low_watermark', env: 'MUSICFS_CACHE_LOW_WATERMARK', prop: 'cacheLowWatermark', type: 'number', min: 0.05, max: 1, applies: 'now', description: 'eviction stops below this fraction of size_limit' },
  { toml: 'cache.read_ahead', env: 'MUSICFS_CACHE_READ_AHEAD', prop: 'cacheReadAhead', type: 'size', min: 0, max: 2 ** 30, applies: 'now', description: 'bytes fetched ahead of a sequential reader ("16 MiB")' },
  { toml: 'control.socket', env: 'MUSICFS_CONTROL_SOCKET', prop: 'controlSocket', type: 'string', applies: 'restart', description: 'control socket path ("" = $XDG_RUNTIME_DIR/musicfs/control.sock)' },
];

interface FieldSpec extends ValueSpec {
  toml: string;
  required: boolean;
  description: string;
}

/** Arrays of tables: `[[origin]]` and `[[webhook]]`. */
export const TABLE_ARRAYS = {
  origin: [
    { toml: 'name', type: 'string', required: false, description: 'name shown in the CLI and metrics (default: the folder, bucket or host name)' },
    { toml: 'type', type: 'string', required: false, description: '"local", "s3" or "sftp" (default: guessed from the other keys)' },
    { toml: 'url', type: 'string', required: false, description: 'the whole location as a URL instead of the keys below (s3://BUCKET/PREFIX?..., sftp://USER@HOST/PATH?...)' },
    { toml: 'path', type: 'string', required: false, description: 'local: the music folder; sftp: the folder on the server' },
    { toml: 'bucket', type: 'string', required: false, description: 's3: bucket name' },
    { toml: 'prefix', type: 'string', required: false, description: 's3: key prefix of the music ("" = the whole bucket)' },
    { toml: 'endpoint', type: 'string', required: false, description: 's3: endpoint URL for MinIO, Backblaze, Wasabi... (default AWS)' },
    { toml: 'region', type: 'string', required: false, description: 's3: region (default: from the AWS config, else us-east-1)' },
    { toml: 'path_style', type: 'boolean', required: false, description: 's3: bucket in the URL path (MinIO and friends)' },
    { toml: 'profile', type: 'string', required: false, description: 's3: profile of the shared AWS credentials file' },
    { toml: 'host', type: 'string', required: false, description: 'sftp: server host name' },
    { toml: 'port', type: 'integer', min: 1, max: 65535, required: false, description: 'sftp: port (default 22)' },
    { toml: 'user', type: 'string', required: false, description: 'sftp: login name (default: your user name)' },
    { toml: 'identity', type: 'string', required: false, description: 'sftp: private key file' },
    { toml: 'known_hosts', type: 'string', required: false, description: 'sftp: known_hosts file the host key is checked against (default ~/.ssh/known_hosts)' },
    { toml: 'password_file', type: 'string', required: false, description: 'sftp: file whose first line is the password' },
    { toml: 'password_env', type: 'string', required: false, description: 'sftp: environment variable holding the password' },
    { toml: 'agent', type: 'boolean', required: false, description: 'sftp: use ssh-agent when SSH_AUTH_SOCK is set (default true)' },
    { toml: 'connections', type: 'integer', min: 1, max: 32, required: false, description: 'sftp: connections in the pool (default 4)' },
    { toml: 'priority', type: 'integer', min: -1_000_000, max: 1_000_000, required: false, description: 'lower is preferred (default 100)' },
    { toml: 'enabled', type: 'boolean', required: false, description: 'default true' },
    { toml: 'cache', type: 'boolean', required: false, description: 'keep what is read from it in the chunk cache (default true)' },
  ],
  webhook: [
    { toml: 'url', type: 'string', required: true, description: 'http(s) URL events are POSTed to' },
    { toml: 'secret', type: 'string', required: true, description: 'HMAC-SHA256 key of the X-MusicFS-Signature header' },
    { toml: 'events', type: 'string-list', required: false, description: 'event types to send (default: all)' },
    { toml: 'timeout_ms', type: 'integer', min: 100, max: 600_000, required: false, description: 'deadline of one delivery attempt (default 5000)' },
    { toml: 'max_queue', type: 'integer', min: 1, max: 1_000_000, required: false, description: 'events kept while the endpoint is down; the oldest are dropped beyond (default 1000)' },
  ],
} as const satisfies Record<string, readonly FieldSpec[]>;

export const DEFAULT_ORIGIN_PRIORITY = 100;

export function defaultConfig(defaultLayout: string): MusicFsConfig {
  return {
    layout: defaultLayout,
    logLevel: 'info',
    mountPath: '',
    mountAllowNonEmpty: false,
    readTimeoutMs: 30_000,
    attrTimeoutSec: 1,
    watchDebounceMs: 200,
    scanWorkers: 0,
    rescanIntervalMin: 60,
    healthIntervalSec: 30,
    healthTimeoutMs: 5000,
    healthFailuresLocal: 1,
    healthFailuresRemote: 3,
    originDeadlineMs: 30_000,
    metricsListen: '',
    controlSocket: '',
    cacheDir: '',
    cacheSizeLimit: 10 * 2 ** 30,
    cacheMemory: 256 * 2 ** 20,
    cacheHighWatermark: 0.95,
    cacheLowWatermark: 0.85,
    cacheReadAhead: 16 * 2 ** 20,
    origins: [],
    webhooks: [],
  };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 2 ** 10, kb: 1e3, kib: 2 ** 10,
  m: 2 ** 20, mb: 1e6, mib: 2 ** 20,
  g: 2 ** 30, gb: 1e9, gib: 2 ** 30,
  t: 2 ** 40, tb: 1e12, tib: 2 ** 40,
};

/**
 * "10 GiB", "512MiB", "1.5G", "4096" → bytes (whole); undefined when not a
 * size. Bare K/M/G/T are binary, like rclone's and du's; KB/MB/GB decimal.
 */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/** Bytes as the shortest exact binary unit: 10737418240 → "10 GiB", 1000 → "1000 B". */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor} ${unit}`;
  }
  return `${bytes} B`;
}

/** A config problem: which key, which source, which line (for the file). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly key?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Line (1-based) where `key` is set in TOML text ('mount.read_timeout_ms', 'webhook[1].url'). */
export function lineOfKey(text: string, dottedKey: string): number | undefined {
  return locateLine(text, dottedKey);
}

function describeType(spec: ValueSpec): string {
  switch (spec.type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'loglevel':
      return 'one of debug, info, warn, error';
    case 'string-list':
      return 'a list of strings';
    case 'size':
      return 'a size: bytes, or a number with a unit ("512 MiB", "10 GiB", "1.5G")';
    case 'integer':
    case 'number':
      return spec.min !== undefined && spec.max !== undefined ? `a ${spec.type === 'integer' ? 'whole number' : 'number'} between ${spec.min} and ${spec.max}` : spec.type === 'integer' ? 'a whole number' : 'a number';
  }
}

/** Checks and converts one value (from TOML or an environment string). */
export function coerceValue(spec: ValueSpec, value: unknown, name: string, where: string): string | number | boolean | string[] {
  const fail = (): never => {
    throw new ConfigError(`${where}: ${name} must be ${describeType(spec)}, got ${JSON.stringify(value)}`, name);
  };
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') fail();
      return value as string;
    case 'loglevel':
      if (value !== 'debug' && value !== 'info' && value !== 'warn' && value !== 'error') fail();
      return value as string;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === '1') return true;
      if (value === 'false' || value === '0') return false;
      return fail();
    case 'string-list':
      if (typeof value === 'string') return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) fail();
      return value as string[];
    case 'size': {
      const n = typeof value === 'string' ? parseSize(value) : typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return fail();
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) fail();
      return n;
    }
    case 'integer':
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) fail();
      const num = n as number;
      if ((spec.min !== undefined && num < spec.min) || (spec.max !== undefined && num > spec.max)) fail();
      return num;
    }
  }
}

export type ConfigSource = 'default' | 'file' | 'env' | 'flag' | 'runtime';

export interface ConfigSources {
  /** Parsed config.toml, with its text for line numbers. */
  file?: { path: string; doc: Record<string, unknown>; text: string };
  env?: Record<string, string | undefined>;
  /** Values from CLI flags, already typed. */
  flags?: Partial<MusicFsConfig>;
}

export interface ResolvedConfig {
  config: MusicFsConfig;
  /** Where each scalar key's value comes from. */
  sources: Map<string, ConfigSource>;
}

const isTable = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/** Merges defaults < file < env < flags, validating every value. */
export function resolveConfigWithSources(defaults: MusicFsConfig, input: ConfigSources): ResolvedConfig {
  const config: MusicFsConfig = { ...defaults, origins: [...defaults.origins], webhooks: [...defaults.webhooks] };
  const sources = new Map<string, ConfigSource>(CONFIG_KEYS.map((k) => [k.toml, 'default']));
  const set = (spec: KeySpec, value: unknown, source: ConfigSource): void => {
    (config as unknown as Record<string, unknown>)[spec.prop] = value;
    sources.set(spec.toml, source);
  };
  if (input.file) readFile(input.file, config, set);
  for (const spec of CONFIG_KEYS) {
    const raw = input.env?.[spec.env];
    if (raw !== undefined && raw !== '') set(spec, coerceValue(spec, raw, spec.toml, `environment variable ${spec.env}`), 'env');
  }
  for (const [prop, value] of Object.entries(input.flags ?? {})) {
    if (value === undefined) continue;
    const spec = CONFIG_KEYS.find((k) => k.prop === prop);
    if (spec) set(spec, value, 'flag');
    else (config as unknown as Record<string, unknown>)[prop] = value;
  }
  return { config, sources };
}

/** Merges defaults < file < env < flags, validating every value. */
export function resolveConfig(defaults: MusicFsConfig, input: ConfigSources): MusicFsConfig {
  return resolveConfigWithSources(defaults, input).config;
}

function readFile(file: NonNullable<ConfigSources['file']>, config: MusicFsConfig, set: (spec: KeySpec, value: unknown, source: ConfigSource) => void): void {
  const { path, doc, text } = file;
  const where = (key: string): { where: string; line: number | undefined } => {
    const line = lineOfKey(text, key);
    return { where: `${path}${line ? `:${line}` : ''}`, line };
  };
  const fail = (key: string, message: (where: string) => string): never => {
    const w = where(key);
    throw new ConfigError(message(w.where), key, w.line);
  };
  const byToml = new Map(CONFIG_KEYS.map((k) => [k.toml, k]));
  const known = () => [...CONFIG_KEYS.map((k) => k.toml), ...Object.keys(TABLE_ARRAYS).map((t) => `[[${t}]]`)].join(', ');

  const visit = (table: Record<string, unknown>, prefix: string): void => {
    for (const [k, value] of Object.entries(table)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (!prefix && k in TABLE_ARRAYS) {
        readTableArray(k as keyof typeof TABLE_ARRAYS, value, config, fail, where);
        continue;
      }
      const spec = byToml.get(key);
      if (spec) {
        try {
          set(spec, coerceValue(spec, value, key, where(key).where), 'file');
        } catch (err) {
          if (err instanceof ConfigError) throw new ConfigError(err.message, key, where(key).line);
          throw err;
        }
        continue;
      }
      if (isTable(value) && !prefix && CONFIG_KEYS.some((s) => s.toml.startsWith(`${key}.`))) {
        visit(value, key);
        continue;
      }
      // An unknown table is reported by its first key: that is the line to fix.
      const leaf = isTable(value) ? firstLeafKey(value, key) : key;
      fail(leaf, (w) => `${w}: unknown key "${leaf}" (known keys: ${known()})`);
    }
  };
  visit(doc, '');
}

function firstLeafKey(table: Record<string, unknown>, prefix: string): string {
  for (const [k, v] of Object.entries(table)) return isTable(v) ? firstLeafKey(v, `${prefix}.${k}`) : `${prefix}.${k}`;
  return prefix;
}

function readTableArray(
  name: keyof typeof TABLE_ARRAYS,
  value: unknown,
  config: MusicFsConfig,
  fail: (key: string, message: (where: string) => string) => never,
  where: (key: string) => { where: string; line: number | undefined },
): void {
  if (!Array.isArray(value) || !value.every(isTable)) fail(name, (w) => `${w}: ${name} must be written as [[${name}]] tables`);
  const specs: readonly FieldSpec[] = TABLE_ARRAYS[name];
  (value as Record<string, unknown>[]).forEach((table, index) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(table)) {
      const key = `${name}[${index}].${k}`;
      const spec = specs.find((s) => s.toml === k);
      if (!spec) fail(key, (w) => `${w}: unknown key "${k}" in [[${name}]] (known keys: ${specs.map((s) => s.toml).join(', ')})`);
      try {
        out[spec!.toml] = coerceValue(spec!, v, key, where(key).where);
      } catch (err) {
        if (err instanceof ConfigError) throw new ConfigError(err.message, key, where(key).line);
        throw err;
      }
    }
    for (const spec of specs) {
      if (spec.required && !(spec.toml in out)) fail(`${name}[${index}]`, (w) => `${w}: [[${name}]] number ${index + 1} needs "${spec.toml}"`);
    }
    if (name === 'origin') {
      let location: OriginLocation;
      try {
        location = originLocationFromTable(out);
      } catch (err) {
        if (!(err instanceof OriginLocationError)) throw err;
        fail(`${name}[${index}]`, (w) => `${w}: [[origin]] number ${index + 1}: ${err.message}`);
      }
      const origin: OriginConfig = {
        location: location!,
        priority: (out['priority'] as number | undefined) ?? DEFAULT_ORIGIN_PRIORITY,
        enabled: (out['enabled'] as boolean | undefined) ?? true,
      };
      if (out['name'] !== undefined) origin.name = out['name'] as string;
      if (out['cache'] === false) origin.cache = false;
      config.origins.push(origin);
    } else {
      const url = out['url'] as string;
      if (!/^https?:\/\//i.test(url)) fail(`${name}[${index}].url`, (w) => `${w}: webhook[${index}].url must be an http:// or https:// URL, got ${JSON.stringify(url)}`);
      config.webhooks.push({
        url,
        secret: out['secret'] as string,
        events: (out['events'] as string[] | undefined) ?? [],
        timeoutMs: (out['timeout_ms'] as number | undefined) ?? 5000,
        maxQueue: (out['max_queue'] as number | undefined) ?? 1000,
      });
    }
  });
}

/** The TOML text of a scalar key's value ("30000", "\"debug\"", "true"). */
export function formatScalar(value: string | number | boolean, spec?: Pick<KeySpec, 'type'>): string {
  // Sizes read back as they are usually written: "10 GiB", not 10737418240.
  if (spec?.type === 'size' && typeof value === 'number') return JSON.stringify(formatSize(value));
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/** Validates a value given for `key` at run time (SetConfig); returns the typed value. */
export function parseRuntimeValue(key: string, value: unknown): { spec: KeySpec; value: string | number | boolean } {
  const spec = CONFIG_KEYS.find((k) => k.toml === key);
  if (!spec) throw new ConfigError(`unknown key "${key}" (known keys: ${CONFIG_KEYS.map((k) => k.toml).join(', ')})`, key);
  if (spec.applies === 'restart') throw new ConfigError(`${key} cannot change while the daemon runs; edit config.toml and restart`, key);
  return { spec, value: coerceValue(spec, value, key, 'value') as string | number | boolean };
}
