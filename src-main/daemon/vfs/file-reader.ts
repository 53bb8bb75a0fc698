import type { Logger } from '../base/logger.js';
import type { Origin, OriginFileHandle } from '../origins/origin.js';
import type { FileNode } from './library-tree.js';
import { VfsError } from './vfs-error.js';

/**
 * Open files of the mount and reads by offset from their origin file (no
 * whole-file copy).
 *
 * Ownership: each open handle owns at most one origin file handle, closed on
 * release. A read that fails on one replica continues at the same offset on
 * the next (same fingerprint, so the same bytes); only when every replica
 * fails does the read fail, with an `IO` error.
 */

/** What the reader needs of the origins: find one by id. */
export interface OriginLookup {
  origin(id: number): Origin | undefined;
}

interface OpenFile {
  readonly node: FileNode;
  readonly path: string;
  replica: number;
  handle: OriginFileHandle | undefined;
}

const MAX_HANDLE = 0xffff_fff0;

export class FileReader {
  private readonly files = new Map<number, OpenFile>();
  private nextHandle = 1;

  constructor(
    private readonly origins: OriginLookup,
    private readonly logger: Logger,
    /** Told of every successful open, with the origin serving it (events, metrics). */
    private readonly onOpen: (path: string, originId: number) => void = () => undefined,
  ) {}

  get openCount(): number {
    return this.files.size;
  }

  async open(node: FileNode, path: string): Promise<number> {
    const file: OpenFile = { node, path, replica: -1, handle: undefined };
    await this.openNextReplica(file, 0);
    const fh = this.allocateHandle();
    this.files.set(fh, file);
    this.onOpen(path, file.node.replicas[file.replica]!.originId);
    return fh;
  }

  /** Reads up to `length` bytes at `position`; shorter only at end of file. */
  async read(fh: number, position: number, length: number): Promise<Buffer> {
    const file = this.files.get(fh);
    if (!file) throw new VfsError('BAD_HANDLE', `no open file with handle ${fh}`);
    const want = Math.max(0, Math.min(length, file.node.size - position));
    const buffer = Buffer.allocUnsafe(want);
    let filled = 0;
    while (filled < want) {
      let n: number;
      try {
        if (!file.handle) await this.openNextReplica(file, file.replica + 1);
        n = await file.handle!.read(buffer, filled, want - filled, position + filled);
      } catch (err) {
        if (err instanceof VfsError) throw err;
        this.logger.warn('read failed; trying the next replica', { path: file.path, position: position + filled, reason: (err as Error).message });
        await this.closeHandle(file);
        // `file.replica` stays the one that failed: the next loop opens from the one after it.
        if (file.replica + 1 >= file.node.replicas.length) {
          throw new VfsError('IO', `every origin failed reading ${file.path}`, file.path, { cause: err });
        }
        continue;
      }
      if (n === 0) break; // the origin file is shorter than the catalog says (changed since the scan)
      filled += n;
    }
    return filled === want ? buffer : buffer.subarray(0, filled);
  }

  async release(fh: number): Promise<void> {
    const file = this.files.get(fh);
    if (!file) return;
    this.files.delete(fh);
    await this.closeHandle(file);
  }

  async closeAll(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => this.closeHandle(f)));
  }

  private async openNextReplica(file: OpenFile, from: number): Promise<void> {
    const replicas = file.node.replicas;
    let lastError: unknown;
    let allMissing = true;
    for (let i = Math.max(0, from); i < replicas.length; i++) {
      const replica = replicas[i]!;
      const origin = this.origins.origin(replica.originId);
      if (!origin) continue;
      try {
        file.handle = await origin.open(replica.path);
        file.replica = i;
        return;
      } catch (err) {
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') allMissing = false;
        this.logger.debug('cannot open replica', { path: file.path, origin: origin.name, file: replica.path, reason: (err as Error).message });
      }
    }
    file.replica = replicas.length;
    if (lastError !== undefined && allMissing) throw new VfsError('NOT_FOUND', `${file.path} is gone from its origin`, file.path, { cause: lastError });
    throw new VfsError('IO', `no origin can serve ${file.path}`, file.path, { cause: lastError });
  }

  private async closeHandle(file: OpenFile): Promise<void> {
    const h = file.handle;
    file.handle = undefined;
    if (h) await h.close().catch(() => undefined);
  }

  private allocateHandle(): number {
    do {
      this.nextHandle = this.nextHandle >= MAX_HANDLE ? 1 : this.nextHandle + 1;
    } while (this.files.has(this.nextHandle));
    return this.nextHandle;
  }
}
