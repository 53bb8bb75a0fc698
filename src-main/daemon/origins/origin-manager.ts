import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { DEFAULT_ORIGIN_PRIORITY } from '../../../src-shared/config.js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { Emitter } from '../base/event.js';
import type { Logger } from '../base/logger.js';
import type { Catalog } from '../catalog/catalog.js';
import { folderName, type ConfigStore } from '../config/config-store.js';
import type { EventBus, HealthStateName, OriginChange } from '../events.js';
import type { ScanReport } from '../scan/scan-report.js';
import { LocalOrigin } from './local-origin.js';
import type { Origin } from './origin.js';

/**
 * The origins the daemon serves: declared in config.toml (`[[origin]]`),
 * given on the command line for this run (`--origin`, "session"), or added
 * at run time (written to config.toml unless session-only).
 *
 * Owns each origin's instance (and so its watcher) and its health. Changes
 * fire `onDidChange`; the daemon wires them to the scanner (start/stop
 * watching and scanning) and the library (origin order). Names are unique;
 * the catalog follows them.
 */

export interface OriginHealthInfo {
  state: HealthStateName;
  reason: string;
  checkedAt: number;
  latencyMs: number;
  consecutiveFailures: number;
}

export interface ManagedOrigin {
  readonly id: number;
  name: string;
  readonly kind: string;
  readonly location: string;
  priority: number;
  enabled: boolean;
  /** What is read from it goes into the chunk cache (`cache = false` turns that off). */
  readonly cache: boolean;
  readonly source: 'config' | 'session';
  readonly origin: Origin;
  health: OriginHealthInfo;
  lastScan: ScanReport | undefined;
  scanning: boolean;
  /** Declaration order: breaks priority ties (earlier wins). */
  readonly order: number;
}

export interface OriginSpec {
  location: string;
  name?: string;
  priority?: number;
  enabled?: boolean;
}

export interface OriginChangeEvent {
  origin: ManagedOrigin;
  change: OriginChange;
}

/** Consecutive failed checks before an origin counts as unhealthy (local disks fail fast). */
const LOCAL_FAILURE_THRESHOLD = 1;

export class OriginManager {
  private readonly origins = new Map<string, ManagedOrigin>();
  private nextOrder = 0;
  private readonly didChange = new Emitter<OriginChangeEvent>();
  readonly onDidChange = this.didChange.event;

  constructor(
    private readonly catalog: Catalog,
    private readonly config: ConfigStore,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly watchDebounceMs: number,
  ) {}

  /**
   * Loads the configured origins (a missing folder is kept, unhealthy: a USB
   * disk may come back) and the session ones (which must exist now).
   */
  async init(session: readonly OriginSpec[]): Promise<void> {
    for (const c of this.config.current.origins) {
      const name = c.name ?? folderName(c.path);
      const location = await realpath(c.path).catch(() => c.path);
      this.register({ name, location, priority: c.priority, enabled: c.enabled, cache: c.cache ?? true, source: 'config' });
    }
    for (const spec of session) {
      const location = await validateLocation(spec.location);
      if (this.findByLocation(location)) continue; // also in config.toml, or given twice
      this.register({
        name: this.uniqueName(spec.name ?? folderName(location)),
        location,
        priority: spec.priority ?? DEFAULT_ORIGIN_PRIORITY,
        enabled: spec.enabled ?? true,
        cache: true,
        source: 'session',
      });
    }
  }

  list(): ManagedOrigin[] {
    return [...this.origins.values()].sort((a, b) => a.priority - b.priority || a.order - b.order);
  }

  /** Throws ORIGIN_NOT_FOUND naming the known origins. */
  get(name: string): ManagedOrigin {
    const o = this.origins.get(name);
    if (!o) {
      const known = [...this.origins.keys()];
      throw new MusicFsError('ORIGIN_NOT_FOUND', `no origin named "${name}"${known.length > 0 ? ` (origins: ${known.join(', ')})` : ' (there are no origins yet)'}`, { origin: name });
    }
    return o;
  }

  byId(id: number): ManagedOrigin | undefined {
    for (const o of this.origins.values()) if (o.id === id) return o;
    return undefined;
  }

  /** Catalog ids of the enabled origins, best first. */
  enabledOrder(): number[] {
    return this.list()
      .filter((o) => o.enabled)
      .map((o) => o.id);
  }

  async add(spec: OriginSpec, sessionOnly: boolean): Promise<ManagedOrigin> {
    const location = await validateLocation(spec.location);
    const clash = this.findByLocation(location);
    if (clash) throw new MusicFsError('ORIGIN_EXISTS', `${location} is already the origin "${clash.name}"`, { origin: clash.name, path: location });
    const name = spec.name ?? this.uniqueName(folderName(location));
    validateName(name);
    if (this.origins.has(name)) throw new MusicFsError('ORIGIN_EXISTS', `there is already an origin named "${name}" (choose another with --name)`, { origin: name });
    const priority = spec.priority ?? DEFAULT_ORIGIN_PRIORITY;
    const enabled = spec.enabled ?? true;
    if (!sessionOnly) await this.config.addOrigin({ name, path: location, priority, enabled });
    const origin = this.register({ name, location, priority, enabled, cache: true, source: sessionOnly ? 'session' : 'config' });
    this.changed(origin, 'added');
    return origin;
  }

  async update(name: string, patch: { newName?: string; priority?: number; enabled?: boolean }): Promise<ManagedOrigin> {
    const o = this.get(name);
    if (patch.newName !== undefined && patch.newName !== name) {
      validateName(patch.newName);
      if (this.origins.has(patch.newName)) throw new MusicFsError('ORIGIN_EXISTS', `there is already an origin named "${patch.newName}"`, { origin: patch.newName });
    }
    if (o.source === 'config') {
      await this.config.updateOrigin(name, {
        ...(patch.newName !== undefined ? { name: patch.newName } : {}),
        ...(patch.priority !== undefined ? { priority: patch.priority } : {}),
        ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      });
    }
    const enabledBefore = o.enabled;
    if (patch.newName !== undefined && patch.newName !== name) {
      this.origins.delete(name);
      o.name = patch.newName;
      this.origins.set(o.name, o);
      this.catalog.renameOrigin(o.id, o.name);
    }
    if (patch.priority !== undefined) o.priority = patch.priority;
    if (patch.enabled !== undefined) o.enabled = patch.enabled;
    this.changed(o, o.enabled === enabledBefore ? 'updated' : o.enabled ? 'enabled' : 'disabled');
    return o;
  }

  setEnabled(name: string, enabled: boolean): Promise<ManagedOrigin> {
    return this.update(name, { enabled });
  }

  /** Forgets the origin: its watcher and instance go, and its tracks leave the catalog. */
  async remove(name: string): Promise<{ origin: ManagedOrigin; removedTrackIds: number[] }> {
    const o = this.get(name);
    if (o.source === 'config') await this.config.removeOrigin(name);
    this.origins.delete(name);
    o.enabled = false;
    await o.origin.dispose();
    const removedTrackIds = this.catalog.removeOrigin(o.id);
    this.changed(o, 'removed');
    return { origin: o, removedTrackIds };
  }

  /** Checks one origin (or every enabled one) now, each with its own deadline, in parallel. */
  async checkHealth(timeoutMs: number, name?: string): Promise<ManagedOrigin[]> {
    const targets = name !== undefined ? [this.get(name)] : this.list().filter((o) => o.enabled);
    await Promise.all(targets.map((o) => this.checkOne(o, timeoutMs)));
    return targets;
  }

  private async checkOne(o: ManagedOrigin, timeoutMs: number): Promise<void> {
    const started = performance.now();
    let failure: string | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        checkLocalFolder(o.location),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          timer.unref();
        }),
      ]);
    } catch (err) {
      failure = (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
    const previous = o.health.state;
    const failures = failure === undefined ? 0 : o.health.consecutiveFailures + 1;
    const state: HealthStateName = failure === undefined ? 'healthy' : failures >= LOCAL_FAILURE_THRESHOLD ? 'unhealthy' : 'degraded';
    o.health = { state, reason: failure ?? '', checkedAt: Date.now(), latencyMs: performance.now() - started, consecutiveFailures: failures };
    if (state !== previous) {
      if (state === 'unhealthy') this.logger.warn('origin is unhealthy', { origin: o.name, reason: failure });
      else if (previous === 'unhealthy') this.logger.info('origin is healthy again', { origin: o.name });
      this.events.publish({ type: 'origin_health_changed', origin: o.name, state, previous, reason: o.health.reason });
    }
  }

  private register(r: { name: string; location: string; priority: number; enabled: boolean; cache: boolean; source: 'config' | 'session' }): ManagedOrigin {
    const record = this.catalog.ensureOrigin(r.name, r.location, 'local');
    const origin = new LocalOrigin(record.id, r.name, r.location, this.logger.child(`origin:${r.name}`), this.watchDebounceMs);
    const managed: ManagedOrigin = {
      id: record.id,
      name: r.name,
      kind: 'local',
      location: r.location,
      priority: r.priority,
      enabled: r.enabled,
      cache: r.cache,
      source: r.source,
      origin,
      health: { state: 'unknown', reason: '', checkedAt: 0, latencyMs: 0, consecutiveFailures: 0 },
      lastScan: undefined,
      scanning: false,
      order: this.nextOrder++,
    };
    this.origins.set(r.name, managed);
    return managed;
  }

  private changed(origin: ManagedOrigin, change: OriginChange): void {
    this.events.publish({ type: 'origin_changed', origin: origin.name, change });
    this.didChange.fire({ origin, change });
  }

  private findByLocation(location: string): ManagedOrigin | undefined {
    for (const o of this.origins.values()) if (o.location === location) return o;
    return undefined;
  }

  private uniqueName(base: string): string {
    let name = base;
    for (let n = 2; this.origins.has(name); n++) name = `${base}-${n}`;
    return name;
  }

  async dispose(): Promise<void> {
    for (const o of this.origins.values()) await o.origin.dispose();
    this.didChange.dispose();
  }
}

function validateName(name: string): void {
  if (!/^[\p{L}\p{N}][\p{L}\p{N}._ -]{0,63}$/u.test(name)) {
    throw new MusicFsError('USAGE', `invalid origin name "${name}": use letters, digits, '.', '_', '-' and spaces (at most 64)`, { origin: name });
  }
}

/** A local folder that exists and can be read; returns its real path. */
export async function validateLocation(location: string): Promise<string> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new MusicFsError('USAGE', `${location}: only local folders are supported as origins so far`, { path: location });
  }
  let real: string;
  try {
    real = await realpath(location);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MusicFsError('ORIGIN_MISSING', `origin folder ${location} does not exist`, { path: location });
    throw new MusicFsError('ORIGIN_UNREADABLE', `origin folder ${location} cannot be opened: ${(err as Error).message}`, { path: location });
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw new MusicFsError('ORIGIN_NOT_DIRECTORY', `origin ${location} is not a folder`, { path: location });
  try {
    await access(real, constants.R_OK | constants.X_OK);
  } catch {
    throw new MusicFsError('ORIGIN_UNREADABLE', `origin folder ${location} is not readable by this user`, { path: location });
  }
  return real;
}

async function checkLocalFolder(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${path} does not exist (unplugged or unmounted?)` : `${path}: ${(err as Error).message}`);
  }
  if (!st.isDirectory()) throw new Error(`${path} is not a folder`);
  try {
    await access(path, constants.R_OK | constants.X_OK);
  } catch {
    throw new Error(`${path} is not readable`);
  }
}
