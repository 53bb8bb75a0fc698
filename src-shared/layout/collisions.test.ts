import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCollisions } from './collisions.js';
import type { PathClaim } from './collisions.js';

const claim = (key: string, path: string): PathClaim<string> => ({ key, components: path.split('/') });
const resolve = (...claims: PathClaim<string>[]): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, components] of resolveCollisions(claims)) out[key] = components.join('/');
  return out;
};
const bytesOf = (s: string): number => new TextEncoder().encode(s).length;

describe('resolveCollisions', () => {
  test('distinct paths are kept as they are', () => {
    assert.deepEqual(resolve(claim('a', 'A/X/01 - S.flac'), claim('b', 'A/X/02 - S.flac'), claim('c', 'B/X/01 - S.flac')), {
      a: 'A/X/01 - S.flac', b: 'A/X/02 - S.flac', c: 'B/X/01 - S.flac',
    });
  });

  test('the first claim keeps the path, the next get " (2)", " (3)" before the extension', () => {
    assert.deepEqual(resolve(claim('a', 'A/X/03 - Song.flac'), claim('b', 'A/X/03 - Song.flac'), claim('c', 'A/X/03 - Song.flac')), {
      a: 'A/X/03 - Song.flac', b: 'A/X/03 - Song (2).flac', c: 'A/X/03 - Song (3).flac',
    });
  });

  test('results depend only on the order: same order same names, other order other winner', () => {
    const claims = [claim('a', 'A/S.flac'), claim('b', 'A/S.flac'), claim('c', 'A/S.flac')];
    assert.deepEqual(resolve(...claims), resolve(...claims));
    assert.deepEqual(resolve(...[...claims].reverse()), { c: 'A/S.flac', b: 'A/S (2).flac', a: 'A/S (3).flac' });
  });

  test('a " (2)" name already claimed by another track is skipped', () => {
    // A later track really named "Song (2)" keeps its own name.
    assert.deepEqual(resolve(claim('a', 'A/Song.flac'), claim('b', 'A/Song.flac'), claim('c', 'A/Song (2).flac')), {
      a: 'A/Song.flac', b: 'A/Song (3).flac', c: 'A/Song (2).flac',
    });
    // ...and so does an earlier one.
    assert.deepEqual(resolve(claim('c', 'A/Song (2).flac'), claim('a', 'A/Song.flac'), claim('b', 'A/Song.flac')), {
      c: 'A/Song (2).flac', a: 'A/Song.flac', b: 'A/Song (3).flac',
    });
  });

  test('the same name in different directories is no collision', () => {
    assert.deepEqual(resolve(claim('a', 'A/X/S.flac'), claim('b', 'A/Y/S.flac'), claim('c', 'B/X/S.flac')), {
      a: 'A/X/S.flac', b: 'A/Y/S.flac', c: 'B/X/S.flac',
    });
  });

  test('names are compared case-sensitively', () => {
    assert.deepEqual(resolve(claim('a', 'A/song.flac'), claim('b', 'A/Song.flac')), { a: 'A/song.flac', b: 'A/Song.flac' });
  });

  test('names are compared after NFC', () => {
    const out = resolve(claim('a', 'Beyonce\u0301/S.flac'), claim('b', 'Beyonc\u00e9/S.flac'));
    assert.deepEqual(out, { a: 'Beyonc\u00e9/S.flac', b: 'Beyonc\u00e9/S (2).flac' });
  });

  test('a file named like an existing directory gets " (N)"', () => {
    assert.deepEqual(resolve(claim('a', 'A/X/S.flac'), claim('b', 'A/X')), { a: 'A/X/S.flac', b: 'A/X (2)' });
    assert.deepEqual(resolve(claim('a', 'A/X/S.flac'), claim('b', 'A/X.flac'), claim('c', 'A/X.flac')), {
      a: 'A/X/S.flac', b: 'A/X.flac', c: 'A/X (2).flac',
    });
  });

  test('a directory named like an existing file gets " (N)" at its end, shared by its later claims', () => {
    assert.deepEqual(resolve(claim('f', 'A/Live.1'), claim('a', 'A/Live.1/01.flac'), claim('b', 'A/Live.1/02.flac')), {
      f: 'A/Live.1', a: 'A/Live.1 (2)/01.flac', b: 'A/Live.1 (2)/02.flac',
    });
  });

  test('a renamed directory does not merge into a directory really named "X (2)"', () => {
    assert.deepEqual(resolve(claim('f', 'X'), claim('a', 'X/01.flac'), claim('b', 'X (2)/01.flac')), {
      f: 'X', a: 'X (3)/01.flac', b: 'X (2)/01.flac',
    });
  });

  test('a suffixed name still fits in 255 bytes, the stem is cut and ".flac" kept', () => {
    const long = `${'音'.repeat(83)}.flac`; // 249 + 5 = 254 bytes
    const out = resolveCollisions([{ key: 1, components: ['A', long] }, { key: 2, components: ['A', long] }]);
    const renamed = out.get(2)?.[1] ?? '';
    assert.equal(renamed, `${'音'.repeat(82)} (2).flac`); // 246 + 4 + 5 = 255
    assert.equal(bytesOf(renamed), 255);
    const longDir = 'd'.repeat(255);
    const dirs = resolveCollisions([{ key: 1, components: [longDir] }, { key: 2, components: [longDir, 'x.flac'] }]);
    assert.deepEqual(dirs.get(2), [`${'d'.repeat(251)} (2)`, 'x.flac']);
  });

  test('a name without an extension gets the suffix at its end', () => {
    assert.deepEqual(resolve(claim('a', 'A/Mr. Brightside'), claim('b', 'A/Mr. Brightside')), {
      a: 'A/Mr. Brightside', b: 'A/Mr. Brightside (2)',
    });
    assert.deepEqual(resolve(claim('a', 'A/_'), claim('b', 'A/_')), { a: 'A/_', b: 'A/_ (2)' });
  });

  test('a key claimed twice keeps its first claim', () => {
    assert.deepEqual(resolve(claim('a', 'A/S.flac'), claim('a', 'B/S.flac'), claim('b', 'A/S.flac')), {
      a: 'A/S.flac', b: 'A/S (2).flac',
    });
  });

  test('the result lists keys in claim order', () => {
    const out = resolveCollisions([claim('z', 'A/S.flac'), claim('y', 'A/S.flac'), claim('x', 'A/T.flac')]);
    assert.deepEqual([...out.keys()], ['z', 'y', 'x']);
  });

  test('10,000 identical claims in one directory resolve quickly and uniquely', () => {
    const count = 10_000;
    const claims: PathClaim<number>[] = [];
    for (let i = 0; i < count; i++) claims.push({ key: i, components: ['Artist', 'Album', 'Song.flac'] });
    for (let i = 0; i < count; i++) claims.push({ key: count + i, components: ['Artist', 'Album', `${i} - Song.flac`] });
    const startMs = performance.now();
    const out = resolveCollisions(claims);
    const elapsedMs = performance.now() - startMs;
    assert.equal(out.size, 2 * count);
    const names = new Set([...out.values()].map((c) => c.join('/')));
    assert.equal(names.size, 2 * count);
    assert.deepEqual(out.get(0), ['Artist', 'Album', 'Song.flac']);
    assert.deepEqual(out.get(count - 1), ['Artist', 'Album', `Song (${count}).flac`]);
    assert.deepEqual(out.get(count + 5), ['Artist', 'Album', '5 - Song.flac']);
    assert.ok(elapsedMs < 2_000, `took ${elapsedMs} ms`); // a quadratic rescan takes far longer
  });
});
