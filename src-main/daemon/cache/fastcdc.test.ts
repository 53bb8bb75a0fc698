import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIO_CHUNK_PARAMS, chunkerConfig, findCut, StreamingChunker, type Chunk, type ChunkerParams } from './fastcdc.js';

const KIB = 1024;
const SMALL: ChunkerParams = { minSize: 2 * KIB, avgSize: 8 * KIB, maxSize: 32 * KIB };

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
function randomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Chunk lengths of data[start, end) by repeated findCut. */
function cutAll(data: Uint8Array, params: ChunkerParams, start = 0, end = data.length): number[] {
  const lengths: number[] = [];
  for (let at = start; at < end; ) {
    const n = findCut(data, at, end, params);
    lengths.push(n);
    at += n;
  }
  return lengths;
}

/** The expected chunks with forced cuts: each stretch between cuts chunked on its own. */
function referenceEnds(data: Uint8Array, params: ChunkerParams, cuts: readonly number[]): number[] {
  const ends: number[] = [];
  let from = 0;
  for (const stop of [...new Set(cuts)].filter((c) => c > 0 && c < data.length).sort((a, b) => a - b).concat(data.length)) {
    for (const n of cutAll(data, params, from, stop)) ends.push((from += n));
  }
  return ends;
}

/** Pushes `data` in pieces of the given sizes (cycled), returns all chunks. */
function chunkStream(data: Uint8Array, params: ChunkerParams, pieceSizes: readonly number[], options?: { holdFrom?: number }): Chunk[] {
  const chunker = new StreamingChunker(params, 0, options);
  const chunks: Chunk[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = pieceSizes[i % pieceSizes.length]!;
    chunks.push(...chunker.push(data.slice(at, at + n)));
    at += n;
  }
  chunks.push(...chunker.finish());
  return chunks;
}

const endsOf = (chunks: readonly Chunk[]): number[] => chunks.map((c) => c.offset + c.length);

/** Chunks are contiguous from 0, cover `data` exactly and hold its bytes. */
function assertCovers(chunks: readonly Chunk[], data: Uint8Array): void {
  let at = 0;
  for (const c of chunks) {
    assert.equal(c.offset, at, 'contiguous');
    assert.equal(c.data.length, c.length);
    assert.ok(Buffer.from(data.buffer, data.byteOffset + at, c.length).equals(c.data), `bytes of the chunk at ${at}`);
    at += c.length;
  }
  assert.equal(at, data.length, 'lengths add up to the input');
}

describe('chunkerConfig', () => {
  test('rejects nonsense with a RangeError', () => {
    const bad: ChunkerParams[] = [
      { minSize: 0, avgSize: 8, maxSize: 16 },
      { minSize: 4, avgSize: 2, maxSize: 16 },
      { minSize: 4, avgSize: 8, maxSize: 6 },
      { minSize: 1.5, avgSize: 8, maxSize: 16 },
      { minSize: 4, avgSize: NaN, maxSize: 16 },
      { minSize: 4, avgSize: 8, maxSize: 2 ** 31 },
      { minSize: 4, avgSize: 8, maxSize: 16, normalization: -1 },
      { minSize: 4, avgSize: 8, maxSize: 16, normalization: 3 },
      { minSize: 4, avgSize: 2 ** 30, maxSize: 2 ** 30, normalization: 2 },
    ];
    for (const params of bad) assert.throws(() => chunkerConfig(params), RangeError, JSON.stringify(params));
  });

  test('masks: high bits, log2(avg) ± normalization of them', () => {
    const c = chunkerConfig({ minSize: 1, avgSize: 256 * KIB, maxSize: 1024 * KIB });
    assert.equal(c.strictMask >>> 0, 0xffff_f000); // 20 bits
    assert.equal(c.looseMask >>> 0, 0xffff_0000); // 16 bits
    const rounded = chunkerConfig({ minSize: 1, avgSize: 300 * KIB, maxSize: 1024 * KIB, normalization: 0 });
    assert.equal(rounded.strictMask >>> 0, 0xffff_c000, 'a non-power of two uses the nearest one (2^18)');
  });

  test('the audio parameters are valid', () => {
    assert.deepEqual({ ...AUDIO_CHUNK_PARAMS }, { minSize: 64 * KIB, avgSize: 256 * KIB, maxSize: 1024 * KIB });
    assert.doesNotThrow(() => chunkerConfig(AUDIO_CHUNK_PARAMS));
  });
});

describe('findCut', () => {
  const data = randomBytes(1024 * KIB);

  test('the cut points are pinned (a change here re-chunks every cached file)', () => {
    const ends = endsOf(chunkStream(data.subarray(0, 96 * KIB), SMALL, [96 * KIB]));
    assert.deepEqual(ends, PINNED_ENDS);
  });

  test('deterministic, and the same with more data after the cut', () => {
    const first = findCut(data, 0, data.length, SMALL);
    assert.equal(findCut(data, 0, data.length, SMALL), first);
    assert.equal(findCut(data, 0, first + 1, SMALL), first);
    assert.equal(findCut(data.slice(0, first + 100), 0, first + 100, SMALL), first);
  });

  test('sizes lie within [min, max] except the last', () => {
    const lengths = cutAll(data, SMALL);
    lengths.slice(0, -1).forEach((n) => assert.ok(n >= SMALL.minSize && n <= SMALL.maxSize, `length ${n}`));
    assert.ok(lengths.at(-1)! >= 1 && lengths.at(-1)! <= SMALL.maxSize);
    assert.equal(lengths.reduce((a, b) => a + b, 0), data.length);
  });

  test('short input: all of it; no cut: maxSize', () => {
    assert.equal(findCut(data, 10, 10, SMALL), 0);
    assert.equal(findCut(data, 10, 10 + SMALL.minSize, SMALL), SMALL.minSize);
    assert.equal(findCut(new Uint8Array(100 * KIB), 0, 100 * KIB, SMALL), SMALL.maxSize, 'zeros never match the mask');
    assert.throws(() => findCut(data, 5, 4, SMALL), RangeError);
    assert.throws(() => findCut(data, 0, data.length + 1, SMALL), RangeError);
  });

  test('the average size on random data is near avgSize', () => {
    for (const params of [SMALL, { minSize: 16 * KIB, avgSize: 64 * KIB, maxSize: 256 * KIB }]) {
      const big = randomBytes(16 * 1024 * KIB, 7);
      const lengths = cutAll(big, params);
      const mean = big.length / lengths.length;
      assert.ok(Math.abs(mean / params.avgSize - 1) < 0.3, `mean ${mean} for avg ${params.avgSize}`);
    }
  });
});

describe('StreamingChunker', () => {
  const data = randomBytes(600 * KIB, 3);
  const expected = referenceEnds(data, SMALL, []);

  test('gives findCut’s chunks whatever the push sizes', () => {
    const splits: number[][] = [[1], [1000], [128 * KIB], [data.length], [7, 40_000, 1, 3 * KIB, 65 * KIB]];
    let seed = 11;
    splits.push(Array.from({ length: 50 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) % (20 * KIB)) + 1));
    for (const pieces of splits) {
      const chunks = chunkStream(data, SMALL, pieces);
      assert.deepEqual(endsOf(chunks), expected, `pieces ${pieces.slice(0, 5).join(',')}`);
      assertCovers(chunks, data);
    }
  });

  test('position, emitted and a start offset', () => {
    const chunker = new StreamingChunker(SMALL, 1000);
    assert.equal(chunker.position, 1000);
    const chunks = chunker.push(data);
    assert.equal(chunker.position, 1000 + data.length);
    assert.equal(chunker.emitted, chunks.at(-1)!.offset + chunks.at(-1)!.length);
    assert.equal(chunks[0]!.offset, 1000);
    const rest = chunker.finish();
    assert.equal(chunker.emitted, 1000 + data.length);
    assert.deepEqual([...chunks, ...rest].map((c) => c.offset + c.length - 1000), expected);
    assert.deepEqual(chunker.finish(), []);
    assert.throws(() => chunker.push(data), /after finish/);
  });

  test('an empty stream gives no chunks', () => {
    const chunker = new StreamingChunker(SMALL);
    assert.deepEqual(chunker.push(new Uint8Array(0)), []);
    assert.deepEqual(chunker.finish(), []);
  });

  test('forced cuts known up front are chunk ends; the search restarts there', () => {
    const cuts = [100, 3 * KIB, 3 * KIB + 1, 50 * KIB, 333_333, data.length - 5];
    const chunker = new StreamingChunker(SMALL);
    cuts.forEach((c) => chunker.addCut(c));
    const chunks: Chunk[] = [];
    for (let at = 0; at < data.length; at += 64 * KIB) chunks.push(...chunker.push(data.slice(at, at + 64 * KIB)));
    chunks.push(...chunker.finish());
    assert.deepEqual(endsOf(chunks), referenceEnds(data, SMALL, cuts));
    assertCovers(chunks, data);
  });

  test('a cut added after the search went past it (not emitted yet) is honoured', () => {
    const chunker = new StreamingChunker(SMALL);
    const chunks: Chunk[] = [...chunker.push(data.slice(0, 200 * KIB))];
    const late = chunker.emitted + 10; // scanned past: the chunk being searched started at `emitted`
    assert.ok(late < chunker.position);
    chunker.addCut(late);
    chunker.addCut(chunker.emitted); // at the emitted end: nothing to do
    chunker.addCut(chunker.emitted - 1); // before it: ignored
    chunks.push(...chunker.push(data.slice(200 * KIB)), ...chunker.finish());
    assert.deepEqual(endsOf(chunks), referenceEnds(data, SMALL, [late]));
    assertCovers(chunks, data);
  });

  test('holdFrom: nothing ending beyond it comes before finish(); late cuts in the held stretch count', () => {
    const holdFrom = 400 * KIB;
    const chunker = new StreamingChunker(SMALL, 0, { holdFrom });
    const early: Chunk[] = [];
    for (let at = 0; at < data.length; at += 100 * KIB) early.push(...chunker.push(data.slice(at, at + 100 * KIB)));
    assert.ok(early.length > 0);
    early.forEach((c) => assert.ok(c.offset + c.length <= holdFrom, `chunk ending at ${c.offset + c.length}`));
    assert.ok(chunker.emitted <= holdFrom && chunker.emitted > holdFrom - SMALL.maxSize);
    // Trailer-style cuts, after all bytes are in: one inside a held chunk, one at a held chunk end, one past the last.
    const heldEnds = expected.filter((e) => e > chunker.emitted);
    const cuts = [heldEnds[1]! - 5, heldEnds[2]!, data.length - 128];
    cuts.forEach((c) => chunker.addCut(c));
    const chunks = [...early, ...chunker.finish()];
    assert.deepEqual(endsOf(chunks), referenceEnds(data, SMALL, cuts));
    assertCovers(chunks, data);
  });

  test('holdFrom with cuts in the held stretch added in any order and between pushes', () => {
    const cuts = [590 * KIB, 450 * KIB + 3, 500 * KIB, 451 * KIB];
    const chunker = new StreamingChunker(SMALL, 0, { holdFrom: 440 * KIB });
    const chunks: Chunk[] = [];
    for (let at = 0, i = 0; at < data.length; at += 50 * KIB, i++) {
      chunks.push(...chunker.push(data.slice(at, at + 50 * KIB)));
      if (i >= 9 && cuts.length > 0) chunker.addCut(cuts.shift()!);
    }
    cuts.forEach((c) => chunker.addCut(c));
    chunks.push(...chunker.finish());
    assert.deepEqual(endsOf(chunks), referenceEnds(data, SMALL, [590 * KIB, 450 * KIB + 3, 500 * KIB, 451 * KIB]));
    assertCovers(chunks, data);
  });

  test('an insertion near the start changes only the first chunks (content-defined resync)', () => {
    const original = randomBytes(2048 * KIB, 5);
    const edited = new Uint8Array(original.length + 100);
    edited.set(original.subarray(0, 5000));
    edited.set(randomBytes(100, 9), 5000);
    edited.set(original.subarray(5000), 5100);
    const key = (c: Chunk): string => c.data.toString('base64');
    const before = new Set(chunkStream(original, SMALL, [128 * KIB]).map(key));
    const after = chunkStream(edited, SMALL, [128 * KIB]);
    const changed = after.filter((c) => !before.has(key(c)));
    assert.ok(changed.length >= 1 && changed.length <= 2, `${changed.length} changed chunks`);
    assert.ok(changed.every((c) => c.offset < 5100 + SMALL.maxSize));
  });

  test('a chunk within one push is a view of it; one across pushes is a copy', () => {
    const piece = data.slice(0, 100 * KIB);
    const chunker = new StreamingChunker(SMALL);
    const [first] = chunker.push(piece);
    assert.equal(first!.data.buffer, piece.buffer);
    const spanning = [...chunker.push(data.slice(100 * KIB, 200 * KIB)), ...chunker.finish()].find((c) => c.offset < 100 * KIB && c.offset + c.length > 100 * KIB);
    assert.ok(spanning);
    assert.notEqual(spanning.data.buffer, piece.buffer);
  });
});

/** Chunk ends of randomBytes(96 KiB, seed 1) with SMALL (min 2, avg 8, max 32 KiB). */
const PINNED_ENDS: number[] = [9113, 16859, 25779, 33804, 47026, 56338, 66411, 76863, 85279, 93544, 98304];
