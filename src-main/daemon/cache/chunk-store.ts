import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../base/logger.js';
import { CacheDiskError, classifyDiskError, describeDiskProblem, type CacheDiskProblem } from './cache-errors.js';

/**
 * Content-addressed chunk files on the local disk: a chunk lives under the hex
 * sha256 of its bytes, so two tracks sharing audio share the file.
 *
 * Layout: `dir/ab/abcdef…` — one level of 256 folders by the first two hex
 * digits. Even at the worst case we plan for (3 million chunks) that is ~12,000
 * files per folder, which ext4/xfs/btrfs index by hash; two levels would create
 * up to 65,536 folders (256 MiB of directory blocks on ext4) and make the
 * start-up listing 65,536 readdirs instead of 256.
 *
 * Writes go to `dir/tmp/` and are renamed into place, so a process crash never
 * leaves a half chunk under a real name. There is no fsync per chunk: after a
 * power loss a renamed file may hold zeros or be short, but every read checks
 * the bytes against their hash (and the start-up check against the index's
 * size), so such a chunk is deleted and fetched again from its origin. That is
 * cheaper than an fsync per 64 KiB–1 MiB write, which on a spinning disk or an
 * SD card would cost more than the read it caches.
 *
 * Nothing here blocks the main thread on the disk (fs/promises only); the
 * sha256 check is CPU on the caller's thread (~0.6 ms per MiB).
 */

export const CHUNK_HASH = /^[0-9a-f]{64}$/;

export function isChunkHash(value: string): boolean {
  return CHUNK_HASH.test(value);
}

export interface ChunkStoreStats {
  /** Chunks whose bytes did not match their hash or expected length (deleted). */
  corrupt: number;
  /** Reads that failed (EIO, EACCES...): reported as a miss, never as wrong bytes. */
  readErrors: number;
}

const TMP_DIR = 'tmp';
const FANOUT = /^[0-9a-f]{2}$/;
/** Errors of the process, not of the file: a read failing with these does not condemn the chunk. */
const TRANSIENT_READ_ERRORS = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'EINTR']);
/** How many files `list()` stats at once. */
const LIST_STAT_CONCURRENCY = 32;

export class ChunkStore {
  readonly stats: ChunkStoreStats = { corrupt: 0, readErrors: 0 };
  private readonly tmpDir: string;
  /** Fan-out folders known to exist, so a put costs no mkdir. */
  private readonly knownDirs = new Set<string>();
  /** Puts in flight by hash: a second put of the same chunk waits for the first. */
  private readonly writing = new Map<string, Promise<void>>();
  /** Temp files being written now: `list()` must not remove them. */
  private readonly liveTemps = new Set<string>();
  private tempSeq = 0;

  private constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {
    this.tmpDir = join(dir, TMP_DIR);
  }

  /** Opens (creating, mode 0700) the store in `dir`. Fan-out folders are created on first use. */
  static async open(dir: string, logger: Logger): Promise<ChunkStore> {
    const store = new ChunkStore(dir, logger);
    await store.ensureDir(store.tmpDir, 'create cache folder');
    return store;
  }

  /** Path of a chunk file (tests use it to corrupt chunks). */
  pathOf(hash: string): string {
    checkHash(hash);
    return join(this.dir, hash.slice(0, 2), hash);
  }

  /**
   * Writes the chunk under its hash unless a file of that size is already
   * there (idempotent; concurrent puts of one hash share one write). The caller
   * computed `hash` from `data`; reads verify it. Throws `CacheDiskError` when
   * the disk is full, read-only, failing or not ours.
   */
  async put(hash: string, data: Uint8Array): Promise<void> {
    const target = this.pathOf(hash);
    const pending = this.writing.get(hash);
    if (pending) return pending;
    const write = this.write(hash, target, data).finally(() => this.writing.delete(hash));
    this.writing.set(hash, write);
    return write;
  }

  /**
   * The chunk's bytes, checked against its hash (and `expectedLength` when
   * given). Missing → undefined. Corrupt → the file is deleted, `stats.corrupt`
   * counted, undefined (the caller fetches it again). A read error → undefined,
   * counted and logged: never wrong bytes.
   */
  async get(hash: string, expectedLength?: number): Promise<Buffer | undefined> {
    const path = this.pathOf(hash);
    let data: Buffer;
    try {
      const file = await open(path, 'r');
      try {
        const { size } = await file.stat();
        if (expectedLength !== undefined && size !== expectedLength) {
          await this.discardCorrupt(hash, path, `size ${size}, expected ${expectedLength}`);
          return undefined;
        }
        data = Buffer.allocUnsafe(size);
        let filled = 0;
        while (filled < size) {
          const { bytesRead } = await file.read(data, filled, size - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        if (filled < size) data = data.subarray(0, filled);
      } finally {
        await file.close().catch(() => undefined);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.stats.readErrors++;
      this.logger.warn('cannot read a cached chunk; fetching it again', { hash, path, err });
      // A chunk that failed to read may be damaged: remove it so the refetch
      // writes it anew (put skips a file that is already there).
      if (!TRANSIENT_READ_ERRORS.has((err as NodeJS.ErrnoException).code ?? '')) await unlink(path).catch(() => undefined);
      return undefined;
    }
    if (createHash('sha256').update(data).digest('hex') !== hash) {
      await this.discardCorrupt(hash, path, 'hash mismatch');
      return undefined;
    }
    return data;
  }

  /** Whether the chunk file exists (not verified). Errors other than "missing" throw `CacheDiskError`. */
  async has(hash: string): Promise<boolean> {
    const path = this.pathOf(hash);
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw diskError(err, path, 'stat chunk');
    }
  }

  /** Removes the chunk file; a missing one is fine. */
  async delete(hash: string): Promise<void> {
    const path = this.pathOf(hash);
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw diskError(err, path, 'delete chunk');
    }
  }

  /**
   * Every chunk file with its size, for the start-up consistency check. Also
   * removes temp files left by a crash (not the ones this store is writing).
   * Files that are not chunks are skipped, not deleted. Meant for start-up:
   * a chunk put while the listing runs may or may not be listed.
   */
  async *list(): AsyncIterable<{ hash: string; size: number }> {
    await this.removeStaleTemps();
    let fanouts: string[];
    try {
      fanouts = (await readdir(this.dir)).filter((name) => FANOUT.test(name)).sort();
    } catch (err) {
      throw diskError(err, this.dir, 'list cache folder');
    }
    for (const prefix of fanouts) {
      const folder = join(this.dir, prefix);
      let names: string[];
      try {
        names = await readdir(folder);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
        throw diskError(err, folder, 'list chunk folder');
      }
      const hashes = names.filter((name) => isChunkHash(name) && name.startsWith(prefix));
      if (hashes.length < names.length) this.logger.debug('skipping files that are not chunks', { folder, count: names.length - hashes.length });
      for (let i = 0; i < hashes.length; i += LIST_STAT_CONCURRENCY) {
        const batch = hashes.slice(i, i + LIST_STAT_CONCURRENCY);
        const sizes = await Promise.all(batch.map((hash) => this.fileSize(join(folder, hash))));
        for (let j = 0; j < batch.length; j++) {
          const size = sizes[j];
          if (size !== undefined) yield { hash: batch[j]!, size };
        }
      }
    }
  }

  /**
   * Whether the disk takes writes again: writes, syncs and removes a small
   * file. The problem kind, or undefined when the disk is fine (the caller
   * then leaves passthrough).
   */
  async probe(): Promise<CacheDiskProblem | undefined> {
    const path = join(this.tmpDir, `probe-${process.pid}-${++this.tempSeq}`);
    try {
      await this.ensureDir(this.tmpDir, 'create cache folder');
      const file = await open(path, 'wx', 0o600);
      try {
        // Some file systems report ENOSPC only at write-back: sync to find out now.
        await file.write(Buffer.alloc(4096));
        await file.sync();
      } finally {
        await file.close();
      }
      await unlink(path);
      return undefined;
    } catch (err) {
      await unlink(path).catch(() => undefined);
      return classifyDiskError(err) ?? 'io';
    }
  }

  private async write(hash: string, target: string, data: Uint8Array): Promise<void> {
    try {
      const existing = await stat(target);
      if (existing.isFile() && existing.size === data.byteLength) return;
    } catch {
      // missing (or unreadable: the write below reports that)
    }
    const temp = join(this.tmpDir, `${hash}.${process.pid}.${++this.tempSeq}`);
    this.liveTemps.add(temp);
    try {
      try {
        await writeFile(temp, data, { flag: 'wx', mode: 0o600 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw diskError(err, temp, 'write chunk');
        // The temp folder was removed under us: make it again, once.
        this.knownDirs.delete(this.tmpDir);
        await this.ensureDir(this.tmpDir, 'create cache folder');
        await writeFile(temp, data, { flag: 'wx', mode: 0o600 }).catch((err2: unknown) => {
          throw diskError(err2, temp, 'write chunk');
        });
      }
      const folder = join(this.dir, hash.slice(0, 2));
      await this.ensureDir(folder, 'create chunk folder');
      try {
        await rename(temp, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw diskError(err, target, 'rename chunk');
        this.knownDirs.delete(folder);
        await this.ensureDir(folder, 'create chunk folder');
        await rename(temp, target).catch((err2: unknown) => {
          throw diskError(err2, target, 'rename chunk');
        });
      }
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    } finally {
      this.liveTemps.delete(temp);
    }
  }

  private async ensureDir(path: string, op: string): Promise<void> {
    if (this.knownDirs.has(path)) return;
    try {
      await mkdir(path, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw diskError(err, path, op);
    }
    this.knownDirs.add(path);
  }

  private async discardCorrupt(hash: string, path: string, reason: string): Promise<void> {
    this.stats.corrupt++;
    this.logger.warn('corrupt cached chunk deleted; fetching it again', { hash, reason });
    await unlink(path).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn('cannot delete a corrupt chunk', { path, err });
    });
  }

  private async fileSize(path: string): Promise<number | undefined> {
    try {
      const st = await stat(path);
      return st.isFile() ? st.size : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw diskError(err, path, 'stat chunk');
    }
  }

  private async removeStaleTemps(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw diskError(err, this.tmpDir, 'list temp folder');
    }
    let removed = 0;
    for (const name of names) {
      const path = join(this.tmpDir, name);
      if (this.liveTemps.has(path)) continue;
      try {
        await unlink(path);
        removed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn('cannot remove a stale temp file', { path, err });
      }
    }
    if (removed > 0) this.logger.info('removed temp files left by an earlier run', { count: removed });
  }
}

function checkHash(hash: string): void {
  // The hash becomes a path: refuse anything but 64 lowercase hex digits ('../', '/', '').
  if (!isChunkHash(hash)) throw new RangeError(`not a chunk hash (64 lowercase hex digits): ${JSON.stringify(hash.slice(0, 80))}`);
}

/** Wraps a system error as a `CacheDiskError`; anything else (a bug) is thrown as it is. */
function diskError(err: unknown, path: string, op: string): unknown {
  const problem = classifyDiskError(err);
  if (problem === undefined) return err;
  if (err instanceof CacheDiskError) return err;
  return new CacheDiskError(`${op} ${path}: ${describeDiskProblem(problem)} (${(err as Error).message})`, problem, path, op, { cause: err });
}
