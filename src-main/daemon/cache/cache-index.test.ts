import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Level } from 'level';
import { silentLogger } from '../base/logger.js';
import { CacheInUseError } from './cache-errors.js';
import { CacheIndex, type CacheIndexOptions, type ManifestEntry } from './cache-index.js';
import { ChunkStore } from './chunk-store.js';

let tmp: string;
let n = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-index-'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const fp = (name: string): string => sha(`track ${name}`);
const h = (name: string): string => sha(`chunk ${name}`);
const e = (offset: number, length: number, hash: string): ManifestEntry => ({ offset, length, hash });
const newDir = (): string => join(tmp, `index-${++n}`);

async function openIndex(dir = newDir(), options: CacheIndexOptions = {}): Promise<CacheIndex> {
  const { index, rebuilt } = await CacheIndex.open(dir, silentLogger, options);
  assert.equal(rebuilt, false);
  return index;
}

/** Opens, runs `fn`, closes. */
async function withIndex<T>(fn: (index: CacheIndex) => T | Promise<T>, dir = newDir(), options: CacheIndexOptions = {}): Promise<T> {
  const index = await openIndex(dir, options);
  try {
    return await fn(index);
  } finally {
    await index.close();
  }
}

const plain = (entries: readonly ManifestEntry[]): ManifestEntry[] => entries.map(({ offset, length, hash }) => ({ offset, length, hash }));

describe('CacheIndex manifests', () => {
  test('adds entries, skips overlapping ones (first writer wins), knows when the track is complete', () =>
    withIndex((index) => {
      const t = fp('a');
      assert.deepEqual(index.addEntries(t, 300, [e(0, 100, h('1')), e(100, 100, h('2'))]), [e(0, 100, h('1')), e(100, 100, h('2'))]);
      const info = index.track(t)!;
      assert.equal(info.size, 300);
      assert.equal(info.bytes, 200);
      assert.equal(info.complete, false);

      // [50, 150) overlaps both; [200, 300) fills the gap.
      const added = index.addEntries(t, 300, [e(50, 100, h('x')), e(200, 100, h('3'))]);
      assert.deepEqual(added, [e(200, 100, h('3'))]);
      assert.equal(info.complete, true, 'a view follows later changes');
      assert.deepEqual(plain(info.entries), [e(0, 100, h('1')), e(100, 100, h('2')), e(200, 100, h('3'))]);
      assert.equal(index.chunk(h('x')), undefined, 'a skipped entry adds no chunk');
      assert.deepEqual(index.totals, { tracks: 1, completeTracks: 1, pinnedTracks: 0, chunks: 3, chunkBytes: 300 });
    }));

  test('entries of one call are sorted and checked against each other; gaps stay gaps', () =>
    withIndex((index) => {
      const t = fp('b');
      const added = index.addEntries(t, 1000, [e(500, 100, h('c')), e(0, 100, h('a')), e(50, 100, h('b')), e(900, 100, h('d'))]);
      assert.deepEqual(added, [e(0, 100, h('a')), e(500, 100, h('c')), e(900, 100, h('d'))]);
      assert.deepEqual(
        index.track(t)!.entries.map((x) => x.offset),
        [0, 500, 900],
      );
      assert.equal(index.track(t)!.complete, false);
      assert.deepEqual(index.entryAt(t, 0), e(0, 100, h('a')));
      assert.deepEqual(index.entryAt(t, 99), e(0, 100, h('a')));
      assert.equal(index.entryAt(t, 100), undefined);
      assert.deepEqual(index.entryAt(t, 999), e(900, 100, h('d')));
      assert.equal(index.entryAt(t, 1000), undefined);
      assert.equal(index.entryAt(fp('nope'), 0), undefined);
      assert.deepEqual(
        index.entriesIn(t, 50, 950).map((x) => x.offset),
        [0, 500, 900],
      );
      assert.deepEqual(
        index.entriesIn(t, 100, 500).map((x) => x.offset),
        [],
      );
      assert.deepEqual(
        index.entriesIn(t, 599, 600).map((x) => x.offset),
        [500],
      );
    }));

  test('refuses malformed input without changing anything', () =>
    withIndex((index) => {
      const t = fp('c');
      assert.throws(() => index.addEntries('../x', 10, []), RangeError);
      assert.throws(() => index.addEntries(t, 10, [e(0, 10, 'ABC')]), RangeError);
      assert.throws(() => index.addEntries(t, 10, [e(5, 10, h('1'))]), RangeError, 'past the end');
      assert.throws(() => index.addEntries(t, 10, [e(0, 0, h('1'))]), RangeError, 'empty');
      assert.throws(() => index.addEntries(t, 10, [e(-1, 5, h('1'))]), RangeError);
      assert.throws(() => index.addEntries(t, 10, [e(0, 5, h('1')), e(5, 4, h('1'))]), RangeError, 'one chunk, two lengths');
      assert.equal(index.track(t), undefined);
      index.addEntries(t, 10, [e(0, 5, h('1'))]);
      assert.throws(() => index.addEntries(fp('d'), 10, [e(0, 6, h('1'))]), RangeError, 'the index knows this chunk as 5 bytes');
      assert.throws(() => index.addEntries(t, 11, [e(5, 5, h('2'))]), RangeError, 'size differs');
      assert.deepEqual(index.totals, { tracks: 1, completeTracks: 0, pinnedTracks: 0, chunks: 1, chunkBytes: 5 });
    }));

  test('offsets beyond 4 GiB are kept exactly', () =>
    withIndex((index) => {
      const t = fp('huge');
      const size = 6 * 2 ** 30 + 12345;
      index.addEntries(t, size, [e(size - 1000, 1000, h('tail')), e(2 ** 32 - 10, 20, h('mid'))]);
      assert.deepEqual(
        index.track(t)!.entries.map((x) => x.offset),
        [2 ** 32 - 10, size - 1000],
      );
      assert.deepEqual(index.entryAt(t, 2 ** 32 + 5), e(2 ** 32 - 10, 20, h('mid')));
    }));
});

describe('CacheIndex chunk references', () => {
  test('two tracks sharing chunks: refs count both, bytes count each chunk once', () =>
    withIndex((index) => {
      const a = fp('a');
      const b = fp('b');
      index.addEntries(a, 300, [e(0, 100, h('tagsA')), e(100, 200, h('audio'))]);
      index.addEntries(b, 320, [e(0, 120, h('tagsB')), e(120, 200, h('audio'))]);
      assert.equal(index.chunk(h('audio'))?.refs, 2);
      assert.equal(index.chunk(h('tagsA'))?.refs, 1);
      assert.deepEqual(index.totals, { tracks: 2, completeTracks: 2, pinnedTracks: 0, chunks: 3, chunkBytes: 420 });

      assert.deepEqual(index.removeTrack(a), [h('tagsA')], 'the shared chunk is still used by b');
      assert.equal(index.track(a), undefined);
      assert.equal(index.chunk(h('audio'))?.refs, 1);
      assert.deepEqual(index.totals, { tracks: 1, completeTracks: 1, pinnedTracks: 0, chunks: 2, chunkBytes: 320 });

      assert.deepEqual(index.removeTrack(b).sort(), [h('audio'), h('tagsB')].sort());
      assert.deepEqual(index.totals, { tracks: 0, completeTracks: 0, pinnedTracks: 0, chunks: 0, chunkBytes: 0 });
      assert.deepEqual(index.removeTrack(b), [], 'removing twice is fine');
    }));

  test('a chunk used twice by one track counts twice and is released once', () =>
    withIndex((index) => {
      const t = fp('silence');
      index.addEntries(t, 300, [e(0, 100, h('zero')), e(100, 100, h('zero')), e(200, 100, h('end'))]);
      assert.equal(index.chunk(h('zero'))?.refs, 2);
      assert.equal(index.totals.chunkBytes, 200);
      assert.deepEqual(index.removeTrack(t).sort(), [h('end'), h('zero')].sort());
    }));

  test('a view of a removed track shows no entries', () =>
    withIndex((index) => {
      const t = fp('gone');
      index.addEntries(t, 100, [e(0, 100, h('1'))]);
      const view = index.track(t)!;
      assert.equal(view.entries.length, 1);
      index.removeTrack(t);
      assert.deepEqual(view.entries, []);
      assert.equal(view.complete, false);
    }));

  test('dropChunk removes the chunk from every manifest; those tracks become incomplete', () =>
    withIndex((index) => {
      const a = fp('a');
      const b = fp('b');
      index.addEntries(a, 200, [e(0, 100, h('1')), e(100, 100, h('shared'))]);
      index.addEntries(b, 200, [e(0, 100, h('shared')), e(100, 100, h('2'))]);
      index.dropChunk(h('shared'));
      assert.equal(index.chunk(h('shared')), undefined);
      assert.deepEqual(plain(index.track(a)!.entries), [e(0, 100, h('1'))]);
      assert.deepEqual(plain(index.track(b)!.entries), [e(100, 100, h('2'))]);
      assert.equal(index.track(a)!.complete, false);
      assert.deepEqual(index.totals, { tracks: 2, completeTracks: 0, pinnedTracks: 0, chunks: 2, chunkBytes: 200 });
      index.dropChunk(h('unknown'));
      // The gap can be filled again (the chunk refetched).
      assert.equal(index.addEntries(a, 200, [e(100, 100, h('shared'))]).length, 1);
      assert.equal(index.track(a)!.complete, true);
      assert.equal(index.chunk(h('shared'))?.refs, 1);
    }));

  test('the chunk table stays consistent through many adds and removes', () =>
    withIndex((index) => {
      // A model of refs by hash, checked against the index (exercises growth and deletion of the hash table).
      const model = new Map<string, number>();
      const tracks = new Map<string, string[]>();
      let seed = 1;
      const rand = (k: number): number => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % k;
      };
      for (let round = 0; round < 3000; round++) {
        if (tracks.size > 0 && rand(3) === 0) {
          const victim = [...tracks.keys()][rand(tracks.size)]!;
          const freed = index.removeTrack(victim).sort();
          const expected: string[] = [];
          for (const hash of tracks.get(victim)!) {
            const left = model.get(hash)! - 1;
            if (left === 0) {
              model.delete(hash);
              expected.push(hash);
            } else model.set(hash, left);
          }
          assert.deepEqual(freed, [...new Set(expected)].sort());
          tracks.delete(victim);
          continue;
        }
        const t = fp(`r${round}`);
        const hashes = Array.from({ length: 1 + rand(8) }, () => h(`c${rand(4000)}`));
        index.addEntries(
          t,
          hashes.length * 10,
          hashes.map((hash, i) => e(i * 10, 10, hash)),
        );
        for (const hash of hashes) model.set(hash, (model.get(hash) ?? 0) + 1);
        tracks.set(t, hashes);
      }
      for (const [hash, refs] of model) assert.equal(index.chunk(hash)?.refs, refs, hash);
      assert.equal(index.totals.chunks, model.size);
      assert.equal(index.totals.chunkBytes, model.size * 10);
      for (let i = 0; i < 4000; i++) if (!model.has(h(`c${i}`))) assert.equal(index.chunk(h(`c${i}`)), undefined);
    }));
});

describe('CacheIndex pins and eviction order', () => {
  test('evictionOrder is least recently used first and leaves out pinned tracks', () =>
    withIndex((index) => {
      const [a, b, c] = [fp('a'), fp('b'), fp('c')];
      for (const t of [a, b, c]) index.addEntries(t, 10, [e(0, 10, h(t))]);
      index.touch(a, 3000);
      index.touch(b, 1000);
      index.touch(c, 2000);
      assert.deepEqual(
        index.evictionOrder().map((t) => t.fingerprint),
        [b, c, a],
      );
      assert.equal(index.track(b)!.lastAccess, 1000);
      assert.equal(index.chunk(h(b))!.lastAccess, 1000, 'touch marks the chunks too');
      index.setPinned(b, true);
      assert.deepEqual(
        index.evictionOrder().map((t) => t.fingerprint),
        [c, a],
      );
      assert.equal(index.totals.pinnedTracks, 1);
      assert.deepEqual(index.removeTrack(b), [], 'a pinned track stays');
      assert.ok(index.track(b));
      assert.deepEqual(index.removeTrack(b, { force: true }), [h(b)]);
      assert.equal(index.totals.pinnedTracks, 0);
    }));

  test('pinning a track the index does not have creates it empty; its size is learnt later', () =>
    withIndex((index) => {
      const t = fp('later');
      index.setPinned(t, true);
      assert.deepEqual(
        { size: index.track(t)!.size, pinned: index.track(t)!.pinned, entries: index.track(t)!.entries },
        { size: 0, pinned: true, entries: [] },
      );
      index.addEntries(t, 50, [e(0, 50, h('1'))]);
      assert.equal(index.track(t)!.size, 50);
      assert.equal(index.track(t)!.complete, true);
      const u = fp('known');
      index.setPinned(u, true, 1234);
      assert.equal(index.track(u)!.size, 1234);
      index.setPinned(fp('never'), false);
      assert.equal(index.track(fp('never')), undefined, 'unpinning an unknown track creates nothing');
      assert.deepEqual(index.totals, { tracks: 2, completeTracks: 1, pinnedTracks: 2, chunks: 1, chunkBytes: 50 });
    }));
});

describe('CacheIndex persistence', () => {
  test('everything survives close and open; refs are counted again from the manifests', async () => {
    const dir = newDir();
    const [a, b] = [fp('a'), fp('b')];
    await withIndex((index) => {
      index.addEntries(a, 300, [e(0, 100, h('1')), e(100, 200, h('shared'))]);
      index.addEntries(b, 2 ** 33, [e(2 ** 32, 200, h('shared'))]);
      index.setCuts(a, [100, 299]);
      index.setPinned(b, true);
      index.touch(a, 5000);
      index.touch(b, 7000);
    }, dir);
    await withIndex((index) => {
      const ta = index.track(a)!;
      assert.deepEqual(
        { size: ta.size, complete: ta.complete, pinned: ta.pinned, lastAccess: ta.lastAccess, cuts: ta.cuts, bytes: ta.bytes },
        { size: 300, complete: true, pinned: false, lastAccess: 5000, cuts: [100, 299], bytes: 300 },
      );
      assert.deepEqual(plain(ta.entries), [e(0, 100, h('1')), e(100, 200, h('shared'))]);
      const tb = index.track(b)!;
      assert.equal(tb.pinned, true);
      assert.equal(tb.lastAccess, 7000);
      assert.deepEqual(plain(tb.entries), [e(2 ** 32, 200, h('shared'))]);
      assert.deepEqual(index.chunk(h('shared')), { hash: h('shared'), size: 200, refs: 2, lastAccess: 7000 });
      assert.deepEqual(index.totals, { tracks: 2, completeTracks: 1, pinnedTracks: 1, chunks: 2, chunkBytes: 300 });
      // Removals persist too.
      index.removeTrack(a);
      index.setPinned(b, false);
    }, dir);
    await withIndex((index) => {
      assert.equal(index.track(a), undefined);
      assert.equal(index.track(b)!.pinned, false);
      assert.deepEqual(index.totals, { tracks: 1, completeTracks: 0, pinnedTracks: 0, chunks: 1, chunkBytes: 200 });
    }, dir);
  });

  test('close flushes writes that were waiting; changes after close throw', async () => {
    const dir = newDir();
    const index = await openIndex(dir, { flushDelayMs: 60_000, accessFlushDelayMs: 60_000 });
    index.addEntries(fp('a'), 10, [e(0, 10, h('1'))]);
    index.touch(fp('a'), 42);
    await index.close();
    await index.close();
    assert.throws(() => index.addEntries(fp('b'), 10, []), /closed/);
    assert.ok(index.track(fp('a')), 'lookups still answer');
    await withIndex((again) => {
      assert.equal(again.track(fp('a'))!.lastAccess, 42);
      assert.equal(again.track(fp('a'))!.entries.length, 1);
    }, dir);
  });

  test('write-behind: a batch reaches LevelDB without flush(); a crash loses only what was still pending', async () => {
    const dir = newDir();
    const moduleUrl = new URL('./cache-index.js', import.meta.url).href;
    // A child process adds entries and dies without closing (process.exit: no flush).
    const crashAfter = async (waitMs: number, name: string): Promise<void> => {
      const script = `
        const { CacheIndex } = await import(${JSON.stringify(moduleUrl)});
        const { silentLogger } = await import(${JSON.stringify(new URL('../base/logger.js', import.meta.url).href)});
        const { index } = await CacheIndex.open(${JSON.stringify(dir)}, silentLogger, { flushDelayMs: 20, accessFlushDelayMs: 20 });
        index.addEntries(${JSON.stringify(fp(name))}, 10, [{ offset: 0, length: 10, hash: ${JSON.stringify(h(name))} }]);
        index.touch(${JSON.stringify(fp(name))}, 99);
        setTimeout(() => process.exit(0), ${waitMs});
      `;
      await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
    };
    await crashAfter(500, 'written');
    await crashAfter(0, 'lost');
    await withIndex((index) => {
      assert.equal(index.track(fp('written'))?.entries.length, 1);
      assert.equal(index.track(fp('written'))?.lastAccess, 99);
      assert.equal(index.track(fp('lost')), undefined);
    }, dir);
  });

  test('many pending tracks are written at once, before the delay', async () => {
    const dir = newDir();
    const index = await openIndex(dir, { flushDelayMs: 60_000, maxPendingTracks: 50 });
    for (let i = 0; i < 60; i++) index.addEntries(fp(`m${i}`), 10, [e(0, 10, h(`m${i}`))]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Look at LevelDB's files: the batch went to its log before close.
    const log = (await readdir(dir)).find((name) => name.endsWith('.log'));
    assert.ok(log);
    assert.ok((await readFile(join(dir, log))).includes(Buffer.from(`t!${fp('m0')}`)));
    await index.close();
  });
});

describe('CacheIndex recovery', () => {
  async function populated(dir: string): Promise<void> {
    await withIndex((index) => {
      index.addEntries(fp('a'), 10, [e(0, 10, h('1'))]);
    }, dir);
  }

  test('garbage in CURRENT: the index is moved aside and rebuilt empty', async () => {
    const dir = newDir();
    await populated(dir);
    await writeFile(join(dir, 'CURRENT'), 'not a manifest name at all');
    const { index, rebuilt } = await CacheIndex.open(dir, silentLogger);
    assert.equal(rebuilt, true);
    assert.equal(index.totals.tracks, 0);
    index.addEntries(fp('b'), 10, [e(0, 10, h('2'))]);
    await index.close();
    const copies = (await readdir(tmp)).filter((name) => name.startsWith(`${dir.split('/').pop()}.corrupt-`));
    assert.equal(copies.length, 1);
    await withIndex((again) => assert.equal(again.totals.tracks, 1), dir);
  });

  test('garbage in the MANIFEST: rebuilt; only the newest moved-aside copy is kept', async () => {
    const dir = newDir();
    await populated(dir);
    const manifest = (await readdir(dir)).find((name) => name.startsWith('MANIFEST-'))!;
    await writeFile(join(dir, manifest), randomBytes(4096));
    const first = await CacheIndex.open(dir, silentLogger);
    assert.equal(first.rebuilt, true);
    await first.index.close();
    await new Promise((resolve) => setTimeout(resolve, 5)); // another time stamp
    const manifest2 = (await readdir(dir)).find((name) => name.startsWith('MANIFEST-'))!;
    await writeFile(join(dir, manifest2), randomBytes(4096));
    const second = await CacheIndex.open(dir, silentLogger);
    assert.equal(second.rebuilt, true);
    await second.index.close();
    const copies = (await readdir(tmp)).filter((name) => name.startsWith(`${dir.split('/').pop()}.corrupt-`));
    assert.equal(copies.length, 1);
  });

  test('an index of another schema version, or without one, is rebuilt', async () => {
    const dir = newDir();
    const db = new Level<string, Buffer>(dir, { valueEncoding: 'buffer' });
    await db.put('v', Buffer.from([99, 0, 0, 0]));
    await db.close();
    assert.equal((await CacheIndex.open(dir, silentLogger).then(async (r) => (await r.index.close(), r))).rebuilt, true);

    const dir2 = newDir();
    const db2 = new Level<string, Buffer>(dir2, { valueEncoding: 'buffer' });
    await db2.put('t!something', Buffer.from('old'));
    await db2.close();
    assert.equal((await CacheIndex.open(dir2, silentLogger).then(async (r) => (await r.index.close(), r))).rebuilt, true);
  });

  test('an unreadable track value is dropped, the others kept', async () => {
    const dir = newDir();
    await populated(dir);
    const db = new Level<string, Buffer>(dir, { valueEncoding: 'buffer' });
    await db.put(`t!${fp('bad')}`, Buffer.from('garbage'));
    await db.put(`a!${fp('orphan-access')}`, Buffer.alloc(8));
    await db.close();
    await withIndex((index) => {
      assert.equal(index.totals.tracks, 1);
      assert.ok(index.track(fp('a')));
    }, dir);
    const check = new Level<string, Buffer>(dir, { valueEncoding: 'buffer' });
    assert.equal(await check.get(`t!${fp('bad')}`), undefined, 'the bad key was deleted');
    assert.equal(await check.get(`a!${fp('orphan-access')}`), undefined);
    await check.close();
  });

  test('an index held by another process is not touched: CacheInUseError', async () => {
    const dir = newDir();
    const index = await openIndex(dir);
    index.addEntries(fp('a'), 10, [e(0, 10, h('1'))]);
    await assert.rejects(CacheIndex.open(dir, silentLogger), (err: unknown) => err instanceof CacheInUseError && err.path === dir);
    await index.close();
    assert.equal((await readdir(tmp)).filter((name) => name.includes('.corrupt-') && name.startsWith(dir.split('/').pop()!)).length, 0);
    await withIndex((again) => assert.equal(again.totals.tracks, 1), dir);
  });
});

describe('CacheIndex.reconcile with a real ChunkStore', () => {
  const bytesOf = (s: string, size: number): { hash: string; data: Buffer } => {
    const data = Buffer.alloc(size, s);
    return { hash: createHash('sha256').update(data).digest('hex'), data };
  };

  test('deletes orphans, drops chunks whose file is missing or of the wrong size', async () => {
    const store = await ChunkStore.open(join(tmp, `store-${++n}`), silentLogger);
    const [kept, orphan, missing, torn] = [bytesOf('k', 1000), bytesOf('o', 2000), bytesOf('m', 3000), bytesOf('t', 4000)];
    for (const c of [kept, orphan, torn]) await store.put(c.hash, c.data);
    await truncate(store.pathOf(torn.hash), 100); // a power loss without fsync
    await withIndex(async (index) => {
      const a = fp('a');
      const b = fp('b');
      index.addEntries(a, 4000, [e(0, 1000, kept.hash), e(1000, 3000, missing.hash)]);
      index.addEntries(b, 4000, [e(0, 4000, torn.hash)]);
      const result = await index.reconcile(store);
      assert.deepEqual(result, { orphansDeleted: 1, missingDropped: 2 });
      assert.equal(await store.has(orphan.hash), false);
      assert.equal(await store.has(torn.hash), false);
      assert.deepEqual(await store.get(kept.hash), kept.data);
      assert.deepEqual(plain(index.track(a)!.entries), [e(0, 1000, kept.hash)]);
      assert.equal(index.track(a)!.complete, false);
      assert.deepEqual(index.track(b)!.entries, []);
      assert.equal(index.chunk(missing.hash), undefined);
      assert.deepEqual(index.totals, { tracks: 2, completeTracks: 0, pinnedTracks: 0, chunks: 1, chunkBytes: 1000 });
      assert.deepEqual(await index.reconcile(store), { orphansDeleted: 0, missingDropped: 0 }, 'a second pass finds nothing');
    });
  });

  test('a rebuilt (empty) index makes every chunk an orphan', async () => {
    const store = await ChunkStore.open(join(tmp, `store-${++n}`), silentLogger);
    for (const s of ['x', 'y', 'z']) {
      const c = bytesOf(s, 500);
      await store.put(c.hash, c.data);
    }
    await withIndex(async (index) => {
      assert.deepEqual(await index.reconcile(store), { orphansDeleted: 3, missingDropped: 0 });
    });
    const left: string[] = [];
    for await (const c of store.list()) left.push(c.hash);
    assert.deepEqual(left, []);
  });

  test('chunks added while it runs count as present', async () => {
    const store = await ChunkStore.open(join(tmp, `store-${++n}`), silentLogger);
    const late = bytesOf('late', 700);
    await withIndex(async (index) => {
      const slowStore = {
        async *list() {
          // The listing has passed the chunk's folder when the chunk is written and indexed.
          await store.put(late.hash, late.data);
          index.addEntries(fp('late'), 700, [e(0, 700, late.hash)]);
          yield* [];
        },
        delete: (hash: string) => store.delete(hash),
      };
      assert.deepEqual(await index.reconcile(slowStore), { orphansDeleted: 0, missingDropped: 0 });
      assert.equal(index.track(fp('late'))!.complete, true);
    });
  });
});
