/**
 * FastCDC content-defined chunking (Xia et al., USENIX ATC 2016): a gear
 * rolling hash, no hashing in the first `minSize` bytes of a chunk, and
 * normalised chunking — a strict mask (avg·4 expected spacing at level 2)
 * before `avgSize`, a loose one (avg/4) after it — so chunk sizes cluster
 * around `avgSize`. Cut points depend only on the bytes since the chunk
 * start, so an insertion or deletion changes the chunks around it and the
 * boundaries fall back in step right after (the basis of the cache's dedup).
 *
 * Pure: no I/O. `findCut` is the one-shot search; `StreamingChunker` is the
 * same search fed in pieces, with forced cuts (audio payload boundaries).
 */

export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
  /** FastCDC's normalisation level: mask bits added before / removed after `avgSize`. Default 2. */
  normalization?: number;
}

const KIB = 1024;

/** The sizes the chunk cache uses for audio files (see docs/cache.md, "Chunking", for the measurements). */
export const AUDIO_CHUNK_PARAMS: Readonly<ChunkerParams> = Object.freeze({ minSize: 64 * KIB, avgSize: 256 * KIB, maxSize: 1024 * KIB });

const DEFAULT_NORMALIZATION = 2;
/** Past 1 GiB a "chunk" is a file; the cap also keeps every offset sum a safe integer. */
const MAX_CHUNK_SIZE_LIMIT = 2 ** 30;

// ---------------------------------------------------------------------------
// Gear table

/** murmur3's 32-bit finaliser: a bijective mix, so a counter gives well spread values. */
function fmix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85eb_ca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2_ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * 256 pseudo-random 32-bit values, one per byte value (splitmix32 of a
 * golden-ratio counter with a fixed seed). NEVER change the seed or the mixer:
 * the table decides every cut point, so a new table gives every file new
 * chunks and invalidates every cached chunk (the unit tests pin the cuts).
 */
const GEAR: Uint32Array = (() => {
  const table = new Uint32Array(256);
  const seed = 0x6d75_7366; // "musf"
  for (let i = 0; i < 256; i++) table[i] = fmix32((seed + Math.imul(i + 1, 0x9e37_79b9)) | 0);
  return table;
})();

// ---------------------------------------------------------------------------
// Parameters

/** Validated parameters with the two masks, as the cut search uses them. */
export interface ChunkerConfig {
  readonly minSize: number;
  readonly avgSize: number;
  readonly maxSize: number;
  /** Used while the chunk is shorter than `avgSize`: more bits, cuts rarer. */
  readonly strictMask: number;
  /** Used from `avgSize` on: fewer bits, cuts likelier. */
  readonly looseMask: number;
}

/**
 * The `bits` high bits of a 32-bit word (as an int32). High bits, because
 * with `h = (h << 1) + GEAR[b]` bit k depends on the last k + 1 bytes only:
 * the top bits see the widest window (32 bytes).
 */
const highBitsMask = (bits: number): number => (-1 << (32 - bits)) | 0;

/** Checks `params` and derives the masks; throws RangeError for sizes that make no sense. */
export function chunkerConfig(params: ChunkerParams): ChunkerConfig {
  const { minSize, avgSize, maxSize } = params;
  const normalization = params.normalization ?? DEFAULT_NORMALIZATION;
  for (const [name, value] of [['minSize', minSize], ['avgSize', avgSize], ['maxSize', maxSize]] as const) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`chunker ${name} must be a positive whole number of bytes, got ${value}`);
  }
  if (minSize > avgSize || avgSize > maxSize) {
    throw new RangeError(`chunker sizes must satisfy minSize <= avgSize <= maxSize, got ${minSize} / ${avgSize} / ${maxSize}`);
  }
  if (maxSize > MAX_CHUNK_SIZE_LIMIT) throw new RangeError(`chunker maxSize must be at most ${MAX_CHUNK_SIZE_LIMIT} bytes, got ${maxSize}`);
  // A power of two gives exactly avgSize; anything else the nearest one.
  const bits = Math.round(Math.log2(avgSize));
  if (!Number.isInteger(normalization) || normalization < 0 || bits - normalization < 1 || bits + normalization > 31) {
    throw new RangeError(`chunker normalization must be a whole number with 1 <= log2(avgSize) ± normalization <= 31, got ${normalization} for avgSize ${avgSize}`);
  }
  return { minSize, avgSize, maxSize, strictMask: highBitsMask(bits + normalization), looseMask: highBitsMask(bits - normalization) };
}

// ---------------------------------------------------------------------------
// The cut search

interface GearState {
  hash: number;
}

/**
 * Rolls the gear hash over data[from, to), starting from `state.hash`.
 * Returns the index just past the first byte where all `mask` bits of the
 * hash are zero, or -1 if there is none (then `state.hash` is the hash at `to`,
 * so a later call carries on where this one stopped).
 */
function gearScan(data: Uint8Array, from: number, to: number, mask: number, state: GearState): number {
  let hash = state.hash;
  let i = from;
  // Unrolled by two, same result as one byte a round: V8 ran the streaming
  // search at ~1.7 GB/s instead of ~1.0 here. (FastCDC 2020's pre-shifted
  // table would lose the top mask bit with 32-bit masks on the high bits.)
  for (const pairsEnd = to - 1; i < pairsEnd; i += 2) {
    hash = ((hash << 1) + GEAR[data[i]!]!) | 0;
    if ((hash & mask) === 0) {
      state.hash = hash;
      return i + 1;
    }
    hash = ((hash << 1) + GEAR[data[i + 1]!]!) | 0;
    if ((hash & mask) === 0) {
      state.hash = hash;
      return i + 2;
    }
  }
  if (i < to) {
    hash = ((hash << 1) + GEAR[data[i]!]!) | 0;
    if ((hash & mask) === 0) {
      state.hash = hash;
      return i + 1;
    }
  }
  state.hash = hash;
  return -1;
}

/**
 * The length of the chunk that starts at `start` in data[start, end): the
 * FastCDC cut, or min(maxSize, end - start) when there is none. The hash
 * starts fresh at start + minSize, so with more data after `end` the same
 * cut is found (unless the search stopped at `end`).
 */
export function findCut(data: Uint8Array, start: number, end: number, params: ChunkerParams): number {
  const { minSize, avgSize, maxSize, strictMask, looseMask } = chunkerConfig(params);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || start > end || end > data.length) {
    throw new RangeError(`findCut: need 0 <= start <= end <= ${data.length}, got start ${start}, end ${end}`);
  }
  const available = end - start;
  if (available <= minSize) return available;
  const limit = start + Math.min(available, maxSize);
  const center = start + Math.min(avgSize, limit - start);
  const state: GearState = { hash: 0 };
  let cut = gearScan(data, start + minSize, center, strictMask, state);
  if (cut < 0) cut = gearScan(data, center, limit, looseMask, state);
  return (cut < 0 ? limit : cut) - start;
}

// ---------------------------------------------------------------------------
// Streaming

export interface Chunk {
  /** Absolute offset of the first byte. */
  offset: number;
  length: number;
  /**
   * The bytes. A view of the pushed array (no copy) when the chunk lies
   * within one push, else a fresh Buffer holding a copy of the pieces.
   */
  data: Buffer;
}

export interface StreamingChunkerOptions {
  /** Absolute offset: no chunk ending beyond it is emitted before finish() (so late cuts there still count). */
  holdFrom?: number;
}

/**
 * FastCDC over bytes pushed in pieces, with forced cuts. Yields exactly the
 * chunks `findCut` gives over the whole input when there are no forced cuts,
 * whatever the push sizes.
 *
 * push() takes ownership of its argument: the chunker keeps (views of) the
 * pushed arrays until their chunks are emitted, and emitted chunks may be
 * views of them, so the caller must not reuse or modify a pushed array.
 */
export class StreamingChunker {
  readonly #config: ChunkerConfig;
  readonly #holdFrom: number;
  /** Pushed bytes not yet emitted, in order: exactly [#emitted, #position). */
  #pending: Uint8Array[] = [];
  #position: number;
  #emitted: number;
  /** Ends of chunks found but not emitted yet (held by holdFrom), ascending. */
  #found: number[] = [];
  /** Start of the chunk being searched: the last found end, or #emitted. */
  #chunkStart: number;
  /** The next byte to hash; the hash starts at #chunkStart + minSize. */
  #scanPos: number;
  readonly #gear: GearState = { hash: 0 };
  /** Forced cuts beyond #emitted, ascending (kept after being passed: a late cut in the held region rescans them). */
  #cuts: number[] = [];
  #finished = false;

  constructor(params: ChunkerParams, startOffset = 0, options: StreamingChunkerOptions = {}) {
    this.#config = chunkerConfig(params);
    if (!Number.isSafeInteger(startOffset) || startOffset < 0) throw new RangeError(`StreamingChunker: startOffset must be a whole number >= 0, got ${startOffset}`);
    this.#holdFrom = options.holdFrom ?? Infinity;
    this.#position = this.#emitted = startOffset;
    this.#chunkStart = startOffset;
    this.#scanPos = startOffset + this.#config.minSize;
  }

  /** Absolute offset just past the bytes pushed so far. */
  get position(): number {
    return this.#position;
  }

  /** Absolute end of the chunks emitted so far. */
  get emitted(): number {
    return this.#emitted;
  }

  /**
   * A chunk must end at `offset` (absolute). Ignored at or before the end
   * of the emitted chunks; honoured anywhere after, even where the search
   * already went (held chunks are split, the search restarts at the cut).
   */
  addCut(offset: number): void {
    if (!Number.isSafeInteger(offset)) throw new RangeError(`StreamingChunker.addCut: offset must be a whole number, got ${offset}`);
    if (offset <= this.#emitted || this.#found.includes(offset) || this.#cuts.includes(offset)) return;
    let i = this.#cuts.length;
    while (i > 0 && this.#cuts[i - 1]! > offset) i--;
    this.#cuts.splice(i, 0, offset);
    if (offset < this.#chunkStart) {
      // Inside a held chunk: the chunks up to the cut stand (their search
      // never reached it), the rest is searched again from the cut.
      this.#found = this.#found.filter((end) => end < offset);
      this.#found.push(offset);
      this.#restartAt(offset);
    }
    // Otherwise the current search simply gets a nearer limit: it found no
    // cut before #scanPos, so if the cut is behind #scanPos the chunk ends there.
  }

  /** Adds bytes; returns the chunks completed so far (in order, contiguous). */
  push(data: Uint8Array): Chunk[] {
    if (this.#finished) throw new Error('StreamingChunker.push after finish()');
    if (data.length > 0) {
      this.#pending.push(data);
      this.#position += data.length;
    }
    this.#search(false);
    return this.#emit(false);
  }

  /** The remaining chunks (the last one may be shorter than minSize). */
  finish(): Chunk[] {
    if (this.#finished) return [];
    this.#search(true);
    this.#finished = true;
    return this.#emit(true);
  }

  #restartAt(offset: number): void {
    this.#chunkStart = offset;
    this.#scanPos = offset + this.#config.minSize;
    this.#gear.hash = 0;
  }

  /** Finds every chunk end the pushed bytes allow (all of them when `final`). */
  #search(final: boolean): void {
    const { avgSize, maxSize, strictMask, looseMask } = this.#config;
    for (;;) {
      const start = this.#chunkStart;
      let limit = start + maxSize;
      const forced = this.#cuts.find((cut) => cut > start);
      if (forced !== undefined && forced < limit) limit = forced;
      const scanEnd = Math.min(limit, this.#position);
      let end = -1;
      if (this.#scanPos < scanEnd) {
        const center = Math.min(start + avgSize, scanEnd);
        if (this.#scanPos < center) end = this.#scan(center, strictMask);
        if (end < 0) end = this.#scan(scanEnd, looseMask);
      }
      if (end < 0) {
        if (scanEnd === limit) end = limit; // max size or a forced cut
        else if (final && this.#position > start) end = this.#position;
        else return;
      }
      this.#found.push(end);
      this.#restartAt(end);
    }
  }

  /** Hashes from #scanPos to `to` over the pending pieces; the cut (absolute end) or -1 with #scanPos = to. */
  #scan(to: number, mask: number): number {
    const from = this.#scanPos;
    if (from >= to) return -1;
    // Find the piece holding `from` from the back: the search is nearly
    // always in the newest pieces (many tiny pushes would be quadratic otherwise).
    let index = this.#pending.length - 1;
    let pieceStart = this.#position - this.#pending[index]!.length;
    while (pieceStart > from) pieceStart -= this.#pending[--index]!.length;
    for (; index < this.#pending.length; index++) {
      const piece = this.#pending[index]!;
      const pieceEnd = pieceStart + piece.length;
      const hit = gearScan(piece, from - pieceStart > 0 ? from - pieceStart : 0, Math.min(to, pieceEnd) - pieceStart, mask, this.#gear);
      if (hit >= 0) return pieceStart + hit;
      if (pieceEnd >= to) break;
      pieceStart = pieceEnd;
    }
    this.#scanPos = to;
    return -1;
  }

  #emit(final: boolean): Chunk[] {
    const chunks: Chunk[] = [];
    let taken = 0;
    for (const end of this.#found) {
      if (!final && end > this.#holdFrom) break;
      chunks.push(this.#take(end));
      taken++;
    }
    if (taken > 0) {
      this.#found.splice(0, taken);
      while (this.#cuts.length > 0 && this.#cuts[0]! <= this.#emitted) this.#cuts.shift();
    }
    return chunks;
  }

  /** Removes [#emitted, end) from the pending pieces as one chunk. */
  #take(end: number): Chunk {
    const offset = this.#emitted;
    const length = end - offset;
    const first = this.#pending[0]!;
    let data: Buffer;
    if (first.length >= length) {
      data = Buffer.from(first.buffer, first.byteOffset, length);
      if (first.length === length) this.#pending.shift();
      else this.#pending[0] = first.subarray(length);
    } else {
      data = Buffer.allocUnsafe(length);
      let filled = 0;
      while (filled < length) {
        const piece = this.#pending[0]!;
        const n = Math.min(piece.length, length - filled);
        data.set(n === piece.length ? piece : piece.subarray(0, n), filled);
        filled += n;
        if (n === piece.length) this.#pending.shift();
        else this.#pending[0] = piece.subarray(n);
      }
    }
    this.#emitted = end;
    return { offset, length, data };
  }
}
