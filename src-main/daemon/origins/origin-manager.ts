import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { DEFAULT_ORIGIN_PRIORITY } from '../../../src-shared/config.js';
import { MusicFsError } from '../../../src-shared/errors.js';
import {
  defaultOriginName,
  formatOriginLocation,
  OriginLocationError,
  parseOriginLocation,
  type OriginLocation,
} from '../../../src-shared/origin-location.js';
import { Emitter } from '../base/event.js';
import type { Logger } from '../base/logger.js';
import type { Catalog } from '../catalog/catalog.js';
import type { ConfigStore } from '../config/config-store.js';
import type { EventBus, HealthStateName, OriginChange } from '../events.js';
import { withDeadline } from '../federation/deadline.js';
import { GuardedOrigin } from '../federation/guarded-origin.js';
import { testOrigin, type OriginTestReport } from '../federation/origin-tester.js';
import { compareForRead, healthAfterCheck, type RouteCandidate } from '../federation/routing.js';
import type { ScanReport } from '../scan/scan-report.js';
import { toOriginError } from './origin-error.js';
import { createOrigin } from './registry.js';

/**
 * The origins the daemon serves: declared in config.toml (`[[origin]]`),
 * given on the command line for this run (`--origin`, "session"), or added
 * at run time (written to config.toml unless session-only).
 *
 * Owns each origin's instance (and so its watcher, pools and timers), wrapped
 * in the federation guard (deadlines, latency), and its health. Changes
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
  /** Canonical text of the location (path or URL); never a secret. */
  readonly location: string;
  readonly spec: OriginLocation;
  priority: number;
  enabled: boolean;
  /** What is read from it goes into the chunk cache (`cache = false` turns that off). */
  readonly cache: boolean;
  readonly source: 'config' | 'session';
  readonly origin: GuardedOrigin;
  health: OriginHealthInfo;
  lastScan: ScanReport | undefined;
  scanning: boolean;
  /** Declaration order: breaks priority ties (earlier wins). */
  readonly order: number;
}

export interface OriginSpec {
  /** A local folder or an s3:// / sftp:// URL. */
  location: string;
  name?: string;
  priority?: number;
  enabled?: boolean;
}

export interface OriginChangeEvent {
  origin: ManagedOrigin;
  change: OriginChange;
}

export interface OriginManagerOptions {
  watchDebounceMs: number;
  /** Live settings: deadline of one operation, failed checks before unhealthy. */
  deadlineMs(): number;
  failureThreshold(remote: boolean): number;
  /** Metrics of every origin operation and of bytes read. */
  observe?(origin: string, operation: string, seconds: number, ok: boolean): void;
  bytesRead?(origin: string, bytes: number): void;
}

export class OriginManager {
  private readonly origins = new Map<string, ManagedOrigin>();
  private nextOrder = 0;
  private readonly didChange = new Emitter<OriginChangeEvent>();
  readonly onDidChange = this.didChange.event;

  private allUnhealthy = false;

  constructor(
    private readonly catalog: Catalog,
    private readonly config: ConfigStore,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly options: OriginManagerOptions,
  ) {}

  /**
   * Loads the configured origins (a missing folder or a server that is down
   * is kept, unhealthy: it may come back) and the session ones (local
   * folders must exist now; remote ones are checked by the health checks).
   */
  async init(session: readonly OriginSpec[]): Promise<void> {
    for (const c of this.config.current.origins) {
      // A configured folder that is gone now (an unplugged disk) keeps its path as written.
      const location = c.location;
      const spec = location.type === 'local' ? { type: 'local' as const, path: await realpath(location.path).catch(() => location.path) } : location;
      this.register({ name: c.name ?? defaultOriginName(c.location), spec, priority: c.priority, enabled: c.enabled, cache: c.cache ?? true, source: 'config' });
    }
    for (const s of session) {
      const spec = await resolveLocation(s.location);
      if (this.findByLocation(formatOriginLocation(spec))) continue; // also in config.toml, or given twice
      this.register({
        name: this.uniqueName(s.name ?? defaultOriginName(spec)),
        spec,
        priority: s.priority ?? DEFAULT_ORIGIN_PRIORITY,
        enabled: s.enabled ?? true,
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

  /** Enabled origins among `ids`, best first for a read (see `compareForRead`). */
  route(ids: readonly number[]): ManagedOrigin[] {
    const candidates: ManagedOrigin[] = [];
    for (const id of ids) {
      const o = this.byId(id);
      if (o?.enabled) candidates.push(o);
    }
    const key = (o: ManagedOrigin): RouteCandidate => ({
      health: o.health.state,
      consecutiveFailures: o.health.consecutiveFailures,
      priority: o.priority,
      p50Ms: o.origin.latency.p50(),
      order: o.order,
    });
    return candidates.sort((a, b) => compareForRead(key(a), key(b)));
  }

  /**
   * Adds an origin. A remote one is tested first (connect, list, read) and
   * refused with what went wrong, unless `skipCheck` (a server that is down
   * now but known to be right).
   */
  async add(spec: OriginSpec, sessionOnly: boolean, skipCheck = false): Promise<ManagedOrigin> {
    const parsed = await resolveLocation(spec.location);
    const location = formatOriginLocation(parsed);
    const clash = this.findByLocation(location);
    if (clash) throw new MusicFsError('ORIGIN_EXISTS', `${location} is already the origin "${clash.name}"`, { origin: clash.name, path: location });
    const name = spec.name ?? this.uniqueName(defaultOriginName(parsed));
    validateName(name);
    if (this.origins.has(name)) throw new MusicFsError('ORIGIN_EXISTS', `there is already an origin named "${name}" (choose another with --name)`, { origin: name });
    if (parsed.type !== 'local' && !skipCheck) {
      const report = await this.test(parsed, name);
      if (!report.ok) {
        throw new MusicFsError('ORIGIN_UNREACHABLE', `cannot use ${location}: ${report.summary} (add it anyway with --skip-check)`, { origin: name, path: location });
      }
    }
    const priority = spec.priority ?? DEFAULT_ORIGIN_PRIORITY;
    const enabled = spec.enabled ?? true;
    if (!sessionOnly) await this.config.addOrigin({ name, location: parsed, priority, enabled });
    const origin = this.register({ name, spec: parsed, priority, enabled, cache: true, source: sessionOnly ? 'session' : 'config' });
    this.changed(origin, 'added');
    return origin;
  }

  /**
   * Connects to a location that need not be an origin yet, lists it and
   * reads a range of one file; says in words what fails. The temporary
   * instance is disposed before this returns.
   */
  async test(location: string | OriginLocation, name = 'test'): Promise<OriginTestReport> {
    const spec = typeof location === 'string' ? await resolveLocation(location) : location;
    const instance = createOrigin(spec, {
      id: -1,
      name,
      logger: this.logger.child(`test:${name}`),
      watchDebounceMs: this.options.watchDebounceMs,
      deadlineMs: () => this.options.deadlineMs(),
    });
    try {
      return await testOrigin(instance, formatOriginLocation(spec), this.options.deadlineMs());
    } finally {
      await instance.dispose();
    }
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
    this.noteAllUnhealthy();
    return targets;
  }

  private async checkOne(o: ManagedOrigin, timeoutMs: number): Promise<void> {
    const started = performance.now();
    let failure: string | undefined;
    try {
      await withDeadline((signal) => o.origin.checkHealth(signal), timeoutMs, { origin: o.name, operation: 'health' });
    } catch (err) {
      failure = toOriginError(err, { origin: o.name, operation: 'health' }).message;
    }
    const previous = o.health.state;
    const { state, consecutiveFailures } = healthAfterCheck(o.health.consecutiveFailures, failure !== undefined, this.options.failureThreshold(o.origin.remote));
    o.health = { state, reason: failure ?? '', checkedAt: Date.now(), latencyMs: performance.now() - started, consecutiveFailures };
    if (state !== previous) {
      if (state === 'unhealthy') this.logger.warn('origin is unhealthy', { origin: o.name, reason: failure });
      else if (previous === 'unhealthy') this.logger.info('origin is healthy again', { origin: o.name });
      this.events.publish({ type: 'origin_health_changed', origin: o.name, state, previous, reason: o.health.reason });
    }
  }

  /** Emits `all_origins_unhealthy` once each time every enabled origin has become unhealthy. */
  private noteAllUnhealthy(): void {
    const enabled = this.list().filter((o) => o.enabled);
    const all = enabled.length > 0 && enabled.every((o) => o.health.state === 'unhealthy');
    if (all && !this.allUnhealthy) {
      this.logger.error('every origin is unhealthy; cached tracks still play, others are tried on the least-bad origin', { origins: enabled.length });
      this.events.publish({ type: 'all_origins_unhealthy', origins: enabled.map((o) => o.name), reasons: enabled.map((o) => o.health.reason) });
    }
    this.allUnhealthy = all;
  }

  private register(r: { name: string; spec: OriginLocation; priority: number; enabled: boolean; cache: boolean; source: 'config' | 'session' }): ManagedOrigin {
    const location = formatOriginLocation(r.spec);
    const record = this.catalog.ensureOrigin(r.name, location, r.spec.type);
    const instance = createOrigin(r.spec, {
      id: record.id,
      name: r.name,
      logger: this.logger.child(`origin:${r.name}`),
      watchDebounceMs: this.options.watchDebounceMs,
      deadlineMs: () => this.options.deadlineMs(),
    });
    const origin = new GuardedOrigin(instance, {
      deadlineMs: () => this.options.deadlineMs(),
      observe: (operation, seconds, ok) => this.options.observe?.(managed.name, operation, seconds, ok),
      bytesRead: (bytes) => this.options.bytesRead?.(managed.name, bytes),
    });
    const managed: ManagedOrigin = {
      id: record.id,
      name: r.name,
      kind: r.spec.type,
      location,
      spec: r.spec,
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

/**
 * Parses a location and, for a local folder, checks that it exists and can
 * be read now (returning its real path). Remote locations are only parsed
 * here; connecting is the tester's and the health checks' job.
 */
export async function resolveLocation(text: string): Promise<OriginLocation> {
  let parsed: OriginLocation;
  try {
    parsed = parseOriginLocation(text);
  } catch (err) {
    if (err instanceof OriginLocationError) throw new MusicFsError('USAGE', err.message, { path: text });
    throw err;
  }
  if (parsed.type !== 'local') return parsed;
  return { type: 'local', path: await validateLocalFolder(parsed.path) };
}

/** A local folder that exists and can be read; returns its real path. */
async function validateLocalFolder(location: string): Promise<string> {
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
