import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { makeSearchCatalog } from '../../../bench/search-catalog.js';
import { isMusicFsError, type ErrorCode } from '../../../src-shared/errors.js';
import { parseSearchQuery } from '../../../src-shared/search/query.js';
import type { TrackTags } from '../../../src-shared/track.js';
import { silentLogger } from '../base/logger.js';
import { Catalog } from './catalog.js';
import { CatalogSearcher } from './catalog-searcher.js';
import { RELEVANCE_MAX_COST } from './search-sql.js';

let root: string;
const searchers: CatalogSearcher[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'musicfs-search-'));
});

after(async () => {
  for (const s of searchers) await s.dispose();
  await rm(root, { recursive: true, force: true });
});

const newSearcher = (file: string, options?: { timeoutMs?: number }): CatalogSearcher => {
  const s = new CatalogSearcher(file, silentLogger, options);
  searchers.push(s);
  return s;
};

/** The worker thread, for tests that kill it or check that it is gone. */
const workerOf = (s: CatalogSearcher): Worker | undefined => (s as unknown as { worker: Worker | undefined }).worker;

const rejectsWith = async (promise: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<void> => {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isMusicFsError(err), String(err));
    assert.equal(err.code, code, err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
};

describe('CatalogSearcher on a small catalog', () => {
  let catalog: Catalog;
  let file: string;
  let searcher: CatalogSearcher;
  const titleOf = new Map<number, string>();

  const TRACKS: TrackTags[] = [
    { artist: 'Miles Davis', album: 'Kind of Blue', title: 'So What', genre: 'Jazz', year: 1959, compilation: false },
    { artist: 'Miles Davis', album: 'Kind of Blue', title: 'Blue in Green', genre: 'Jazz', year: 1959, compilation: false },
    { artist: 'Miles Davis', album: 'Bitches Brew', title: "Pharaoh's Dance", genre: 'Jazz Fusion', year: 1970, compilation: false },
    { artist: 'Miles Davis', album: 'Live at the Plugged Nickel', title: 'So What (Live)', genre: 'Jazz', year: 1965, compilation: false },
    { artist: 'John Coltrane', albumArtist: 'Miles Davis Sextet', album: 'Milestones', title: 'Dr. Jekyll', genre: 'Jazz', year: 1958, compilation: false },
    { artist: 'Beyoncé', album: 'Lemonade', title: 'Formation', genre: 'R&B', year: 2016, compilation: false },
    { artist: 'Björk', album: 'Homogenic', title: 'Jóga', genre: 'Electronic', year: 1997, compilation: false },
    { artist: 'Björk', album: 'Homogenic', title: 'Bachelorette', genre: 'Electronic', year: 1997, compilation: false },
    { artist: 'Paul McCartney', album: "Paul McCartney's Liverpool Oratorio", title: 'War', genre: 'Classical', year: 1991, compilation: false },
    { artist: '坂本龍一', album: '音楽図鑑', title: 'Tibetan Dance', genre: 'Electronic', year: 1984, compilation: false },
    { artist: 'The Beatles', album: 'Let It Be', title: 'Two of Us', genre: 'Rock', year: 1970, compilation: false },
    { artist: 'Nobody', album: 'Old Tape', title: 'Ancient Recording', genre: 'Rock', year: 195, compilation: false },
    { artist: 'Time Keepers', album: 'Clocks', title: '12:30 Blues', genre: 'Rock', year: 2001, compilation: false },
  ];

  before(async () => {
    file = join(root, 'small', 'catalog.db');
    catalog = Catalog.open(file, silentLogger);
    const origin = catalog.ensureOrigin('m', root, 'local');
    const applied = catalog.applyChanges(origin.id, {
      upserts: TRACKS.map((tags, i) => ({ path: `t${i}.flac`, size: 1, mtimeMs: 1, fingerprint: `f${i}`, audio: {}, tags })),
      errors: [],
      removed: [],
    });
    for (const t of applied.upserted) titleOf.set(t.id, t.tags.title!);
    searcher = newSearcher(file);
  });

  after(() => {
    catalog.close();
  });

  const titles = async (input: string): Promise<string[]> => {
    const result = await searcher.search(parseSearchQuery(input), 100, 0);
    assert.equal(result.total, result.ids.length, `total of ${input}`);
    return result.ids.map((id) => titleOf.get(id) ?? `#${id}`).sort();
  };

  test('an empty query finds nothing without starting the worker', async () => {
    const idle = newSearcher(file);
    assert.deepEqual((await idle.search(parseSearchQuery(''), 10, 0)).ids, []);
    assert.equal(idle.running, false);
  });

  test('is diacritic-insensitive both ways', async () => {
    assert.deepEqual(await titles('beyonce'), ['Formation']);
    assert.deepEqual(await titles('BEYONCÉ'), ['Formation']);
    assert.deepEqual(await titles('Beyonce\u0301'), ['Formation']);
    assert.deepEqual(await titles('bjork'), ['Bachelorette', 'Jóga']);
    assert.deepEqual(await titles('joga'), ['Jóga']);
  });

  test('words are prefixes and must all match; phrases are exact', async () => {
    assert.deepEqual(await titles('homo'), ['Bachelorette', 'Jóga']);
    assert.deepEqual(await titles('davis blue'), ['Blue in Green', 'So What']);
    assert.deepEqual(await titles('"kind of blue"'), ['Blue in Green', 'So What']);
    assert.deepEqual(await titles('"blue of kind"'), []);
    assert.deepEqual(await titles('"kind of blu"'), [], 'a phrase is not a prefix');
    assert.deepEqual(await titles('坂本'), ['Tibetan Dance']);
    assert.deepEqual(await titles('12:30'), ['12:30 Blues']);
  });

  test('field filters', async () => {
    assert.deepEqual(await titles('artist:miles'), ['Blue in Green', 'Dr. Jekyll', "Pharaoh's Dance", 'So What', 'So What (Live)'], 'artist covers the album artist');
    assert.deepEqual(await titles('albumartist:miles'), ['Dr. Jekyll']);
    assert.deepEqual(await titles('artist:coltrane'), ['Dr. Jekyll']);
    assert.deepEqual(await titles('albumartist:coltrane'), []);
    assert.deepEqual(await titles('artist:"miles davis sextet"'), ['Dr. Jekyll']);
    assert.deepEqual(await titles('title:blue'), ['12:30 Blues', 'Blue in Green']);
    assert.deepEqual(await titles('album:blue'), ['Blue in Green', 'So What']);
    assert.deepEqual(await titles('genre:fusion'), ["Pharaoh's Dance"]);
    assert.deepEqual(await titles('title:miles'), []);
    assert.deepEqual(await titles('Artist:BJORK title:jo'), ['Jóga']);
  });

  test('year ranges', async () => {
    assert.deepEqual(await titles('year:1959'), ['Blue in Green', 'So What']);
    assert.deepEqual(await titles('year:1950..1959'), ['Blue in Green', 'Dr. Jekyll', 'So What'], 'not the bogus year 195');
    assert.deepEqual(await titles('year:..1959'), ['Blue in Green', 'Dr. Jekyll', 'So What']);
    assert.deepEqual(await titles('year:<1959'), ['Dr. Jekyll']);
    assert.deepEqual(await titles('year:>=2000'), ['12:30 Blues', 'Formation']);
    assert.deepEqual(await titles('year:>2001'), ['Formation']);
    assert.deepEqual(await titles('year:1970'), ["Pharaoh's Dance", 'Two of Us']);
    assert.deepEqual(await titles('year:1960..'), ['12:30 Blues', 'Bachelorette', 'Formation', 'Jóga', "Pharaoh's Dance", 'So What (Live)', 'Tibetan Dance', 'Two of Us', 'War']);
    assert.deepEqual(await titles('artist:miles year:1960..'), ["Pharaoh's Dance", 'So What (Live)']);
    assert.deepEqual(await titles('dance year:<1980'), ["Pharaoh's Dance"]);
    assert.deepEqual(await titles('1959'), [], 'a bare number is text, not a year');
  });

  test('exclusions', async () => {
    assert.deepEqual(await titles('davis -live'), ['Blue in Green', 'Dr. Jekyll', "Pharaoh's Dance", 'So What']);
    assert.deepEqual(await titles('paul -live'), ['War'], '"-live" is a word, not a prefix: Liverpool stays');
    assert.deepEqual(await titles('artist:miles -genre:fusion -"so what"'), ['Blue in Green', 'Dr. Jekyll']);
    assert.deepEqual(await titles('-live year:1965..1970'), ["Pharaoh's Dance", 'Two of Us']);
  });

  test('sees what the catalog writes after it started', async () => {
    const origin = catalog.listOrigins()[0]!;
    const applied = catalog.applyChanges(origin.id, {
      upserts: [{ path: 'new.flac', size: 1, mtimeMs: 1, fingerprint: 'fnew', audio: {}, tags: { artist: 'Zoë Keating', title: 'Optimist', year: 2010, compilation: false } }],
      errors: [],
      removed: [],
    });
    titleOf.set(applied.upserted[0]!.id, 'Optimist');
    assert.deepEqual(await titles('zoe year:2010'), ['Optimist']);
    catalog.applyChanges(origin.id, { upserts: [], errors: [], removed: ['new.flac'] });
    assert.deepEqual(await titles('zoe'), []);
  });

  test('concurrent searches each get their own answer', async () => {
    const inputs = ['beyonce', 'bjork', 'year:1959', 'artist:coltrane', 'paul -live', 'homo', '坂本'];
    const expected = await Promise.all(inputs.map((i) => titles(i)));
    for (let round = 0; round < 3; round++) {
      assert.deepEqual(await Promise.all(inputs.map((i) => titles(i))), expected);
    }
  });

  test('limit and offset', async () => {
    const all = await searcher.search(parseSearchQuery('artist:miles'), 100, 0);
    assert.equal(all.total, 5);
    const first = await searcher.search(parseSearchQuery('artist:miles'), 2, 0);
    const second = await searcher.search(parseSearchQuery('artist:miles'), 2, 2);
    const rest = await searcher.search(parseSearchQuery('artist:miles'), 2, 4);
    assert.deepEqual([...first.ids, ...second.ids, ...rest.ids], all.ids);
    assert.equal(first.total, 5);
    assert.equal(rest.ids.length, 1);
    assert.deepEqual((await searcher.search(parseSearchQuery('artist:miles'), 2, 10)).ids, []);
    assert.deepEqual((await searcher.search(parseSearchQuery('artist:miles'), 0, 0)).ids, []);
    assert.ok(all.tookMs >= 0);
  });

  test('bad limits are refused', async () => {
    await rejectsWith(searcher.search(parseSearchQuery('miles'), -1, 0), 'QUERY_INVALID', /limit/);
    await rejectsWith(searcher.search(parseSearchQuery('miles'), 1.5, 0), 'QUERY_INVALID', /limit/);
    await rejectsWith(searcher.search(parseSearchQuery('miles'), 10, Number.NaN), 'QUERY_INVALID', /offset/);
    await rejectsWith(searcher.searchAll(parseSearchQuery('miles'), 0, () => undefined), 'QUERY_INVALID', /pageSize/);
  });

  test('a worker that dies is replaced', async () => {
    const s = newSearcher(file);
    assert.deepEqual((await s.search(parseSearchQuery('beyonce'), 10, 0)).ids.length, 1);
    const first = workerOf(s)!;
    await first.terminate();
    assert.deepEqual((await s.search(parseSearchQuery('beyonce'), 10, 0)).ids.length, 1);
    assert.notEqual(workerOf(s), first);
    // (Killing it in the middle of a search is covered by the deadline test:
    // a search finishes too fast here to be caught mid-way reliably.)
    assert.equal((await s.search(parseSearchQuery('bjork'), 10, 0)).ids.length, 2);
  });

  test('a search past its deadline fails and the worker is replaced', async () => {
    // Starting a worker and opening the catalog takes far longer than 1 ms.
    const s = newSearcher(file, { timeoutMs: 1 });
    await Promise.all([
      rejectsWith(s.search(parseSearchQuery('beyonce'), 10, 0), 'INTERNAL', /longer than 1 ms/),
      rejectsWith(s.search(parseSearchQuery('bjork'), 10, 0), 'INTERNAL', /longer than 1 ms/),
    ]);
    await s.dispose();
  });

  test('a missing catalog is an internal error, not a crash', async () => {
    const s = newSearcher(join(root, 'missing', 'catalog.db'));
    await rejectsWith(s.search(parseSearchQuery('x'), 10, 0), 'INTERNAL', /search failed/);
    await rejectsWith(s.search(parseSearchQuery('x'), 10, 0), 'INTERNAL', /search failed/);
  });

  test('dispose stops the thread and refuses later searches', async () => {
    const s = newSearcher(file);
    await s.search(parseSearchQuery('beyonce'), 10, 0);
    const worker = workerOf(s)!;
    assert.ok(worker.threadId > 0);
    const pending = rejectsWith(s.search(parseSearchQuery('bjork'), 10, 0), 'CANCELLED');
    await s.dispose();
    assert.equal(worker.threadId, -1, 'the thread has exited');
    assert.equal(s.running, false);
    await pending;
    await rejectsWith(s.search(parseSearchQuery('beyonce'), 10, 0), 'CANCELLED');
    await s.dispose();
  });
});

describe('CatalogSearcher on a generated catalog', () => {
  const N = 12_000;
  let searcher: CatalogSearcher;
  let file: string;

  before(async () => {
    file = join(root, 'generated', 'catalog.db');
    await makeSearchCatalog(file, N);
    searcher = newSearcher(file);
  });

  test('the generated catalog has the fixed albums', async () => {
    assert.equal((await searcher.search(parseSearchQuery('artist:"miles davis" album:"kind of blue" year:1959'), 100, 0)).total, 5);
    assert.equal((await searcher.search(parseSearchQuery('beyonce lemonade'), 100, 0)).total, 3);
  });

  test('broad queries count up to 10,000 and page in a stable order', async () => {
    const query = parseSearchQuery('a');
    const first = await searcher.search(query, 100, 0);
    assert.ok(first.total > RELEVANCE_MAX_COST && first.total <= N, `total ${first.total}: broad enough not to be ranked`);
    assert.deepEqual(first.ids, [...first.ids].sort((x, y) => x - y), 'catalog order for a broad match');
    const pages: number[] = [];
    for (let offset = 0; offset < 1_000; offset += 250) pages.push(...(await searcher.search(query, 250, offset)).ids);
    assert.deepEqual(pages, (await searcher.search(query, 1_000, 0)).ids);
    assert.equal(new Set(pages).size, pages.length);
  });

  test('narrow queries are ranked, and pages of a ranked query join up', async () => {
    const query = parseSearchQuery('zeppelin');
    const all = await searcher.search(query, 1_000, 0);
    assert.ok(all.total > 0 && all.total < 100, `total ${all.total}`);
    const pages: number[] = [];
    for (let offset = 0; offset < all.total; offset += 3) pages.push(...(await searcher.search(query, 3, offset)).ids);
    assert.deepEqual(pages, all.ids);
  });

  test('searchAll delivers every match once, in pages, in id order', async () => {
    const query = parseSearchQuery('the');
    const { total } = await searcher.search(query, 0, 0);
    const pages: number[][] = [];
    const delivered = await searcher.searchAll(query, 500, (ids) => pages.push(ids));
    const ids = pages.flat();
    assert.equal(delivered, ids.length);
    assert.equal(ids.length, total);
    assert.ok(pages.slice(0, -1).every((p) => p.length === 500));
    assert.deepEqual(ids, [...new Set(ids)].sort((x, y) => x - y));
  });

  test('searchAll of a year range matches search', async () => {
    const query = parseSearchQuery('year:1990..1999 -love');
    const { total } = await searcher.search(query, 0, 0);
    let count = 0;
    assert.equal(await searcher.searchAll(query, 97, (ids) => void (count += ids.length)), total);
    assert.equal(count, total);
  });

  test('searchAll stops when its signal aborts', async () => {
    const controller = new AbortController();
    let pages = 0;
    const delivered = await searcher.searchAll(parseSearchQuery('a'), 100, () => {
      pages++;
      controller.abort();
    }, controller.signal);
    assert.equal(pages, 1);
    assert.equal(delivered, 100);
    assert.equal(await searcher.searchAll(parseSearchQuery('a'), 100, () => assert.fail('no page after abort'), AbortSignal.abort()), 0);
  });

  test('an exception in onPage rejects searchAll', async () => {
    await assert.rejects(searcher.searchAll(parseSearchQuery('a'), 100, () => {
      throw new Error('consumer gone');
    }), /consumer gone/);
    // The searcher is still fine.
    assert.ok((await searcher.search(parseSearchQuery('a'), 1, 0)).total > 0);
  });

  test('other searches run between the pages of a searchAll', async () => {
    let between: number | undefined;
    let pages = 0;
    const all = searcher.searchAll(parseSearchQuery('a'), 200, () => {
      pages++;
      if (pages === 1) void searcher.search(parseSearchQuery('beyonce'), 10, 0).then((r) => (between = pages));
    });
    await all;
    assert.ok(between !== undefined && between < pages, `answered after page ${between} of ${pages}`);
  });
});
