/**
 * The hot tier of the chunk cache: recently used chunks kept in memory, bounded
 * in bytes, least recently used evicted first. Pure (no I/O), O(1) per
 * operation: a Map keeps insertion order, so re-inserting on use makes its
 * first key the least recently used one.
 *
 * Buffers are kept as given, not copied: callers must not change a buffer after
 * `set`, nor one returned by `get`. A buffer that is a view into a bigger one
 * keeps the bigger one alive; the tier counts only `byteLength`.
 */
export class MemoryTier {
  private readonly chunks = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private capacityBytes: number) {
    checkCapacity(capacityBytes);
  }

  /** Bytes held. */
  get size(): number {
    return this.bytes;
  }

  /** Chunks held. */
  get count(): number {
    return this.chunks.size;
  }

  get capacity(): number {
    return this.capacityBytes;
  }

  /** The chunk, marked most recently used; undefined when not held. */
  get(hash: string): Buffer | undefined {
    const data = this.chunks.get(hash);
    if (data === undefined) return undefined;
    this.chunks.delete(hash);
    this.chunks.set(hash, data);
    return data;
  }

  has(hash: string): boolean {
    return this.chunks.has(hash);
  }

  /** Keeps the chunk as most recently used, evicting the least recently used ones to fit. A chunk bigger than the capacity is not kept. */
  set(hash: string, data: Buffer): void {
    this.delete(hash);
    if (data.byteLength > this.capacityBytes) return;
    this.chunks.set(hash, data);
    this.bytes += data.byteLength;
    this.evictToFit();
  }

  delete(hash: string): boolean {
    const old = this.chunks.get(hash);
    if (old === undefined) return false;
    this.chunks.delete(hash);
    this.bytes -= old.byteLength;
    return true;
  }

  clear(): void {
    this.chunks.clear();
    this.bytes = 0;
  }

  /** Changes the capacity (config reload, memory pressure); shrinking evicts at once. */
  setCapacity(bytes: number): void {
    checkCapacity(bytes);
    this.capacityBytes = bytes;
    this.evictToFit();
  }

  private evictToFit(): void {
    while (this.bytes > this.capacityBytes) {
      // The first key is the least recently used (see the class comment).
      const oldest = this.chunks.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }
}

function checkCapacity(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`memory tier capacity must be a number of bytes >= 0, not ${bytes}`);
}
