/**
 * The configuration schema: every key, its type, default and meaning, in one
 * place. Pure: the daemon reads the TOML file and environment, this file
 * validates and documents (docs/configuration.md mirrors it).
 * Precedence: CLI flag > environment (MUSICFS_*) > config file > default.
 */

export type LogLevelName = 'debug' | 'info' | 'warn' | 'error';

export interface MusicFsConfig {
  /** Path template for the mount (see the layout fields). */
  layout: string;
  logLevel: LogLevelName;
  /** Deadline for one read/open through the mount, in ms; then EIO. */
  readTimeoutMs: number;
  /** Seconds the kernel may cache names and attributes of the mount. */
  attrTimeoutSec: number;
  /** Quiet time before a burst of file changes is applied, in ms. */
  watchDebounceMs: number;
  /** Tag-reading worker threads; 0 = one per CPU core. */
  scanWorkers: number;
}

interface KeySpec {
  /** The key as written in config.toml (dotted for tables). */
  toml: string;
  env: string;
  prop: keyof MusicFsConfig;
  type: 'string' | 'integer' | 'number' | 'loglevel';
  min?: number;
  max?: number;
  description: string;
}

export const CONFIG_KEYS: readonly KeySpec[] = [
  { toml: 'layout', env: 'MUSICFS_LAYOUT', prop: 'layout', type: 'string', description: 'path template of the mount' },
  { toml: 'log_level', env: 'MUSICFS_LOG_LEVEL', prop: 'logLevel', type: 'loglevel', description: 'debug, info, warn or error' },
  { toml: 'mount.read_timeout_ms', env: 'MUSICFS_READ_TIMEOUT_MS', prop: 'readTimeoutMs', type: 'integer', min: 100, max: 600_000, description: 'deadline of one read, then EIO' },
  { toml: 'mount.attr_timeout_sec', env: 'MUSICFS_ATTR_TIMEOUT_SEC', prop: 'attrTimeoutSec', type: 'number', min: 0, max: 3600, description: 'kernel cache time of names and attributes' },
  { toml: 'scan.watch_debounce_ms', env: 'MUSICFS_WATCH_DEBOUNCE_MS', prop: 'watchDebounceMs', type: 'integer', min: 10, max: 60_000, description: 'quiet time before file changes are applied' },
  { toml: 'scan.workers', env: 'MUSICFS_SCAN_WORKERS', prop: 'scanWorkers', type: 'integer', min: 0, max: 64, description: 'tag reader threads (0 = one per core)' },
];

export function defaultConfig(defaultLayout: string): MusicFsConfig {
  return { layout: defaultLayout, logLevel: 'info', readTimeoutMs: 30_000, attrTimeoutSec: 1, watchDebounceMs: 200, scanWorkers: 0 };
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

/** Flattens a parsed TOML document to dotted keys ({mount: {a: 1}} → 'mount.a'). */
function flatten(doc: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(doc)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      for (const [fk, fv] of flatten(v as Record<string, unknown>, key)) out.set(fk, fv);
    } else {
      out.set(key, v);
    }
  }
  return out;
}

function coerce(spec: KeySpec, value: unknown, where: string): string | number {
  const fail = (want: string): never => {
    throw new ConfigError(`${where}: ${spec.toml} must be ${want}, got ${JSON.stringify(value)}`, spec.toml);
  };
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') fail('a string');
      return value as string;
    case 'loglevel':
      if (value !== 'debug' && value !== 'info' && value !== 'warn' && value !== 'error') fail('one of debug, info, warn, error');
      return value as string;
    case 'integer':
    case 'number': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) fail(spec.type === 'integer' ? 'a whole number' : 'a number');
      const num = n as number;
      if ((spec.min !== undefined && num < spec.min) || (spec.max !== undefined && num > spec.max)) fail(`between ${spec.min} and ${spec.max}`);
      return num;
    }
  }
}

/** Line (1-based) where `key` is set in TOML text, best effort. */
export function lineOfKey(text: string, dottedKey: string): number | undefined {
  const parts = dottedKey.split('.');
  const leaf = parts.pop()!;
  const table = parts.join('.');
  const lines = text.split('\n');
  let current = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    // A header may be followed by a comment: `[mount]  # timeouts`.
    const header = /^\[\s*([^\]]+?)\s*\]\s*(?:#.*)?$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    const m = /^("?)([A-Za-z0-9_.-]+)\1\s*=/.exec(line);
    if (!m) continue;
    const full = current ? `${current}.${m[2]}` : m[2]!;
    if (full === dottedKey || (current === table && m[2] === leaf)) return i + 1;
  }
  return undefined;
}

export interface ConfigSources {
  /** Parsed config.toml, with its text for line numbers. */
  file?: { path: string; doc: Record<string, unknown>; text: string };
  env?: Record<string, string | undefined>;
  /** Values from CLI flags, already typed. */
  flags?: Partial<MusicFsConfig>;
}

/** Merges defaults < file < env < flags, validating every value. */
export function resolveConfig(defaults: MusicFsConfig, sources: ConfigSources): MusicFsConfig {
  const config: MusicFsConfig = { ...defaults };
  const set = (spec: KeySpec, value: string | number): void => {
    (config as unknown as Record<string, unknown>)[spec.prop] = value;
  };
  if (sources.file) {
    const { path, doc, text } = sources.file;
    const byToml = new Map(CONFIG_KEYS.map((k) => [k.toml, k]));
    for (const [key, value] of flatten(doc)) {
      const line = lineOfKey(text, key);
      const where = `${path}${line ? `:${line}` : ''}`;
      const spec = byToml.get(key);
      if (!spec) {
        throw new ConfigError(`${where}: unknown key "${key}" (known keys: ${CONFIG_KEYS.map((k) => k.toml).join(', ')})`, key, line);
      }
      try {
        set(spec, coerce(spec, value, where));
      } catch (err) {
        if (err instanceof ConfigError) throw new ConfigError(err.message, key, line);
        throw err;
      }
    }
  }
  for (const spec of CONFIG_KEYS) {
    const raw = sources.env?.[spec.env];
    if (raw !== undefined && raw !== '') set(spec, coerce(spec, raw, `environment variable ${spec.env}`));
  }
  for (const [prop, value] of Object.entries(sources.flags ?? {})) {
    if (value !== undefined) (config as unknown as Record<string, unknown>)[prop] = value;
  }
  return config;
}
