/**
 * The read path of one track version (CachedTrack + TrackFetch) through a
 * real ChunkCache on a temp folder. The origin is a real file read through
 * FileHandles, wrapped so a test can see every origin read (position,
 * length, which source), count sources opened and closed, add latency, and
 * make reads fail (always, or once some bytes were served). Nothing of the
 * cache is mocked.
 *
 * Covered: a whole multi-MiB file read sequentially is exact and leaves a
 * complete manifest, a second read needs no origin; reads clipped at the
 * end; a seek far ahead fetches from there at once; two readers share one
 * fetch; a failing origin fails the read (no hang) and a later read works;
 * an origin failing mid-file leaves only right bytes cached; fill() and its
 * progress.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../base/logger.js';
import type { CacheEvictionReason } from '../events.js';
import { CacheIndex } from './cache-index.js';
import type { CachedTrack } from './cached-track.js';
import { ChunkCache, type ChunkCacheSettings } from './chunk-cache.js';
import { AUDIO_CHUNK_PARAMS } from './fastcdc.js';
import type { RangeSource, RangeSourceFactory } from './range-source.js';
import { pseudoRandom, fingerprintOf, sha, TestOrigin, openCache, readAll, settlesWithin, waitFor } from './testing/cache-test-kit.js';

const KIB = 1024;
const MIB = 1024 * 1024;

// ---- the tests ----

let tmp: string;
let n = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-cached-track-'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A fresh folder with an origin file of `size` pseudo-random bytes and a cache folder. */
async function scene(size: number, seed = 1): Promise<{ data: Buffer; origin: TestOrigin; cacheDir: string; fp: string }> {
  const dir = join(tmp, `t${++n}`);
  await mkdir(dir, { recursive: true });
  const data = pseudoRandom(size, seed);
  const path = join(dir, 'origin.bin');
  await writeFile(path, data);
  return { data, origin: new TestOrigin(path), cacheDir: join(dir, 'cache'), fp: fingerprintOf(`${dir}:${seed}`) };
}

describe('CachedTrack: the read path', () => {
  test('a 6 MiB file read from start to end is exact, leaves a complete manifest, and reads again with no origin read', async () => {
    const size = 6 * MIB + 12_345;
    const { data, origin, cacheDir, fp } = await scene(size);
    const { cache } = await openCache(cacheDir);
    try {
      const track = cache.track(fp, size, origin.factory);
      const got = await readAll(track);
      assert.equal(got.length, size);
      assert.ok(got.equals(data), 'the bytes read are the file');
      cache.release(track);
      await track.idle();
      await cache.writesSettled();
      assert.ok(track.complete, 'the track has every byte');

      assert.equal(cache.isComplete(fp), true, 'the index holds a complete manifest');
      assert.equal(cache.hasCached(fp), true);
      const s = cache.stats();
      assert.equal(s.tracks, 1);
      assert.equal(s.tracksComplete, 1);
      assert.equal(s.sizeBytes, size, 'unique random bytes: the chunks hold exactly the file');
      assert.ok(s.chunks >= Math.ceil(size / AUDIO_CHUNK_PARAMS.maxSize) && s.chunks <= Math.ceil(size / AUDIO_CHUNK_PARAMS.minSize), `${s.chunks} chunks`);
      // One fetch read the origin sequentially, each byte once.
      assert.equal(origin.opened, 1);
      assert.equal(origin.served, size);
      let expect = 0;
      for (const r of origin.reads) {
        assert.equal(r.position, expect, 'sequential origin reads');
        expect += r.length;
      }
      await waitFor(() => origin.closed === origin.opened, 'the fetch to close its source');
      assert.equal(origin.handlesOpen, 0);

      // Second read: every piece a hit, the origin untouched.
      const readsBefore = origin.reads.length;
      const { hits, misses } = cache.counters;
      const again = cache.track(fp, size, origin.factory);
      const second = await readAll(again);
      assert.ok(second.equals(data), 'the second read is exact');
      assert.equal(origin.reads.length, readsBefore, 'no origin read the second time');
      assert.equal(origin.opened, 1, 'no source opened the second time');
      assert.equal(cache.counters.misses, misses);
      assert.equal(cache.counters.hits, hits + Math.ceil(size / (128 * KIB)));
      cache.release(again);
    } finally {
      await cache.dispose();
    }
  });

  test('odd-sized reads across chunk boundaries and reads at the end of the file', async () => {
    const size = 3 * MIB + 7;
    const { data, origin, cacheDir, fp } = await scene(size, 2);
    const { cache } = await openCache(cacheDir, { readAheadBytes: 256 * KIB });
    try {
      const track = cache.track(fp, size, origin.factory);
      // Uneven reads, first cold (from fetches in flight), then warm (from chunks).
      for (const round of ['cold', 'warm']) {
        let pos = 0;
        let len = 1;
        while (pos < size) {
          const got = await track.read(pos, len);
          assert.ok(got.equals(data.subarray(pos, pos + len)), `${round}: bytes at ${pos} (+${len})`);
          pos += got.length;
          len = (len * 7 + 4093) % (700 * KIB);
        }
        await cache.writesSettled();
      }
      assert.ok((await track.read(size - 10, 100)).equals(data.subarray(size - 10)), 'a read past the end is clipped');
      assert.equal((await track.read(size, 10)).length, 0, 'a read at the end is empty');
      assert.equal((await track.read(size + 5, 10)).length, 0, 'a read past the end is empty');
      assert.equal((await track.read(5, 0)).length, 0, 'a read of nothing is empty');
      assert.equal(origin.served, size, 'each byte fetched once');
      cache.release(track);
    } finally {
      await cache.dispose();
    }
  });

  test('a seek far ahead starts a fetch there at once instead of streaming up to it', async () => {
    const size = 6 * MIB;
    const { data, origin, cacheDir, fp } = await scene(size, 3);
    const { cache, settings } = await openCache(cacheDir, { readAheadBytes: 1 * MIB });
    try {
      const track = cache.track(fp, size, origin.factory);
      assert.ok((await track.read(0, 128 * KIB)).equals(data.subarray(0, 128 * KIB)));
      const sourcesBefore = origin.opened;
      const seek = Math.floor(size * 0.8);
      const got = await track.read(seek, 128 * KIB);
      assert.ok(got.equals(data.subarray(seek, seek + 128 * KIB)), 'the bytes after the seek');

      const after = origin.readsAfter(sourcesBefore);
      assert.ok(after.length > 0, 'a new fetch read the origin');
      const first = after[0]!;
      assert.ok(first.position <= seek && first.position >= seek - AUDIO_CHUNK_PARAMS.maxSize, `the new fetch starts at ${first.position}, the seek was to ${seek}`);
      assert.ok(after.every((r) => r.position >= first.position), 'the new fetch only reads forward from there');
      // The fetch from 0 stayed within its read-ahead (128 KiB + read-ahead + one origin piece of at most 1 MiB).
      const firstFetchEnd = Math.max(...origin.reads.filter((r) => r.source <= sourcesBefore).map((r) => r.position + r.length));
      assert.ok(firstFetchEnd <= 128 * KIB + settings.readAheadBytes + 1 * MIB, `the first fetch stopped at ${firstFetchEnd}`);
      assert.ok(firstFetchEnd < seek - AUDIO_CHUNK_PARAMS.maxSize, 'the file was not streamed up to the seek');
      cache.release(track);
      await track.idle();
      assert.equal(origin.closed, origin.opened, 'every fetch closed its source after the release');
    } finally {
      await cache.dispose();
    }
  });

  test('the last release stops a fetch still reading ahead: its origin source closes at once', async () => {
    const size = 4 * MIB;
    const { data, origin, cacheDir, fp } = await scene(size, 8);
    const { cache, settings } = await openCache(cacheDir, { readAheadBytes: 2 * MIB });
    try {
      origin.latencyMs = 40; // the fetch is between origin reads when the reader leaves
      const track = cache.track(fp, size, origin.factory);
      assert.ok((await track.read(0, 64 * KIB)).equals(data.subarray(0, 64 * KIB)));
      cache.release(track);
      // Guard only: a fetch left running would pause and linger for fetchIdleMs (20 s).
      await settlesWithin(track.idle(), 5000, 'the fetches of a released track');
      assert.equal(origin.closed, origin.opened, 'the source is closed');
      assert.equal(origin.handlesOpen, 0);
      assert.ok(origin.served < settings.readAheadBytes, `the fetch stopped instead of reading ahead for nobody (${origin.served} bytes read)`);
      await cache.writesSettled();
      // What it did fetch is kept.
      assert.ok(cache.stats().sizeBytes > 0 && cache.stats().sizeBytes <= origin.served);
    } finally {
      await cache.dispose();
    }
  });

  test('two readers of one track share its fetch: one source for two parallel sequential reads', async () => {
    const size = 6 * MIB;
    const { data, origin, cacheDir, fp } = await scene(size, 4);
    const { cache } = await openCache(cacheDir, { readAheadBytes: 1 * MIB });
    try {
      origin.latencyMs = 2; // fetches in flight while both read
      const a = cache.track(fp, size, origin.factory);
      const b = cache.track(fp, size, origin.factory);
      assert.equal(a, b, 'one CachedTrack per fingerprint');
      assert.equal(a.users, 2);
      const [gotA, gotB] = await Promise.all([readAll(a), readAll(b, 96 * KIB)]);
      assert.ok(gotA.equals(data), 'reader A is exact');
      assert.ok(gotB.equals(data), 'reader B is exact');
      assert.equal(origin.opened, 1, 'one source for both readers');
      assert.equal(origin.served, size, 'each byte fetched once');
      cache.release(a);
      cache.release(b);
      await a.idle();
      await cache.writesSettled();
      assert.equal(cache.isComplete(fp), true);
      await waitFor(() => origin.closed === 1, 'the source to close');
    } finally {
      await cache.dispose();
    }
  });

  test('an origin that fails: the read rejects (no hang); once it works a later read succeeds', async () => {
    const size = 2 * MIB;
    const { data, origin, cacheDir, fp } = await scene(size, 5);
    const { cache } = await openCache(cacheDir);
    try {
      origin.failAlways = true;
      const track = cache.track(fp, size, origin.factory);
      await assert.rejects(settlesWithin(track.read(0, 128 * KIB), 3000, 'a read from a failing origin'), /injected origin failure/);
      await assert.rejects(settlesWithin(track.read(MIB, 128 * KIB), 3000, 'a second read from a failing origin'), /injected origin failure/);
      cache.release(track);
      await track.idle();
      assert.equal(origin.closed, origin.opened, 'failed fetches close their sources');
      assert.equal(cache.stats().sizeBytes, 0, 'nothing cached from a failing origin');

      // Opened again now that the origin works (the failed fetches were reported and dropped).
      origin.failAlways = false;
      const again = cache.track(fp, size, origin.factory);
      assert.ok((await settlesWithin(again.read(0, 128 * KIB), 3000, 'a read once the origin works')).equals(data.subarray(0, 128 * KIB)));
      assert.ok((await readAll(again)).equals(data));
      cache.release(again);
      await again.idle();
      await cache.writesSettled();
      assert.equal(cache.isComplete(fp), true);
      assert.equal(origin.closed, origin.opened);
      assert.equal(origin.handlesOpen, 0);
    } finally {
      await cache.dispose();
    }
  });

  test('an origin that fails mid-file leaves no wrong bytes cached', async () => {
    const size = 6 * MIB;
    const { data, origin, cacheDir, fp } = await scene(size, 6);
    let rig = await openCache(cacheDir, { readAheadBytes: 512 * KIB });
    try {
      origin.failAfterBytes = 3 * MIB + 100 * KIB;
      const track = rig.cache.track(fp, size, origin.factory);
      let failedAt = -1;
      for (let pos = 0; pos < size; pos += 128 * KIB) {
        try {
          const got = await settlesWithin(track.read(pos, 128 * KIB), 3000, `the read at ${pos}`);
          assert.ok(got.equals(data.subarray(pos, pos + 128 * KIB)), `bytes at ${pos} before the failure`);
        } catch (err) {
          assert.match((err as Error).message, /injected origin failure/);
          failedAt = pos;
          break;
        }
      }
      assert.ok(failedAt > 0 && failedAt <= 3 * MIB + 100 * KIB, `the read failed at ${failedAt}`);
      rig.cache.release(track);
      await track.idle();
      await rig.cache.writesSettled();
      assert.equal(rig.cache.isComplete(fp), false);
      const cached = rig.cache.stats().sizeBytes;
      assert.ok(cached > 0 && cached < size, `part of the file is cached (${cached} bytes)`);
    } finally {
      await rig.cache.dispose();
    }

    // Every cached chunk, as the index lists it and the store holds it, is the origin's bytes at its offset.
    const { index } = await CacheIndex.open(join(cacheDir, 'index'), silentLogger);
    try {
      const entries = index.track(fp)?.entries ?? [];
      assert.ok(entries.length > 0, 'chunks before the failure were kept');
      for (const e of entries) {
        const want = data.subarray(e.offset, e.offset + e.length);
        assert.equal(e.hash, sha(want), `manifest entry at ${e.offset} names the origin's bytes`);
        const file = await readFile(join(cacheDir, 'store', e.hash.slice(0, 2), e.hash));
        assert.ok(file.equals(want), `chunk file of the entry at ${e.offset}`);
      }
    } finally {
      await index.close();
    }

    // A new cache on the same folder, the origin working: everything reads right.
    origin.failAfterBytes = Infinity;
    rig = await openCache(cacheDir);
    try {
      const track = rig.cache.track(fp, size, origin.factory);
      assert.ok((await readAll(track)).equals(data), 'the whole file reads right after the failure');
      rig.cache.release(track);
      await track.idle();
      await rig.cache.writesSettled();
      assert.equal(rig.cache.isComplete(fp), true);
      assert.equal(rig.cache.stats().sizeBytes, size);
    } finally {
      await rig.cache.dispose();
    }
    assert.equal(origin.closed, origin.opened);
    assert.equal(origin.handlesOpen, 0);
  });

  test('fill() caches the whole track and reports progress bytes summing to its size', async () => {
    const size = 5 * MIB + 999;
    const { data, origin, cacheDir, fp } = await scene(size, 7);
    const { cache } = await openCache(cacheDir, { readAheadBytes: 1 * MIB });
    try {
      // Part of it cached already: fill counts those bytes too, without fetching them again.
      const t = cache.track(fp, size, origin.factory);
      await t.read(0, 300 * KIB);
      cache.release(t);
      await t.idle();
      await cache.writesSettled();
      const servedBefore = origin.served;

      const progress: number[] = [];
      await cache.fill(fp, size, origin.factory, (b) => void progress.push(b));
      assert.ok(progress.every((b) => b >= 0), 'no negative progress');
      assert.equal(progress.reduce((a, b) => a + b, 0), size, 'progress sums to the size');
      assert.equal(cache.isComplete(fp), true);
      assert.equal(cache.stats().tracksComplete, 1);
      assert.equal(origin.served, size, `each byte fetched once (${servedBefore} before the fill)`);

      const readsBefore = origin.reads.length;
      const again = cache.track(fp, size, origin.factory);
      assert.ok((await readAll(again)).equals(data));
      assert.equal(origin.reads.length, readsBefore, 'a filled track reads with no origin read');
      cache.release(again);
      await waitFor(() => origin.closed === origin.opened, 'every source to close');
    } finally {
      await cache.dispose();
    }
  });
});
