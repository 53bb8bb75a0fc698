import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import {
  CONFIG_KEYS,
  ConfigError,
  defaultConfig,
  formatScalar,
  parseRuntimeValue,
  resolveConfigWithSources,
  type ConfigSource,
  type MusicFsConfig,
  type OriginConfig,
} from '../../../src-shared/config.js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { defaultOriginName, originLocationToTable } from '../../../src-shared/origin-location.js';
import { DEFAULT_LAYOUT } from '../../../src-shared/layout/index.js';
import { appendArrayTable, removeArrayTable, setArrayTableKey, setKey, tomlValue } from '../../../src-shared/toml/toml-edit.js';
import { Emitter } from '../base/event.js';

/**
 * The daemon's configuration: loaded from config.toml, the environment and
 * CLI flags; changed at run time (SetConfig, origin RPCs) and written back to
 * config.toml with minimal edits (comments and layout kept), atomically, mode
 * 0600 (the file may hold webhook secrets).
 *
 * Writes are serialised; each re-reads the file so a hand edit made while the
 * daemon runs is not overwritten.
 */

export interface ConfigEntryInfo {
  key: string;
  /** TOML text of the value. */
  value: string;
  source: ConfigSource;
  runtimeChangeable: boolean;
  description: string;
}

export interface ConfigChange {
  key: string;
  value: string;
}

export class ConfigStore {
  private config: MusicFsConfig;
  private readonly sources: Map<string, ConfigSource>;
  private writeChain: Promise<unknown> = Promise.resolve();
  private readonly didChange = new Emitter<ConfigChange>();
  readonly onDidChange = this.didChange.event;

  private constructor(
    readonly file: string,
    resolved: { config: MusicFsConfig; sources: Map<string, ConfigSource> },
  ) {
    this.config = resolved.config;
    this.sources = resolved.sources;
  }

  /** Reads config.toml (if any), the environment and flags; throws MusicFsError('CONFIG_INVALID') naming key and line. */
  static async load(file: string, env: NodeJS.ProcessEnv, flags: Partial<MusicFsConfig>): Promise<ConfigStore> {
    const text = await readConfigText(file);
    try {
      const doc = text === undefined ? undefined : parseToml(file, text);
      const resolved = resolveConfigWithSources(defaultConfig(DEFAULT_LAYOUT), {
        ...(doc !== undefined && text !== undefined ? { file: { path: file, doc, text } } : {}),
        env,
        flags,
      });
      return new ConfigStore(file, resolved);
    } catch (err) {
      throw toConfigInvalid(err, file);
    }
  }

  get current(): MusicFsConfig {
    return this.config;
  }

  entries(keys: readonly string[] = []): ConfigEntryInfo[] {
    const unknown = keys.filter((k) => !CONFIG_KEYS.some((s) => s.toml === k));
    if (unknown.length > 0) throw new MusicFsError('CONFIG_INVALID', `unknown key "${unknown[0]}" (known keys: ${CONFIG_KEYS.map((k) => k.toml).join(', ')})`, { key: unknown[0] });
    return CONFIG_KEYS.filter((s) => keys.length === 0 || keys.includes(s.toml)).map((s) => ({
      key: s.toml,
      value: formatScalar(this.config[s.prop] as string | number | boolean, s),
      source: this.sources.get(s.toml) ?? 'default',
      runtimeChangeable: s.applies !== 'restart',
      description: `${s.description}${s.applies === 'next-mount' ? ' (takes effect at the next mount)' : ''}`,
    }));
  }

  /**
   * Sets a scalar key from its TOML text ("5000", "\"debug\"", "true"), after
   * `validate` (e.g. compiling a layout) accepts it, and persists it.
   */
  async set(key: string, literal: string, validate?: (key: string, value: unknown) => void): Promise<ConfigEntryInfo> {
    let parsed: unknown;
    try {
      parsed = (parse(`v = ${literal}`) as { v: unknown }).v;
    } catch {
      // A bare word is taken as a string: `musicfs config set log_level debug`.
      parsed = literal;
    }
    let spec;
    let value;
    try {
      ({ spec, value } = parseRuntimeValue(key, parsed));
    } catch (err) {
      throw toConfigInvalid(err, this.file);
    }
    validate?.(key, value);
    const text = formatScalar(value, spec);
    await this.edit((t) => setKey(t, key, text));
    (this.config as unknown as Record<string, unknown>)[spec.prop] = value;
    this.sources.set(key, 'runtime');
    this.didChange.fire({ key, value: text });
    return this.entries([key])[0]!;
  }

  /** Appends an `[[origin]]` table. */
  async addOrigin(origin: OriginConfig & { name: string }): Promise<void> {
    const entries: [string, string][] = [
      ['name', tomlValue(origin.name)],
      ...Object.entries(originLocationToTable(origin.location)).map(([k, v]): [string, string] => [k, tomlValue(v)]),
      ['priority', tomlValue(origin.priority)],
      ['enabled', tomlValue(origin.enabled)],
    ];
    if (origin.cache === false) entries.push(['cache', tomlValue(false)]);
    await this.edit((t) => appendArrayTable(t, 'origin', entries));
    this.config.origins.push({ ...origin });
  }

  /** Changes keys of the `[[origin]]` whose name (or folder name) is `name`. */
  async updateOrigin(name: string, patch: Partial<Pick<OriginConfig, 'name' | 'priority' | 'enabled'>>): Promise<void> {
    const index = this.originIndex(name);
    if (index < 0) return;
    await this.edit((t) => {
      let out = t;
      for (const [k, v] of Object.entries(patch)) if (v !== undefined) out = setArrayTableKey(out, 'origin', index, k, tomlValue(v as string | number | boolean));
      return out;
    });
    Object.assign(this.config.origins[index]!, patch);
  }

  async removeOrigin(name: string): Promise<void> {
    const index = this.originIndex(name);
    if (index < 0) return;
    await this.edit((t) => removeArrayTable(t, 'origin', index));
    this.config.origins.splice(index, 1);
  }

  hasOrigin(name: string): boolean {
    return this.originIndex(name) >= 0;
  }

  private originIndex(name: string): number {
    return this.config.origins.findIndex((o) => (o.name ?? defaultOriginName(o.location)) === name);
  }

  /** Applies `change` to the file's current text and writes it back atomically, one write at a time. */
  private edit(change: (text: string) => string): Promise<void> {
    const run = async (): Promise<void> => {
      const before = (await readConfigText(this.file)) ?? '# MusicFS configuration (see docs/configuration.md)\n';
      const after = change(before);
      parseToml(this.file, after); // never write a file we could not read back
      await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
      const tmp = `${this.file}.tmp-${process.pid}`;
      await writeFile(tmp, after, { mode: 0o600 });
      await rename(tmp, this.file);
    };
    const next = this.writeChain.then(run, run);
    this.writeChain = next.catch(() => undefined);
    return next.catch((err: unknown) => {
      throw err instanceof MusicFsError ? err : new MusicFsError('CONFIG_INVALID', `cannot write ${this.file}: ${(err as Error).message}`, { path: this.file });
    });
  }

  dispose(): void {
    this.didChange.dispose();
  }
}

async function readConfigText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new MusicFsError('CONFIG_INVALID', `cannot read the config file ${file}: ${(err as Error).message}`, { path: file });
  }
}

function parseToml(file: string, text: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) throw new ConfigError(`${file}:${err.line}:${err.column}: ${err.message.split('\n')[0]}`, undefined, err.line);
    throw err;
  }
}

function toConfigInvalid(err: unknown, file: string): unknown {
  if (err instanceof ConfigError) return new MusicFsError('CONFIG_INVALID', err.message, { path: file, ...(err.key ? { key: err.key } : {}) });
  return err;
}
