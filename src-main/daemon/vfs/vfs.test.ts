import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_LAYOUT, compileLayout } from '../../../src-shared/layout/index.js';
import type { TrackTags } from '../../../src-shared/track.js';
import { silentLogger } from '../base/logger.js';
import type { TrackRecord } from '../catalog/catalog.js';
import { LocalOrigin } from '../origins/local-origin.js';
import { FileReader } from './file-reader.js';
import { LibraryTree } from './library-tree.js';
import { Vfs } from './vfs.js';
import { VfsError, type VfsErrorCode } from './vfs-error.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;

/** Deterministic, non-repeating-looking bytes. */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let s = seed;
  for (let i = 0; i < size; i++) {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

const isVfsError = (code: VfsErrorCode) => (err: unknown): boolean => {
  assert.ok(err instanceof VfsError, `expected a VfsError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return true;
};

const SONG = '/Massive Attack/Mezzanine/01 - Angel.flac';
const OTHER = '/Massive Attack/Mezzanine/02 - Risingson.flac';

describe('Vfs', () => {
  let root: string;
  let origin: LocalOrigin;
  let vfs: Vfs;
  let reader: FileReader;
  const song = bytes(300_000, 1);
  const other = bytes(5, 2);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'musicfs-'));
    const put = async (rel: string, data: Buffer): Promise<void> => {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), data);
    };
    await put('rips/angel.flac', song);
    await put('rips/risingson.flac', other);
    // The catalog's mtimes: a file with another would be stale (changed since the scan) and not read.
    await utimes(join(root, 'rips/angel.flac'), 1_600_000_001, 1_600_000_001);
    await utimes(join(root, 'rips/risingson.flac'), 1_600_000_002, 1_600_000_002);
    origin = new LocalOrigin(1, 'music', root, silentLogger);
    const record = (id: number, path: string, size: number, tags: Partial<TrackTags>): TrackRecord => ({
      id,
      originId: 1,
      path,
      size,
      mtimeMs: 1_600_000_000_000 + id * 1000,
      fingerprint: `fp${id}`,
      audio: {},
      scannedAt: 0,
      tags: { albumArtist: 'Massive Attack', album: 'Mezzanine', compilation: false, ...tags },
    });
    const tree = LibraryTree.build({
      tracks: [record(1, 'rips/angel.flac', song.length, { title: 'Angel', track: 1 }), record(2, 'rips/risingson.flac', other.length, { title: 'Risingson', track: 2 })],
      originOrder: [1],
      layout: compileLayout(DEFAULT_LAYOUT),
    });
    reader = new FileReader({ origin: (id) => (id === 1 ? origin : undefined) }, silentLogger);
    vfs = new Vfs(() => tree, reader);
  });

  after(async () => {
    await reader.closeAll();
    origin.dispose();
    await rm(root, { recursive: true, force: true });
  });

  test('getattr of the root and of folders: read-only folders', () => {
    for (const path of ['/', '/Massive Attack', '/Massive Attack/Mezzanine']) {
      const attr = vfs.getattr(path);
      assert.equal(attr.mode, 0o40555, path);
      assert.equal(attr.nlink, 2);
      assert.equal(attr.uid, process.getuid!());
      assert.equal(attr.gid, process.getgid!());
    }
    assert.equal(vfs.getattr('/').ino, 1);
    assert.equal(vfs.getattr('/Massive Attack/Mezzanine').mtimeMs, 1_600_000_002_000, 'newest file inside');
  });

  test('getattr of a file: read-only regular file with its size and mtime', () => {
    const attr = vfs.getattr(SONG);
    assert.equal(attr.mode, 0o100444);
    assert.equal(attr.nlink, 1);
    assert.equal(attr.size, 300_000);
    assert.equal(attr.mtimeMs, 1_600_000_001_000);
    assert.notEqual(attr.ino, vfs.getattr(OTHER).ino);
  });

  test('readdir lists names with their attributes', () => {
    assert.deepEqual(vfs.readdir('/').names, ['Massive Attack']);
    const { names, attrs } = vfs.readdir('/Massive Attack/Mezzanine');
    assert.deepEqual(names, ['01 - Angel.flac', '02 - Risingson.flac']);
    assert.deepEqual(attrs, [vfs.getattr(SONG), vfs.getattr(OTHER)]);
    assert.equal(vfs.readdir('/Massive Attack').attrs[0]!.mode, 0o40555);
  });

  test('lookups of missing paths are NOT_FOUND', () => {
    for (const path of ['/Nope', '/Massive Attack/Nope', `${SONG}/below`, '/Massive Attack/', 'Massive Attack']) {
      assert.throws(() => vfs.getattr(path), isVfsError('NOT_FOUND'), path);
    }
    assert.throws(() => vfs.readdir('/Nope'), isVfsError('NOT_FOUND'));
  });

  test('readdir of a file is NOT_A_DIRECTORY', () => {
    assert.throws(() => vfs.readdir(SONG), isVfsError('NOT_A_DIRECTORY'));
  });

  test('open of a folder is IS_A_DIRECTORY, of a missing path NOT_FOUND', async () => {
    await assert.rejects(vfs.open('/Massive Attack', O_RDONLY), isVfsError('IS_A_DIRECTORY'));
    await assert.rejects(vfs.open('/', O_RDONLY), isVfsError('IS_A_DIRECTORY'));
    await assert.rejects(vfs.open('/Nope.flac', O_RDONLY), isVfsError('NOT_FOUND'));
  });

  test('open for writing is READ_ONLY', async () => {
    await assert.rejects(vfs.open(SONG, O_WRONLY), isVfsError('READ_ONLY'));
    await assert.rejects(vfs.open(SONG, O_RDWR), isVfsError('READ_ONLY'));
    await assert.rejects(vfs.open(SONG, O_WRONLY | 0o1000 /* O_TRUNC */), isVfsError('READ_ONLY'));
    assert.equal(reader.openCount, 0, 'nothing was opened');
  });

  test('reads by offset return exactly the source bytes', async () => {
    const fh = await vfs.open(SONG, O_RDONLY);
    try {
      assert.deepEqual(await vfs.read(fh, 0, 4096), song.subarray(0, 4096), 'start');
      assert.deepEqual(await vfs.read(fh, 150_001, 65_536), song.subarray(150_001, 150_001 + 65_536), 'middle');
      assert.deepEqual(await vfs.read(fh, 7, 1), song.subarray(7, 8), 'one byte');
      assert.deepEqual(await vfs.read(fh, 299_990, 4096), song.subarray(299_990), 'across the end: short');
      assert.equal((await vfs.read(fh, 300_000, 4096)).length, 0, 'at the end: empty');
      assert.equal((await vfs.read(fh, 400_000, 4096)).length, 0, 'past the end: empty');
      assert.equal((await vfs.read(fh, 10, 0)).length, 0, 'zero length');
      assert.deepEqual(await vfs.read(fh, 0, 1_000_000), song, 'the whole file in one read');
    } finally {
      await vfs.release(fh);
    }
  });

  test('a tiny file reads whole', async () => {
    const fh = await vfs.open(OTHER, O_RDONLY);
    assert.deepEqual(await vfs.read(fh, 0, 4096), other);
    await vfs.release(fh);
  });

  test('two handles on one file read independently', async () => {
    const a = await vfs.open(SONG, O_RDONLY);
    const b = await vfs.open(SONG, O_RDONLY);
    assert.notEqual(a, b);
    const [ra, rb] = await Promise.all([vfs.read(a, 1000, 5000), vfs.read(b, 200_000, 5000)]);
    assert.deepEqual(ra, song.subarray(1000, 6000));
    assert.deepEqual(rb, song.subarray(200_000, 205_000));
    await vfs.release(a);
    assert.deepEqual(await vfs.read(b, 0, 10), song.subarray(0, 10), 'releasing one leaves the other open');
    await vfs.release(b);
  });

  test('release then read is BAD_HANDLE; releasing twice is harmless', async () => {
    const fh = await vfs.open(SONG, O_RDONLY);
    assert.equal(reader.openCount, 1);
    await vfs.release(fh);
    assert.equal(reader.openCount, 0);
    await assert.rejects(vfs.read(fh, 0, 10), isVfsError('BAD_HANDLE'));
    await vfs.release(fh);
    await assert.rejects(vfs.read(123_456, 0, 10), isVfsError('BAD_HANDLE'));
  });

  test('statfs counts the tree', () => {
    const s = vfs.statfs();
    assert.equal(s.files, 2 + 3);
    assert.equal(s.blocks, Math.ceil(300_005 / s.blockSize));
    assert.equal(s.nameMax, 255);
  });
});
