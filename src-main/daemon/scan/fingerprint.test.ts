import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FINGERPRINT_EDGE_BYTES, fingerprintOf, fingerprintRanges } from './fingerprint.js';

const KIB = 1024;

describe('fingerprintRanges', () => {
  test('the edge is 64 KiB', () => {
    assert.equal(FINGERPRINT_EDGE_BYTES, 64 * KIB);
  });

  test('small files are read whole, in one range', () => {
    assert.deepEqual(fingerprintRanges(0), [{ position: 0, length: 0 }]);
    assert.deepEqual(fingerprintRanges(1), [{ position: 0, length: 1 }]);
    assert.deepEqual(fingerprintRanges(100 * KIB), [{ position: 0, length: 100 * KIB }]);
    assert.deepEqual(fingerprintRanges(128 * KIB), [{ position: 0, length: 128 * KIB }]);
  });

  test('beyond 128 KiB: head and tail, 64 KiB each, never overlapping', () => {
    assert.deepEqual(fingerprintRanges(128 * KIB + 1), [
      { position: 0, length: 64 * KIB },
      { position: 64 * KIB + 1, length: 64 * KIB },
    ]);
    const big = 3 * 1024 * 1024 * 1024 + 17; // beyond 32 bits
    assert.deepEqual(fingerprintRanges(big), [
      { position: 0, length: 64 * KIB },
      { position: big - 64 * KIB, length: 64 * KIB },
    ]);
  });

  test('ranges always lie inside the file', () => {
    for (const size of [0, 1, 2, 65_535, 65_536, 65_537, 131_071, 131_072, 131_073, 131_074, 1_000_000]) {
      const ranges = fingerprintRanges(size);
      let end = 0;
      for (const r of ranges) {
        assert.ok(r.position >= end, `size ${size}: ranges overlap`);
        assert.ok(r.position + r.length <= size, `size ${size}: range past the end`);
        end = r.position + r.length;
      }
      assert.equal(end, size, `size ${size}: the last range ends at the end of the file`);
    }
  });
});

describe('fingerprintOf', () => {
  const head = new Uint8Array([1, 2, 3]);
  const tail = new Uint8Array([4, 5, 6]);

  test('is a hex sha256, the same for the same input', () => {
    const fp = fingerprintOf(300_000, [head, tail]);
    assert.match(fp, /^[0-9a-f]{64}$/);
    assert.equal(fingerprintOf(300_000, [new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6])]), fp);
  });

  test('differs when the size differs, even with the same parts', () => {
    assert.notEqual(fingerprintOf(300_000, [head, tail]), fingerprintOf(300_001, [head, tail]));
    assert.notEqual(fingerprintOf(0, []), fingerprintOf(1, []));
    assert.notEqual(fingerprintOf(2 ** 32, [head]), fingerprintOf(0, [head]), 'sizes beyond 32 bits count whole');
  });

  test('differs when the content differs', () => {
    assert.notEqual(fingerprintOf(10, [head, tail]), fingerprintOf(10, [head, new Uint8Array([4, 5, 7])]));
    assert.notEqual(fingerprintOf(10, [head, tail]), fingerprintOf(10, [tail, head]));
  });

  test('an empty file has a fingerprint too', () => {
    assert.match(fingerprintOf(0, [new Uint8Array(0)]), /^[0-9a-f]{64}$/);
  });

  test('a Buffer and a Uint8Array of the same bytes agree', () => {
    assert.equal(fingerprintOf(3, [Buffer.from([1, 2, 3])]), fingerprintOf(3, [head]));
  });
});
