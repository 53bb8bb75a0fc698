import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryTier } from './memory-tier.js';

const bytes = (n: number, fill = 1): Buffer => Buffer.alloc(n, fill);

describe('MemoryTier', () => {
  test('keeps chunks and counts their bytes', () => {
    const tier = new MemoryTier(100);
    tier.set('a', bytes(10));
    tier.set('b', bytes(20));
    assert.equal(tier.size, 30);
    assert.equal(tier.count, 2);
    assert.equal(tier.get('a')?.length, 10);
    assert.equal(tier.get('zz'), undefined);
    assert.ok(tier.has('b'));
  });

  test('evicts the least recently used chunks to stay within capacity', () => {
    const tier = new MemoryTier(30);
    tier.set('a', bytes(10));
    tier.set('b', bytes(10));
    tier.set('c', bytes(10));
    tier.get('a'); // a is now the most recently used; b the least
    tier.set('d', bytes(10));
    assert.equal(tier.get('b'), undefined);
    assert.ok(tier.has('a') && tier.has('c') && tier.has('d'));
    assert.equal(tier.size, 30);

    tier.set('e', bytes(25)); // needs 25: evicts c, a, d (oldest first) until it fits
    assert.deepEqual(['a', 'c', 'd', 'e'].filter((h) => tier.has(h)), ['e']);
    assert.equal(tier.size, 25);
    assert.equal(tier.count, 1);
  });

  test('replacing a chunk accounts for the new size', () => {
    const tier = new MemoryTier(100);
    tier.set('a', bytes(10));
    tier.set('a', bytes(40, 2));
    assert.equal(tier.size, 40);
    assert.equal(tier.count, 1);
    assert.equal(tier.get('a')?.[0], 2);
  });

  test('a chunk bigger than the capacity is not kept (and drops an older copy)', () => {
    const tier = new MemoryTier(50);
    tier.set('a', bytes(10));
    tier.set('big', bytes(51));
    assert.equal(tier.has('big'), false);
    assert.ok(tier.has('a'));
    tier.set('a', bytes(60));
    assert.equal(tier.has('a'), false);
    assert.equal(tier.size, 0);
  });

  test('delete and clear', () => {
    const tier = new MemoryTier(100);
    tier.set('a', bytes(10));
    tier.set('b', bytes(10));
    assert.equal(tier.delete('a'), true);
    assert.equal(tier.delete('a'), false);
    assert.equal(tier.size, 10);
    tier.clear();
    assert.equal(tier.size, 0);
    assert.equal(tier.count, 0);
    assert.equal(tier.get('b'), undefined);
  });

  test('shrinking the capacity evicts at once; zero keeps nothing', () => {
    const tier = new MemoryTier(100);
    for (const h of ['a', 'b', 'c', 'd']) tier.set(h, bytes(20));
    tier.setCapacity(45);
    assert.deepEqual(['a', 'b', 'c', 'd'].filter((h) => tier.has(h)), ['c', 'd']);
    assert.equal(tier.capacity, 45);
    tier.setCapacity(0);
    assert.equal(tier.count, 0);
    tier.set('e', bytes(1));
    assert.equal(tier.count, 0);
    assert.throws(() => tier.setCapacity(-1), RangeError);
    assert.throws(() => new MemoryTier(Number.NaN), RangeError);
  });

  test('counts byteLength of views, not of their backing buffer', () => {
    const tier = new MemoryTier(100);
    const big = bytes(1000);
    tier.set('v', big.subarray(0, 64));
    assert.equal(tier.size, 64);
  });

  test('stays O(1): 100,000 operations on a full tier are quick', () => {
    const tier = new MemoryTier(1000 * 64);
    const chunk = bytes(64);
    const start = performance.now();
    for (let i = 0; i < 100_000; i++) {
      tier.set(`h${i}`, chunk);
      tier.get(`h${i >> 1}`);
    }
    assert.equal(tier.count, 1000);
    assert.ok(performance.now() - start < 1000);
  });
});
