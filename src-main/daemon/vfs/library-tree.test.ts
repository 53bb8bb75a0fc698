import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LAYOUT, compileLayout } from '../../../src-shared/layout/index.js';
import type { TrackTags } from '../../../src-shared/track.js';
import type { TrackRecord } from '../catalog/catalog.js';
import { LibraryTree, type DirNode, type FileNode, type Replica } from './library-tree.js';

const layout = compileLayout(DEFAULT_LAYOUT);

/** A catalog track; by default "Artist/Album/NN - Title.flac" under the default layout. */
function track(id: number, over: Partial<Omit<TrackRecord, 'tags'>> & { tags?: Partial<TrackTags> } = {}): TrackRecord {
  const { tags, ...rest } = over;
  return {
    id,
    originId: 1,
    path: `music/${id}.flac`,
    size: 1000 + id,
    mtimeMs: 1_700_000_000_000 + id,
    fingerprint: `fp-${id}`,
    audio: {},
    scannedAt: 0,
    ...rest,
    tags: { artist: 'Artist', album: 'Album', title: `Title ${id}`, track: id, compilation: false, ...tags },
  };
}

const build = (tracks: TrackRecord[], originOrder: number[] = [1, 2, 3]): LibraryTree => LibraryTree.build({ tracks, originOrder, layout });
const file = (tree: LibraryTree, path: string): FileNode => {
  const node = tree.lookup(path);
  assert.ok(node, `${path} exists`);
  assert.equal(node.kind, 'file', `${path} is a file`);
  return node;
};
const dir = (tree: LibraryTree, path: string): DirNode => {
  const node = tree.lookup(path);
  assert.ok(node, `${path} exists`);
  assert.equal(node.kind, 'dir', `${path} is a folder`);
  return node;
};
const paths = (tree: LibraryTree): string[] => [...tree.filePaths()].sort();

/** Deterministic shuffle (a fixed LCG), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Replicas as placed (their catalog mtimes are checked by the reader, not here). */
const withoutMtimes = (replicas: readonly Replica[]): Omit<Replica, 'mtimeMs'>[] => replicas.map(({ mtimeMs: _mtimeMs, ...r }) => r);

describe('LibraryTree.build', () => {
  test('places files by the layout and creates their folders', () => {
    const tree = build([track(1, { tags: { albumArtist: 'Massive Attack', album: 'Mezzanine', title: 'Angel', track: 1 } })]);
    assert.deepEqual(paths(tree), ['/Massive Attack/Mezzanine/01 - Angel.flac']);
    assert.deepEqual(dir(tree, '/').names, ['Massive Attack']);
    assert.deepEqual(dir(tree, '/Massive Attack').names, ['Mezzanine']);
    assert.deepEqual(dir(tree, '/Massive Attack/Mezzanine').names, ['01 - Angel.flac']);
    const f = file(tree, '/Massive Attack/Mezzanine/01 - Angel.flac');
    assert.equal(f.size, 1001);
    assert.equal(f.fingerprint, 'fp-1');
    assert.deepEqual(withoutMtimes(f.replicas), [{ originId: 1, path: 'music/1.flac', trackId: 1 }]);
    assert.equal(tree.lookup('/Massive Attack/Nope'), undefined);
    assert.equal(tree.lookup('Massive Attack'), undefined, 'paths are absolute');
  });

  test('an empty catalog gives an empty root', () => {
    for (const tree of [build([]), LibraryTree.empty()]) {
      assert.deepEqual(dir(tree, '/').names, []);
      assert.equal(dir(tree, '/').ino, 1);
      assert.equal(tree.fileCount, 0);
      assert.equal(tree.dirCount, 1);
      assert.equal(tree.totalBytes, 0);
      assert.deepEqual(paths(tree), []);
    }
  });

  test('one file per fingerprint, replicas ordered by origin rank then id', () => {
    const tracks = [
      track(10, { originId: 1, fingerprint: 'same', path: 'a/x.flac', tags: { title: 'From One' } }),
      track(4, { originId: 2, fingerprint: 'same', path: 'b/x.flac', tags: { title: 'From Two' } }),
      track(7, { originId: 3, fingerprint: 'same', path: 'c/x.flac', tags: { title: 'From Three' } }),
      track(2, { originId: 1, fingerprint: 'same', path: 'a/copy.flac', tags: { title: 'From One Copy' } }),
    ];
    const tree = build(tracks, [3, 1, 2]);
    assert.equal(tree.fileCount, 1);
    const [only] = paths(tree);
    const f = file(tree, only!);
    assert.deepEqual(withoutMtimes(f.replicas), [
      { originId: 3, path: 'c/x.flac', trackId: 7 },
      { originId: 1, path: 'a/copy.flac', trackId: 2 },
      { originId: 1, path: 'a/x.flac', trackId: 10 },
      { originId: 2, path: 'b/x.flac', trackId: 4 },
    ]);
    // Named after the best-ranked replica, inode from the oldest id.
    assert.equal(only, '/Artist/Album/07 - From Three.flac');
    assert.equal(f.ino, 0x8000_0000 + 2);
    assert.equal(f.size, 1007);
    // Another ranking: another name, same file.
    const other = build(tracks, [2, 3, 1]);
    assert.deepEqual(paths(other), ['/Artist/Album/04 - From Two.flac']);
    assert.equal(file(other, '/Artist/Album/04 - From Two.flac').ino, f.ino);
  });

  test('tracks of origins not in originOrder are hidden', () => {
    const tracks = [
      track(1, { originId: 1 }),
      track(2, { originId: 9 }),
      track(3, { originId: 9, fingerprint: 'shared' }),
      track(4, { originId: 2, fingerprint: 'shared' }),
    ];
    const tree = build(tracks, [1, 2]);
    assert.deepEqual(paths(tree), ['/Artist/Album/01 - Title 1.flac', '/Artist/Album/04 - Title 4.flac']);
    assert.deepEqual(withoutMtimes(file(tree, '/Artist/Album/04 - Title 4.flac').replicas), [{ originId: 2, path: 'music/4.flac', trackId: 4 }]);
    assert.equal(file(tree, '/Artist/Album/04 - Title 4.flac').ino, 0x8000_0000 + 4, 'a hidden replica does not lend its id');
    assert.equal(build(tracks, []).fileCount, 0);
  });

  test('name collisions are suffixed by oldest id, whatever the input order', () => {
    const same = { title: 'Song', track: 1 };
    const tracks = [track(30, { tags: same }), track(5, { tags: same }), track(12, { tags: same }), track(20, { tags: { title: 'Other', track: 2 } })];
    const expected = {
      '/Artist/Album/01 - Song.flac': 5,
      '/Artist/Album/01 - Song (2).flac': 12,
      '/Artist/Album/01 - Song (3).flac': 30,
      '/Artist/Album/02 - Other.flac': 20,
    };
    for (let seed = 1; seed <= 8; seed++) {
      const tree = build(shuffled(tracks, seed));
      const got = Object.fromEntries(paths(tree).map((p) => [p, file(tree, p).replicas[0]!.trackId]));
      assert.deepEqual(got, expected, `seed ${seed}`);
    }
  });

  test('a replicated recording collides by its oldest id', () => {
    const same = { title: 'Song', track: 1 };
    const tracks = [
      track(8, { fingerprint: 'late', tags: same }),
      // "early" is id 9 on origin 1, but also id 3 on origin 2: it is the older recording.
      track(9, { fingerprint: 'early', tags: same }),
      track(3, { originId: 2, fingerprint: 'early', tags: same }),
    ];
    const tree = build(tracks, [1, 2]);
    assert.equal(file(tree, '/Artist/Album/01 - Song.flac').fingerprint, 'early');
    assert.equal(file(tree, '/Artist/Album/01 - Song (2).flac').fingerprint, 'late');
  });

  test('inode numbers are stable across builds and distinct', () => {
    const tracks: TrackRecord[] = [];
    for (let i = 1; i <= 60; i++) {
      tracks.push(track(i, { tags: { albumArtist: `Artist ${i % 7}`, album: `Album ${i % 5}`, title: `T${i}`, track: i } }));
    }
    const a = build(tracks);
    const b = build(shuffled(tracks, 42));
    const inos = new Map<number, string>();
    const walk = (tree: LibraryTree, path: string, visit: (path: string, ino: number) => void): void => {
      const node = tree.lookup(path)!;
      visit(path, node.ino);
      if (node.kind === 'dir') for (const name of node.names) walk(tree, path === '/' ? `/${name}` : `${path}/${name}`, visit);
    };
    walk(a, '/', (path, ino) => {
      assert.ok(Number.isInteger(ino) && ino >= 1 && ino <= 0xffff_ffff, `${path}: ${ino} fits in 32 bits`);
      assert.ok(!inos.has(ino), `${path} and ${inos.get(ino)} share inode ${ino}`);
      inos.set(ino, path);
    });
    assert.equal(inos.size, a.fileCount + a.dirCount);
    walk(b, '/', (path, ino) => assert.equal(ino, a.lookup(path)!.ino, path));
    assert.equal(a.lookup('/')!.ino, 1);
    for (const p of a.filePaths()) assert.ok(a.lookup(p)!.ino > 0x8000_0000, 'files in the upper half');
  });

  test('folder mtime is the newest file inside', () => {
    const tracks = [
      track(1, { mtimeMs: 5_000, tags: { albumArtist: 'A', album: 'X' } }),
      track(2, { mtimeMs: 9_000, tags: { albumArtist: 'A', album: 'X' } }),
      track(3, { mtimeMs: 7_000, tags: { albumArtist: 'A', album: 'Y' } }),
      track(4, { mtimeMs: 3_000, tags: { albumArtist: 'B', album: 'Z' } }),
    ];
    for (const order of [tracks, [...tracks].reverse()]) {
      const tree = build(order);
      assert.equal(dir(tree, '/A/X').mtimeMs, 9_000);
      assert.equal(dir(tree, '/A/Y').mtimeMs, 7_000);
      assert.equal(dir(tree, '/A').mtimeMs, 9_000);
      assert.equal(dir(tree, '/B/Z').mtimeMs, 3_000);
      assert.equal(dir(tree, '/B').mtimeMs, 3_000);
      assert.equal(dir(tree, '/').mtimeMs, 9_000);
      assert.equal(file(tree, '/A/X/02 - Title 2.flac').mtimeMs, 9_000);
    }
  });

  test('names are sorted by code unit', () => {
    const tree = build([
      track(1, { tags: { albumArtist: 'beta' } }),
      track(2, { tags: { albumArtist: 'Alpha' } }),
      track(3, { tags: { albumArtist: 'Zulu' } }),
      track(4, { tags: { albumArtist: 'Émile' } }),
      track(5, { tags: { albumArtist: 'alpha' } }),
      track(6, { tags: { albumArtist: 'Zulu', title: 'B', track: 2 } }),
      track(7, { tags: { albumArtist: 'Zulu', title: 'A', track: 10 } }),
    ]);
    assert.deepEqual(dir(tree, '/').names, ['Alpha', 'Zulu', 'alpha', 'beta', 'Émile']);
    assert.deepEqual(dir(tree, '/Zulu/Album').names, ['02 - B.flac', '03 - Title 3.flac', '10 - A.flac']);
  });

  test('counts files, folders (root included) and bytes, a replicated file once', () => {
    const tree = build([
      track(1, { size: 100, tags: { albumArtist: 'A', album: 'X' } }),
      track(2, { size: 200, tags: { albumArtist: 'A', album: 'Y' } }),
      track(3, { size: 300, tags: { albumArtist: 'B', album: 'X' } }),
      track(4, { size: 300, originId: 2, fingerprint: 'fp-3', tags: { albumArtist: 'B', album: 'X' } }),
    ]);
    assert.equal(tree.fileCount, 3);
    // '/', A, A/X, A/Y, B, B/X
    assert.equal(tree.dirCount, 6);
    assert.equal(tree.totalBytes, 600);
  });

  test('a track without tags is named from its file name', () => {
    const tree = build([{ ...track(1), path: 'inbox/Some Recording.MP3', tags: { compilation: false } }]);
    const [only] = paths(tree);
    assert.ok(only!.endsWith('/Some Recording.mp3'), only);
  });
});
