/**
 * Test kit of the cache's unit tests (imported by *.test.ts only): seeded
 * bytes, a real ChunkCache on a temp folder, and an origin that is a real
 * file behind a recording, fault-injecting RangeSource.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../base/logger.js';
import type { CacheEvictionReason } from '../../events.js';
import type { CachedTrack } from '../cached-track.js';
import { ChunkCache, type ChunkCacheSettings } from '../chunk-cache.js';
import type { RangeSource, RangeSourceFactory } from '../range-source.js';

const KIB = 1024;
const MIB = 1024 * 1024;


/** Deterministic incompressible bytes: the AES-128-CTR keystream of a seed. */
export function pseudoRandom(size: number, seed: number): Buffer {
  const key = createHash('sha256').update(`musicfs test seed ${seed}`).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

export const fingerprintOf = (name: string): string => createHash('sha256').update(`fingerprint ${name}`).digest('hex');
export const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface OriginRead {
  /** Which source (1 = the first one the factory made). */
  source: number;
  position: number;
  length: number;
}

/**
 * A real file as an origin: every source the factory makes reads it through
 * its own FileHandle (opened at its first read). Faults are switched on the
 * origin and apply to every source.
 */
export class TestOrigin {
  readonly reads: OriginRead[] = [];
  /** Sources made by the factory. */
  opened = 0;
  /** Sources closed (each counted once). */
  closed = 0;
  /** File handles open now. */
  handlesOpen = 0;
  /** Bytes served, across every source. */
  served = 0;
  latencyMs = 0;
  failAlways = false;
  /** A read that would take `served` past this fails. */
  failAfterBytes = Infinity;

  constructor(readonly path: string) {}

  readonly factory: RangeSourceFactory = () => new TestSource(this, ++this.opened);

  /** Reads made by sources numbered above `source`. */
  readsAfter(source: number): OriginRead[] {
    return this.reads.filter((r) => r.source > source);
  }
}

export class TestSource implements RangeSource {
  private handle: FileHandle | undefined;
  private isClosed = false;

  constructor(
    private readonly origin: TestOrigin,
    readonly id: number,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    const o = this.origin;
    if (this.isClosed) throw new Error(`source ${this.id} read after close`);
    o.reads.push({ source: this.id, position, length });
    if (o.latencyMs > 0) await sleep(o.latencyMs);
    if (o.failAlways || o.served + length > o.failAfterBytes) {
      // Garbage in the buffer: none of it may ever be served or cached.
      buffer.fill(0xee, offset, offset + length);
      throw new Error(`injected origin failure reading ${length} bytes at ${position}`);
    }
    if (!this.handle) {
      const h = await open(o.path, 'r');
      if (this.isClosed) {
        await h.close();
        throw new Error(`source ${this.id} closed while opening`);
      }
      this.handle = h;
      o.handlesOpen++;
    }
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, offset + filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    o.served += filled;
    return filled;
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    this.origin.closed++;
    const h = this.handle;
    this.handle = undefined;
    if (h) {
      this.origin.handlesOpen--;
      await h.close();
    }
  }
}

export interface Rig {
  cache: ChunkCache;
  dir: string;
  settings: ChunkCacheSettings;
  evicted: { tracks: number; bytes: number; reason: CacheEvictionReason }[];
}

export const DEFAULT_SETTINGS: ChunkCacheSettings = { limitBytes: 1024 * MIB, memoryBytes: 64 * MIB, highWatermark: 0.9, lowWatermark: 0.5, readAheadBytes: 1 * MIB };

export async function openCache(dir: string, overrides: Partial<ChunkCacheSettings> = {}): Promise<Rig> {
  const settings = { ...DEFAULT_SETTINGS, ...overrides };
  const evicted: Rig['evicted'] = [];
  const cache = await ChunkCache.open({
    dir,
    settings: () => settings,
    events: { evicted: (tracks, bytes, reason) => void evicted.push({ tracks, bytes, reason }), passthroughChanged: () => undefined },
    logger: silentLogger,
  });
  return { cache, dir, settings, evicted };
}

/** Reads [0, size) in `step`-byte reads, one after the other, as a player does. */
export async function readAll(track: CachedTrack, step = 128 * KIB): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let pos = 0; pos < track.size; pos += step) parts.push(Buffer.from(await track.read(pos, step)));
  return Buffer.concat(parts);
}

/** Rejects instead of hanging when `p` does not settle within `ms` (a guard, not a timing check). */
export async function settlesWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

