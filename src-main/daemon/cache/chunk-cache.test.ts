/**
 * The chunk cache facade (ChunkCache) on a real temp folder: what it stores,
 * what it serves when a chunk on disk is corrupt, passthrough with a size
 * limit of 0, eviction to its watermarks (least recently used first, never
 * a pinned track), one copy of equal chunks, clear, and dispose (every
 * origin source closed; the index and chunks persist for the next open).
 * The origin is a real file behind a recording RangeSource (as in
 * cached-track.test.ts); nothing of the cache is mocked.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../base/logger.js';
import type { CacheEvictionReason } from '../events.js';
import { CacheDiskError } from './cache-errors.js';
import type { CachedTrack } from './cached-track.js';
import { ChunkCache, type ChunkCacheSettings } from './chunk-cache.js';
import type { RangeSource, RangeSourceFactory } from './range-source.js';
import { pseudoRandom, fingerprintOf, sleep, TestOrigin, openCache, readAll, settlesWithin, waitFor } from './testing/cache-test-kit.js';

const KIB = 1024;
const MIB = 1024 * 1024;

// ---- the tests ----

/** Every chunk file of the store (64-hex names in the fan-out folders). */
async function chunkFiles(cacheDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/^[0-9a-f]{64}$/.test(e.name)) out.push(p);
    }
  };
  await walk(join(cacheDir, 'store'));
  return out.sort();
}

let tmp: string;
let n = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-chunk-cache-'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

interface Song {
  data: Buffer;
  origin: TestOrigin;
  fp: string;
  size: number;
}

/** A fresh folder: `count` origin files of `size` pseudo-random bytes each, and a cache folder. */
async function scene(count: number, size: number, seed = 1): Promise<{ songs: Song[]; cacheDir: string }> {
  const dir = join(tmp, `t${++n}`);
  await mkdir(dir, { recursive: true });
  const songs: Song[] = [];
  for (let i = 0; i < count; i++) {
    const data = pseudoRandom(size, seed * 1000 + i);
    const path = join(dir, `song-${i + 1}.bin`);
    await writeFile(path, data);
    songs.push({ data, origin: new TestOrigin(path), fp: fingerprintOf(`${dir}:${i}`), size });
  }
  return { songs, cacheDir: join(dir, 'cache') };
}

/** Opens the song, reads it whole, releases it, and waits for its chunks to be on disk. */
async function play(cache: ChunkCache, song: Song): Promise<void> {
  const t = cache.track(song.fp, song.size, song.origin.factory);
  try {
    assert.ok((await readAll(t)).equals(song.data), 'the song reads right');
  } finally {
    cache.release(t);
  }
  await t.idle();
  await cache.writesSettled();
}

describe('ChunkCache', () => {
  test('a corrupt chunk on disk (no memory tier) is fetched again: the read is still right', async () => {
    const { songs, cacheDir } = await scene(1, 4 * MIB);
    const song = songs[0]!;
    const { cache } = await openCache(cacheDir, { memoryBytes: 0 });
    try {
      await play(cache, song);
      assert.equal(cache.isComplete(song.fp), true);
      const files = await chunkFiles(cacheDir);
      assert.equal(files.length, cache.stats().chunks, 'one file per chunk');
      assert.ok(files.length >= 3);
      // Flip bytes in the middle of one chunk (same size, wrong content).
      const victim = files[Math.floor(files.length / 2)]!;
      const fh = await open(victim, 'r+');
      try {
        const b = Buffer.alloc(16);
        await fh.read(b, 0, 16, 1000);
        for (let i = 0; i < b.length; i++) b[i] = b[i]! ^ 0xff;
        await fh.write(b, 0, 16, 1000);
      } finally {
        await fh.close();
      }
      const servedBefore = song.origin.served;

      await play(cache, song);
      assert.ok(cache.counters.corruptChunks >= 1, `the corrupt chunk was noticed (${cache.counters.corruptChunks})`);
      const refetched = song.origin.served - servedBefore;
      assert.ok(refetched > 0 && refetched < song.size, `only the bad part was fetched again (${refetched} bytes)`);
      assert.equal(cache.isComplete(song.fp), true, 'complete again once the chunk is stored anew');

      // Third read: all from disk again, the origin untouched.
      const readsBefore = song.origin.reads.length;
      await play(cache, song);
      assert.equal(song.origin.reads.length, readsBefore, 'the rewritten chunk reads back right');
      assert.equal((await chunkFiles(cacheDir)).length, cache.stats().chunks);
    } finally {
      await cache.dispose();
    }
  });

  test('with a size limit of 0 reads go straight to the origin and nothing is stored', async () => {
    const { songs, cacheDir } = await scene(1, 3 * MIB + 17);
    const song = songs[0]!;
    const { cache } = await openCache(cacheDir, { limitBytes: 0 });
    try {
      assert.equal(cache.storing(), false);
      const t = cache.track(song.fp, song.size, song.origin.factory);
      const step = 200 * KIB;
      assert.ok((await readAll(t, step)).equals(song.data), 'the bytes are right');
      // Straight through: one origin read per read, exactly the range asked for, no read-ahead.
      const expected: { position: number; length: number }[] = [];
      for (let pos = 0; pos < song.size; pos += step) expected.push({ position: pos, length: Math.min(step, song.size - pos) });
      assert.deepEqual(song.origin.reads.map(({ position, length }) => ({ position, length })), expected);
      assert.equal(song.origin.opened, 1, 'one source for the handle');
      cache.release(t);
      await cache.writesSettled();
      assert.equal(song.origin.closed, 1, 'released: the source is closed');

      const s = cache.stats();
      assert.deepEqual([s.sizeBytes, s.chunks, s.tracks, s.memoryBytes], [0, 0, 0, 0], 'nothing stored, not even in memory');
      assert.deepEqual(await chunkFiles(cacheDir), []);
      assert.equal(cache.hasCached(song.fp), false);
      assert.equal(cache.counters.hits, 0);
      assert.ok(cache.counters.misses > 0);
      await assert.rejects(cache.fill(song.fp, song.size, song.origin.factory, () => undefined), CacheDiskError, 'prefetch cannot store');
      assert.equal(song.origin.opened, song.origin.closed);
    } finally {
      await cache.dispose();
    }
  });

  test('over the high watermark the least recently used tracks are evicted down to the low one', async () => {
    const { songs, cacheDir } = await scene(4, 1 * MIB, 2);
    const [s1, s2, s3, s4] = songs as [Song, Song, Song, Song];
    // Limit 3 MiB: the third song crosses 0.9 × limit; evicting one song gets below 0.7 × limit.
    const { cache, settings, evicted } = await openCache(cacheDir, { limitBytes: 3 * MIB, highWatermark: 0.9, lowWatermark: 0.7 });
    try {
      await play(cache, s1);
      await sleep(5); // distinct access times
      await play(cache, s2);
      await sleep(5);
      await play(cache, s1); // s1 is now more recently used than s2
      assert.equal(cache.stats().sizeBytes, 2 * MIB);
      assert.equal(cache.counters.evictions, 0);
      await sleep(5);

      await play(cache, s3);
      assert.ok(cache.stats().sizeBytes <= settings.limitBytes, `size ${cache.stats().sizeBytes} within the limit`);
      await waitFor(() => evicted.length === 1, 'an eviction');
      assert.equal(cache.hasCached(s2.fp), false, 's2, the least recently used, went first');
      assert.equal(cache.isComplete(s1.fp), true, 's1, used since, stays');
      assert.equal(cache.isComplete(s3.fp), true);
      await sleep(5);

      await play(cache, s4);
      assert.ok(cache.stats().sizeBytes <= settings.limitBytes, `size ${cache.stats().sizeBytes} within the limit`);
      await waitFor(() => evicted.length === 2, 'a second eviction');
      assert.equal(cache.hasCached(s1.fp), false, 's1 is now the least recently used');
      assert.equal(cache.isComplete(s3.fp), true);
      assert.equal(cache.isComplete(s4.fp), true);

      assert.deepEqual(evicted.map((e) => [e.tracks, e.bytes, e.reason]), [[1, MIB, 'limit'], [1, MIB, 'limit']]);
      assert.equal(cache.counters.evictions, 2);
      assert.equal(cache.counters.evictedBytes, 2 * MIB);
      const s = cache.stats();
      assert.equal(s.tracks, 2);
      assert.equal(s.sizeBytes, 2 * MIB);
      assert.equal((await chunkFiles(cacheDir)).length, s.chunks, 'the evicted chunk files are deleted');

      // An evicted track reads right again (from the origin).
      const served = s2.origin.served;
      await play(cache, s2);
      assert.equal(s2.origin.served - served, MIB);
    } finally {
      await cache.dispose();
    }
  });

  test('tracks in use when the limit is crossed are evicted once they are let go', async () => {
    const { songs, cacheDir } = await scene(3, 1.25 * MIB, 6);
    const { cache, settings, evicted } = await openCache(cacheDir, { limitBytes: 3 * MIB, highWatermark: 0.9, lowWatermark: 0.5 });
    try {
      // Three songs open at once: 3.75 MiB, nothing evictable while they are read.
      const handles = songs.map((s) => cache.track(s.fp, s.size, s.origin.factory));
      for (let i = 0; i < songs.length; i++) assert.ok((await readAll(handles[i]!)).equals(songs[i]!.data));
      await cache.writesSettled();
      assert.equal(cache.stats().sizeBytes, 3.75 * MIB, 'tracks being read are not evicted');
      assert.equal(cache.counters.evictions, 0);

      for (const t of handles) {
        cache.release(t);
        await t.idle();
      }
      // Let go, they are ordinary LRU tracks again: the cache gets back under its high watermark by itself.
      await waitFor(() => evicted.length > 0, 'an eviction once the tracks are let go');
      assert.ok(cache.stats().sizeBytes <= settings.limitBytes * settings.highWatermark, `under the high watermark: ${cache.stats().sizeBytes}`);
      assert.equal(cache.hasCached(songs[0]!.fp), false, 'the least recently used went');
      assert.ok(evicted.every((e) => e.reason === 'limit' && e.bytes === 1.25 * MIB * e.tracks), JSON.stringify(evicted));
      assert.equal(cache.counters.evictedBytes, evicted.reduce((a, e) => a + e.bytes, 0));
    } finally {
      await cache.dispose();
    }
  });

  test('a pinned track is never evicted; clear keeps it unless unpinned', async () => {
    const { songs, cacheDir } = await scene(5, 1 * MIB, 3);
    // Low watermark 0.7: the pinned song and the one read last fit under it, so that one stays whatever the timing.
    const { cache, settings, evicted } = await openCache(cacheDir, { limitBytes: 3 * MIB, highWatermark: 0.9, lowWatermark: 0.7 });
    try {
      const pinned = songs[0]!;
      cache.setPinned(pinned.fp, pinned.size, true);
      assert.equal(cache.isPinned(pinned.fp), true);
      for (const song of songs) {
        await play(cache, song);
        await sleep(2);
        assert.ok(cache.stats().sizeBytes <= settings.limitBytes, `size ${cache.stats().sizeBytes} within the limit`);
        assert.equal(cache.isComplete(pinned.fp), true, 'the pinned track stays complete');
      }
      await waitFor(() => cache.counters.evictions >= 3, 'evictions');
      assert.ok(evicted.length > 0 && evicted.every((e) => e.reason === 'limit' && e.tracks > 0 && e.bytes > 0), JSON.stringify(evicted));
      assert.equal(cache.isComplete(songs[4]!.fp), true, 'the song read last stays');
      assert.equal(cache.stats().pinnedTracks, 1);

      // The pinned track reads with no origin read.
      const reads = pinned.origin.reads.length;
      await play(cache, pinned);
      assert.equal(pinned.origin.reads.length, reads);

      const kept = await cache.clear(false);
      assert.ok(kept.tracks >= 1 && kept.bytes > 0);
      let s = cache.stats();
      assert.deepEqual([s.tracks, s.pinnedTracks, s.tracksComplete, s.sizeBytes], [1, 1, 1, MIB], 'clear keeps the pinned track');
      assert.equal(evicted.at(-1)!.reason, 'clear');

      cache.setPinned(pinned.fp, pinned.size, false);
      assert.equal(cache.isPinned(pinned.fp), false);
      assert.deepEqual(await cache.clear(false), { tracks: 1, bytes: MIB });
      s = cache.stats();
      assert.deepEqual([s.tracks, s.pinnedTracks, s.sizeBytes, s.chunks], [0, 0, 0, 0]);
      assert.deepEqual(await chunkFiles(cacheDir), []);
    } finally {
      await cache.dispose();
    }
  });

  test('equal bytes under two fingerprints are stored once', async () => {
    const { songs, cacheDir } = await scene(1, 3 * MIB, 4);
    const a = songs[0]!;
    const copyPath = join(cacheDir, '..', 'copy.bin');
    await writeFile(copyPath, a.data);
    const b: Song = { ...a, origin: new TestOrigin(copyPath), fp: fingerprintOf(`copy of ${a.fp}`) };
    const { cache } = await openCache(cacheDir);
    try {
      await play(cache, a);
      const one = cache.stats();
      await play(cache, b);
      const two = cache.stats();
      assert.equal(two.tracks, 2);
      assert.equal(two.tracksComplete, 2);
      assert.equal(two.chunks, one.chunks, 'no new chunk for the copy');
      assert.equal(two.sizeBytes, a.size, 'the bytes are counted once');
      assert.equal((await chunkFiles(cacheDir)).length, two.chunks);

      // Clearing frees the shared bytes once.
      assert.deepEqual(await cache.clear(false), { tracks: 2, bytes: a.size });
      assert.equal(cache.stats().sizeBytes, 0);
    } finally {
      await cache.dispose();
    }
  });

  test('dispose closes every origin source; a cache reopened on the folder has the complete manifest', async () => {
    const { songs, cacheDir } = await scene(3, 6 * MIB, 5);
    const [done, partial, inFlight] = songs as [Song, Song, Song];
    let cache = (await openCache(cacheDir, { readAheadBytes: 1 * MIB })).cache;
    let pending: Promise<unknown> | undefined;
    let open1: CachedTrack | undefined;
    let open2: CachedTrack | undefined;
    try {
      await play(cache, done);
      // A handle still open with its fetch paused ahead of it…
      open1 = cache.track(partial.fp, partial.size, partial.origin.factory);
      assert.ok((await open1.read(0, 128 * KIB)).equals(partial.data.subarray(0, 128 * KIB)));
      // …and one with a slow origin read in flight.
      inFlight.origin.latencyMs = 30;
      open2 = cache.track(inFlight.fp, inFlight.size, inFlight.origin.factory);
      pending = open2.read(3 * MIB, 128 * KIB).then(
        (b) => assert.ok(b.equals(inFlight.data.subarray(3 * MIB, 3 * MIB + 128 * KIB)), 'a read in flight at dispose gets right bytes'),
        () => undefined, // or fails: either way it settles
      );
      await waitFor(() => inFlight.origin.reads.length > 0, 'the slow read to start');
    } finally {
      await cache.dispose();
    }
    for (const song of [done, partial]) {
      assert.equal(song.origin.closed, song.origin.opened, 'every source of the cache is closed');
      assert.equal(song.origin.handlesOpen, 0);
    }
    await settlesWithin(pending!, 3000, 'the read in flight at dispose');
    // The handles are let go after the cache (as the mount does): nothing is left open.
    cache.release(open1!);
    cache.release(open2!);
    await waitFor(() => inFlight.origin.closed === inFlight.origin.opened, 'the in-flight source to close');
    assert.equal(inFlight.origin.handlesOpen, 0);

    cache = (await openCache(cacheDir)).cache;
    try {
      assert.equal(cache.isComplete(done.fp), true, 'the complete manifest persisted');
      assert.ok(cache.stats().tracksComplete >= 1);
      assert.ok(cache.stats().sizeBytes >= done.size);
      const reads = done.origin.reads.length;
      await play(cache, done);
      assert.equal(done.origin.reads.length, reads, 'read after the restart from disk alone');
      // The partly read song goes on from what was kept.
      await play(cache, partial);
      assert.equal(cache.isComplete(partial.fp), true);
    } finally {
      await cache.dispose();
    }
  });
});
