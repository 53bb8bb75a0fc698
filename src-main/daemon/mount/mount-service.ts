import { MusicFsError } from '../../../src-shared/errors.js';
import type { Logger } from '../base/logger.js';
import type { EventBus } from '../events.js';
import { FuseMount, type FuseOpObserver } from '../fuse/fuse-mount.js';
import { checkFuseAvailable, prepareMountpoint } from '../fuse/mountpoint.js';
import type { ChunkCache } from '../cache/chunk-cache.js';
import type { Library } from '../library/library.js';
import { FileReader, type OriginLookup } from '../vfs/file-reader.js';
import { Vfs } from '../vfs/vfs.js';

/**
 * The FUSE mount of the library: at most one at a time, mounted and
 * unmounted while the daemon runs (Mount/Unmount RPCs, `musicfs mount`).
 * Unmounting drains in-flight ops first, then unmounts lazily (a process
 * still holding a file open does not block it).
 */

export interface MountSettings {
  readTimeoutMs: () => number;
  attrTimeoutSec: number;
  allowNonEmpty: boolean;
}

export interface MountServiceDeps {
  library: Library;
  origins: OriginLookup & { nameOf(id: number): string; cacheEnabled(id: number): boolean };
  /** Reads go through it when given (and the origin allows caching). */
  cache?: ChunkCache;
  events: EventBus;
  logger: Logger;
  observe?: FuseOpObserver;
}

const DRAIN_TIMEOUT_MS = 5000;

export class MountService {
  private fuse: FuseMount | undefined;
  private reader: FileReader | undefined;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: MountServiceDeps) {}

  get mountPoint(): string | undefined {
    return this.fuse?.mountPoint;
  }

  get isMounted(): boolean {
    return this.fuse?.isMounted ?? false;
  }

  get openFiles(): number {
    return this.reader?.openCount ?? 0;
  }

  /** Mounts the library at `path` (checks first: each failure one sentence). */
  mount(path: string, settings: MountSettings): Promise<string> {
    return this.serialise(async () => {
      if (this.fuse) throw new MusicFsError('ALREADY_MOUNTED', `already mounted at ${this.fuse.mountPoint}; unmount first`, { path: this.fuse.mountPoint });
      const { library, origins, events, logger } = this.deps;
      const mountPoint = await prepareMountpoint(path, logger, { allowNonEmpty: settings.allowNonEmpty });
      await checkFuseAvailable();
      const reader = new FileReader(
        origins,
        logger.child('reader'),
        (p, originId) => events.publish({ type: 'track_opened', path: p, origin: origins.nameOf(originId) }),
        {
          ...(this.deps.cache ? { cache: this.deps.cache } : {}),
          cacheEnabled: (id) => origins.cacheEnabled(id),
          hooks: { onStale: (id, file) => logger.info('an origin file changed since the last scan; not serving it until rescanned', { origin: origins.nameOf(id), file }) },
        },
      );
      const vfs = new Vfs(() => library.current, reader);
      const fuse = new FuseMount(
        vfs,
        { mountPoint, opTimeoutMs: settings.readTimeoutMs, attrTimeoutSec: settings.attrTimeoutSec, allowNonEmpty: settings.allowNonEmpty },
        logger.child('fuse'),
        this.deps.observe,
      );
      await fuse.mount();
      this.fuse = fuse;
      this.reader = reader;
      events.publish({ type: 'mount_state_changed', mounted: true, mountPoint, tracks: library.current.fileCount });
      logger.info('mounted', { mountpoint: mountPoint, tracks: library.current.fileCount });
      return mountPoint;
    });
  }

  /** Drains reads (up to 5 s), unmounts, closes open files. */
  unmount(): Promise<string> {
    return this.serialise(async () => {
      const fuse = this.fuse;
      const reader = this.reader;
      if (!fuse) throw new MusicFsError('NOT_MOUNTED', 'not mounted');
      const drained = await fuse.drain(DRAIN_TIMEOUT_MS);
      if (!drained) this.deps.logger.warn('unmounting with reads still in flight', { pending: fuse.pendingOps });
      await fuse.dispose();
      await reader?.closeAll();
      this.fuse = undefined;
      this.reader = undefined;
      this.deps.events.publish({ type: 'mount_state_changed', mounted: false, mountPoint: fuse.mountPoint, tracks: this.deps.library.current.fileCount });
      this.deps.logger.info('unmounted', { mountpoint: fuse.mountPoint });
      return fuse.mountPoint;
    });
  }

  private serialise<T>(job: () => Promise<T>): Promise<T> {
    const next = this.busy.then(job, job);
    this.busy = next.catch(() => undefined);
    return next;
  }

  async dispose(): Promise<void> {
    if (this.fuse) await this.unmount().catch((err: unknown) => this.deps.logger.warn('unmount failed', { reason: (err as Error).message }));
  }
}
