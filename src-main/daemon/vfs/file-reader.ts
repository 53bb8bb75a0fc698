import type { Logger } from '../base/logger.js';
import type { CachedTrack } from '../cache/cached-track.js';
import type { ChunkCache } from '../cache/chunk-cache.js';
import type { RangeSourceFactory } from '../cache/range-source.js';
import type { FileNode } from './library-tree.js';
import { ReplicaReader, type OriginLookup, type ReplicaReaderHooks } from './replica-reader.js';
import { VfsError } from './vfs-error.js';

export type { OriginLookup } from './replica-reader.js';

/**
 * Open files of the mount and reads by offset.
 *
 * A track its origins let us cache is read through the chunk cache (one
 * CachedTrack per fingerprint, shared by every handle); others are read
 * straight from their replicas. Opening a track with cached bytes needs no
 * origin (it plays offline); opening any other one opens its best replica at
 * once, so a file gone from every origin fails at open, not at first read.
 */

export interface FileReaderOptions {
  cache?: ChunkCache;
  /** Whether bytes of this origin may be cached (`cache = false` per origin). */
  cacheEnabled?(originId: number): boolean;
  hooks?: ReplicaReaderHooks;
}

type OpenFile =
  | { readonly kind: 'cached'; readonly node: FileNode; readonly path: string; readonly track: CachedTrack; spare: ReplicaReader | undefined }
  | { readonly kind: 'direct'; readonly node: FileNode; readonly path: string; readonly reader: ReplicaReader };

const MAX_HANDLE = 0xffff_fff0;

export class FileReader {
  private readonly files = new Map<number, OpenFile>();
  private nextHandle = 1;

  constructor(
    private readonly origins: OriginLookup,
    private readonly logger: Logger,
    /** Told of every successful open, with the origin serving it (events, metrics). */
    private readonly onOpen: (path: string, originId: number) => void = () => undefined,
    private readonly options: FileReaderOptions = {},
  ) {}

  get openCount(): number {
    return this.files.size;
  }

  /** A fresh reader of the node's replicas (each fetch of the cache owns one). */
  sourceFactory(node: FileNode, path: string): RangeSourceFactory {
    return () => new ReplicaReader(node, path, this.origins, this.logger, this.options.hooks);
  }

  /** Whether reads of `node` go through the cache. */
  cacheable(node: FileNode): boolean {
    const { cache, cacheEnabled } = this.options;
    return cache !== undefined && node.replicas.some((r) => cacheEnabled?.(r.originId) ?? true);
  }

  async open(node: FileNode, path: string): Promise<number> {
    const cache = this.options.cache;
    let file: OpenFile;
    let originId = node.replicas[0]?.originId ?? 0;
    if (cache && this.cacheable(node)) {
      let spare: ReplicaReader | undefined;
      if (!cache.hasCached(node.fingerprint)) {
        // Nothing cached: the origin must answer now. The reader opened to
        // check is handed to the first fetch instead of opening another.
        spare = new ReplicaReader(node, path, this.origins, this.logger, this.options.hooks);
        await spare.open();
        originId = spare.originId ?? originId;
      }
      const fresh = this.sourceFactory(node, path);
      const holder: { spare: ReplicaReader | undefined } = { spare };
      const factory: RangeSourceFactory = () => {
        const s = holder.spare ?? fresh();
        holder.spare = undefined;
        return s;
      };
      const track = cache.track(node.fingerprint, node.size, factory);
      file = { kind: 'cached', node, path, track, get spare() { return holder.spare; }, set spare(v) { holder.spare = v; } };
    } else {
      const reader = new ReplicaReader(node, path, this.origins, this.logger, this.options.hooks);
      await reader.open();
      originId = reader.originId ?? originId;
      file = { kind: 'direct', node, path, reader };
    }
    const fh = this.allocateHandle();
    this.files.set(fh, file);
    this.onOpen(path, originId);
    return fh;
  }

  /** Reads up to `length` bytes at `position`; shorter only at end of file. */
  async read(fh: number, position: number, length: number): Promise<Buffer> {
    const file = this.files.get(fh);
    if (!file) throw new VfsError('BAD_HANDLE', `no open file with handle ${fh}`);
    try {
      if (file.kind === 'cached') return await file.track.read(position, length);
      const want = Math.max(0, Math.min(length, file.node.size - position));
      const buffer = Buffer.allocUnsafe(want);
      const n = await file.reader.read(buffer, 0, want, position);
      return n === want ? buffer : buffer.subarray(0, n);
    } catch (err) {
      if (err instanceof VfsError) throw err;
      throw new VfsError('IO', `cannot read ${file.path} at ${position}: ${(err as Error).message}`, file.path, { cause: err });
    }
  }

  async release(fh: number): Promise<void> {
    const file = this.files.get(fh);
    if (!file) return;
    this.files.delete(fh);
    await this.closeFile(file);
  }

  async closeAll(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => this.closeFile(f)));
  }

  private async closeFile(file: OpenFile): Promise<void> {
    if (file.kind === 'direct') {
      await file.reader.close();
      return;
    }
    const spare = file.spare;
    file.spare = undefined;
    await spare?.close();
    this.options.cache?.release(file.track);
  }

  private allocateHandle(): number {
    do {
      this.nextHandle = this.nextHandle >= MAX_HANDLE ? 1 : this.nextHandle + 1;
    } while (this.files.has(this.nextHandle));
    return this.nextHandle;
  }
}
