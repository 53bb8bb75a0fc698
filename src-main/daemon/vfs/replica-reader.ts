import type { Logger } from '../base/logger.js';
import type { RangeSource } from '../cache/range-source.js';
import type { Origin, OriginFileHandle } from '../origins/origin.js';
import type { FileNode } from './library-tree.js';
import { VfsError } from './vfs-error.js';

/**
 * Reads byte ranges of one file of the mount from its replicas, best first.
 *
 * Ownership: at most one origin file handle at a time, closed by `close()`.
 * A read that fails on one replica continues at the same offset on the next
 * (same fingerprint, so the same bytes); only when every replica fails does
 * the read fail, with an `IO` error. A replica whose file no longer has the
 * size and mtime the catalog knows is stale (changed since the scan) and is
 * passed over, so bytes of another version never mix with this one.
 */

/** What the reader needs of the origins: find one by id. */
export interface OriginLookup {
  origin(id: number): Origin | undefined;
}

export interface ReplicaReaderHooks {
  /** A replica's file changed since the scan (the scanner should look again). */
  onStale?(originId: number, path: string): void;
}

export class ReplicaReader implements RangeSource {
  /** Index in `node.replicas` of the replica the handle is open on (-1: none yet). */
  private replica = -1;
  private handle: OriginFileHandle | undefined;

  constructor(
    private readonly node: FileNode,
    private readonly path: string,
    private readonly origins: OriginLookup,
    private readonly logger: Logger,
    private readonly hooks: ReplicaReaderHooks = {},
  ) {}

  /** The origin serving reads now (after `open`). */
  get originId(): number | undefined {
    return this.node.replicas[this.replica]?.originId;
  }

  /** Opens the best replica now: NOT_FOUND when the file is gone from every origin, IO otherwise. */
  async open(): Promise<void> {
    if (!this.handle) await this.openNextReplica(Math.max(0, this.replica));
  }

  /** Reads up to `length` bytes at `position` into `buffer` at `offset`; shorter only at end of file. */
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const want = Math.max(0, Math.min(length, this.node.size - position));
    let filled = 0;
    while (filled < want) {
      let n: number;
      try {
        if (!this.handle) await this.openNextReplica(this.replica + 1);
        n = await this.handle!.read(buffer, offset + filled, want - filled, position + filled);
      } catch (err) {
        if (err instanceof VfsError) throw err;
        this.logger.warn('read failed; trying the next replica', { path: this.path, position: position + filled, reason: (err as Error).message });
        await this.closeHandle();
        // `replica` stays the one that failed: the next loop opens from the one after it.
        if (this.replica + 1 >= this.node.replicas.length) {
          throw new VfsError('IO', `every origin failed reading ${this.path}`, this.path, { cause: err });
        }
        continue;
      }
      if (n === 0) break; // the origin file is shorter than the catalog says (changed since the scan)
      filled += n;
    }
    return filled;
  }

  async close(): Promise<void> {
    await this.closeHandle();
  }

  private async openNextReplica(from: number): Promise<void> {
    const replicas = this.node.replicas;
    let lastError: unknown;
    let allMissing = true;
    for (let i = Math.max(0, from); i < replicas.length; i++) {
      const replica = replicas[i]!;
      const origin = this.origins.origin(replica.originId);
      if (!origin) continue;
      try {
        if (replica.mtimeMs !== undefined) {
          const st = await origin.stat(replica.path);
          if (st && (st.size !== this.node.size || Math.trunc(st.mtimeMs) !== Math.trunc(replica.mtimeMs))) {
            allMissing = false;
            lastError = new Error(`${origin.name}:${replica.path} changed since the last scan`);
            this.hooks.onStale?.(replica.originId, replica.path);
            continue;
          }
        }
        this.handle = await origin.open(replica.path);
        this.replica = i;
        return;
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') allMissing = false;
        this.logger.debug('cannot open replica', { path: this.path, origin: origin.name, file: replica.path, reason: (err as Error).message });
      }
    }
    this.replica = replicas.length;
    if (lastError !== undefined && allMissing) throw new VfsError('NOT_FOUND', `${this.path} is gone from its origin`, this.path, { cause: lastError });
    throw new VfsError('IO', `no origin can serve ${this.path}${lastError instanceof Error ? `: ${lastError.message}` : ''}`, this.path, { cause: lastError });
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.close().catch(() => undefined);
  }
}
