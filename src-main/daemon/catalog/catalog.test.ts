import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import DatabaseConstructor from 'better-sqlite3';
import { isMusicFsError } from '../../../src-shared/errors.js';
import { silentLogger, type Logger } from '../base/logger.js';
import { Catalog, type AppliedChanges, type TrackUpsert } from './catalog.js';
import { SCHEMA_VERSION } from './migrations.js';

const counts = (a: AppliedChanges): Pick<AppliedChanges, 'added' | 'updated' | 'removed'> => ({ added: a.added, updated: a.updated, removed: a.removed });

let root: string;
let dbCount = 0;
const open: Catalog[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'musicfs-'));
});

after(async () => {
  for (const c of open) c.close();
  await rm(root, { recursive: true, force: true });
});

/** A fresh catalog file path in its own folder. */
const freshFile = (): string => join(root, `db-${++dbCount}`, 'catalog.db');

const openCatalog = (file = freshFile(), logger: Logger = silentLogger): Catalog => {
  const c = Catalog.open(file, logger);
  open.push(c);
  return c;
};

const upsert = (path: string, over: Partial<TrackUpsert> = {}): TrackUpsert => ({
  path,
  size: 1000,
  mtimeMs: 1_700_000_000_000,
  fingerprint: `fp:${path}`,
  audio: {},
  tags: { compilation: false },
  ...over,
});

/** Reads a pragma through a second, independent connection. */
const pragmaOf = (file: string, name: string): unknown => {
  const db = new DatabaseConstructor(file, { readonly: true });
  try {
    return db.pragma(name, { simple: true });
  } finally {
    db.close();
  }
};

describe('Catalog.open', () => {
  test('a fresh open creates the folder and the schema, in WAL mode', () => {
    const file = freshFile();
    const c = openCatalog(file);
    assert.equal(c.file, file);
    assert.equal(c.countTracks(), 0);
    assert.deepEqual(c.listOrigins(), []);
    c.close();
    assert.equal(pragmaOf(file, 'user_version'), SCHEMA_VERSION);
    assert.equal(pragmaOf(file, 'journal_mode'), 'wal');
  });

  test('re-opening keeps the data and the schema version', () => {
    const file = freshFile();
    const a = openCatalog(file);
    const origin = a.ensureOrigin('music', '/srv/music', 'local');
    a.applyChanges(origin.id, { upserts: [upsert('a.flac')], errors: [], removed: [] });
    a.close();
    const b = openCatalog(file);
    assert.deepEqual(b.listOrigins(), [origin]);
    assert.equal(b.countTracks(), 1);
    b.close();
    const c = openCatalog(file);
    assert.equal(c.countTracks(), 1);
    c.close();
    assert.equal(pragmaOf(file, 'user_version'), SCHEMA_VERSION);
  });

  test('close is safe to call twice', () => {
    const c = openCatalog();
    c.close();
    c.close();
  });

  test('a catalog written by a newer MusicFS is refused with a clear error, and left in place', async () => {
    const file = freshFile();
    openCatalog(file).close();
    const db = new DatabaseConstructor(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(
      () => openCatalog(file),
      (err: unknown) => {
        assert.ok(isMusicFsError(err));
        assert.equal(err.code, 'CATALOG_FAILED');
        assert.match(err.message, /newer/);
        assert.match(err.message, /upgrade MusicFS/);
        assert.ok(err.message.includes(file));
        return true;
      },
    );
    const names = await readdir(join(file, '..'));
    assert.ok(!names.some((n) => n.includes('corrupt')), `nothing moved aside: ${names.join(', ')}`);
    assert.equal(pragmaOf(file, 'user_version'), SCHEMA_VERSION + 1);
  });

  test('a corrupt file is moved aside and a fresh catalog opens', async () => {
    const file = freshFile();
    openCatalog(file).close();
    const garbage = Buffer.alloc(8192);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    await writeFile(file, garbage);
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m), child: () => logger };

    const c = openCatalog(file, logger);
    assert.equal(c.countTracks(), 0);
    const origin = c.ensureOrigin('music', '/m', 'local');
    assert.deepEqual(counts(c.applyChanges(origin.id, { upserts: [upsert('x.flac')], errors: [], removed: [] })), { added: 1, updated: 0, removed: 0 });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /corrupt/);

    const names = await readdir(join(file, '..'));
    const aside = names.filter((n) => /^catalog\.db\.corrupt-\d+$/.test(n));
    assert.equal(aside.length, 1, names.join(', '));
    assert.deepEqual(await readFile(join(file, '..', aside[0]!)), garbage, 'the broken file is kept as it was');
  });

  test('a data folder that cannot be created is a STATE_DIR_FAILED error', async () => {
    const blocker = join(root, `blocker-${++dbCount}`);
    await writeFile(blocker, 'a file, not a folder');
    assert.throws(
      () => Catalog.open(join(blocker, 'sub', 'catalog.db'), silentLogger),
      (err: unknown) => isMusicFsError(err) && err.code === 'STATE_DIR_FAILED',
    );
  });
});

describe('Catalog.ensureOrigin', () => {
  test('is stable by root, and the given name is authoritative', () => {
    const file = freshFile();
    const c = openCatalog(file);
    const a = c.ensureOrigin('music', '/mnt/a', 'local');
    const b = c.ensureOrigin('flac', '/mnt/b', 'local');
    assert.equal(a.name, 'music');
    assert.notEqual(a.id, b.id);
    // Same root, same name: the same origin.
    assert.deepEqual(c.ensureOrigin('music', '/mnt/a', 'local'), a);
    // Same root, new name: renamed, same id (its tracks stay).
    assert.deepEqual(c.ensureOrigin('lossless', '/mnt/b', 'local'), { ...b, name: 'lossless' });
    c.close();
    const again = openCatalog(file);
    assert.deepEqual(again.ensureOrigin('music', '/mnt/a', 'local'), a);
  });

  test('a stale origin holding a wanted name is renamed out of the way', () => {
    const c = openCatalog();
    const old = c.ensureOrigin('music', '/old', 'local');
    const now = c.ensureOrigin('music', '/new', 'local');
    assert.equal(now.name, 'music');
    assert.notEqual(now.id, old.id);
    assert.equal(c.listOrigins().find((o) => o.id === old.id)?.name, `music@${old.id}`);
  });

  test('removeOrigin forgets the origin and returns its track ids', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    const keep = c.ensureOrigin('k', '/k', 'local');
    const applied = c.applyChanges(o.id, { upserts: [upsert('a.flac'), upsert('b.flac')], errors: [], removed: [] });
    c.applyChanges(keep.id, { upserts: [upsert('c.flac')], errors: [], removed: [] });
    assert.deepEqual(c.removeOrigin(o.id).sort(), applied.upserted.map((t) => t.id).sort());
    assert.deepEqual(c.listOrigins().map((x) => x.name), ['k']);
    assert.equal(c.countTracks(), 1);
  });
});


describe('Catalog.applyChanges', () => {
  test('counts added, updated and removed', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    assert.deepEqual(counts(c.applyChanges(o.id, { upserts: [upsert('a.flac'), upsert('b.flac'), upsert('c.flac')], errors: [], removed: [] })), { added: 3, updated: 0, removed: 0 });
    const applied = c.applyChanges(o.id, { upserts: [upsert('a.flac', { size: 2000 }), upsert('d.flac')], errors: [], removed: ['b.flac', 'never-known.flac'] });
    assert.deepEqual(counts(applied), { added: 1, updated: 1, removed: 1 });
    assert.deepEqual(applied.upserted.map((t) => [t.path, t.size, t.originId]), [['a.flac', 2000, o.id], ['d.flac', 1000, o.id]]);
    assert.equal(applied.removedIds.length, 1);
    assert.deepEqual(
      c.listTracks().map((t) => [t.path, t.size]),
      [
        ['a.flac', 2000],
        ['c.flac', 1000],
        ['d.flac', 1000],
      ],
    );
    assert.deepEqual(counts(c.applyChanges(o.id, { upserts: [], errors: [], removed: [] })), { added: 0, updated: 0, removed: 0 });
  });

  test('an update keeps the track id', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    c.applyChanges(o.id, { upserts: [upsert('a.flac', { tags: { title: 'Old', compilation: false } })], errors: [], removed: [] });
    const [before] = c.listTracks();
    c.applyChanges(o.id, { upserts: [upsert('a.flac', { tags: { title: 'New', compilation: false } })], errors: [], removed: [] });
    const [afterUpdate] = c.listTracks();
    assert.equal(afterUpdate!.id, before!.id);
    assert.equal(afterUpdate!.tags.title, 'New');
  });

  test('the same path on two origins is two tracks', () => {
    const c = openCatalog();
    const a = c.ensureOrigin('a', '/a', 'local');
    const b = c.ensureOrigin('b', '/b', 'local');
    assert.equal(c.applyChanges(a.id, { upserts: [upsert('x.flac')], errors: [], removed: [] }).added, 1);
    assert.equal(c.applyChanges(b.id, { upserts: [upsert('x.flac')], errors: [], removed: [] }).added, 1);
    assert.equal(c.applyChanges(b.id, { upserts: [], errors: [], removed: ['x.flac'] }).removed, 1);
    assert.deepEqual(
      c.listTracks().map((t) => t.originId),
      [a.id],
    );
  });

  test('an error for a path removes its track and records the error; a later good read clears it', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    c.applyChanges(o.id, { upserts: [upsert('a.flac'), upsert('b.flac')], errors: [], removed: [] });

    const applied = c.applyChanges(o.id, { upserts: [], errors: [{ path: 'a.flac', size: 10, mtimeMs: 5, reason: 'not audio' }], removed: [] });
    assert.deepEqual(counts(applied), { added: 0, updated: 0, removed: 1 });
    assert.deepEqual(
      c.listTracks().map((t) => t.path),
      ['b.flac'],
    );
    assert.deepEqual(c.scanErrors(o.id), [{ path: 'a.flac', size: 10, mtimeMs: 5, reason: 'not audio' }]);
    assert.deepEqual(c.knownFiles(o.id).get('a.flac'), { size: 10, mtimeMs: 5, version: undefined, broken: true });

    // The same file, still broken, with a new reason: updated in place.
    c.applyChanges(o.id, { upserts: [], errors: [{ path: 'a.flac', size: 11, mtimeMs: 6, reason: 'truncated' }], removed: [] });
    assert.deepEqual(c.scanErrors(o.id), [{ path: 'a.flac', size: 11, mtimeMs: 6, reason: 'truncated' }]);

    // An error for a file the catalog never had removes nothing.
    assert.equal(c.applyChanges(o.id, { upserts: [], errors: [{ path: 'new.mp3', size: 1, mtimeMs: 1, reason: 'x' }], removed: [] }).removed, 0);

    const fixed = c.applyChanges(o.id, { upserts: [upsert('a.flac', { size: 12 })], errors: [], removed: [] });
    assert.deepEqual(counts(fixed), { added: 1, updated: 0, removed: 0 });
    assert.deepEqual(
      c.scanErrors(o.id).map((e) => e.path),
      ['new.mp3'],
    );
    assert.deepEqual(c.knownFiles(o.id).get('a.flac'), { size: 12, mtimeMs: 1_700_000_000_000, version: undefined, broken: false });
  });

  test('removing a broken path forgets its error', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    c.applyChanges(o.id, { upserts: [], errors: [{ path: 'bad.flac', size: 1, mtimeMs: 1, reason: 'x' }], removed: [] });
    c.applyChanges(o.id, { upserts: [], errors: [], removed: ['bad.flac'] });
    assert.deepEqual(c.scanErrors(o.id), []);
    assert.equal(c.knownFiles(o.id).size, 0);
  });
});

describe('Catalog.knownFiles and removeUnder', () => {
  const paths = ['Rock/a.flac', 'Rock/sub/b.flac', 'Rockabilly/c.flac', 'Rock-n-Roll/d.flac', 'Rock0/e.flac', 'Rock.flac', 'Pop/f.flac', 'Rock'];
  let c: Catalog;
  let origin: number;
  let other: number;

  const seed = (): void => {
    c.applyChanges(origin, {
      upserts: paths.map((p, i) => upsert(p, { size: 100 + i })),
      errors: [{ path: 'Rock/broken.mp3', size: 3, mtimeMs: 4, reason: 'bad' }, { path: 'Rockabilly/broken.mp3', size: 5, mtimeMs: 6, reason: 'bad' }],
      removed: [],
    });
    c.applyChanges(other, { upserts: [upsert('Rock/a.flac')], errors: [], removed: [] });
  };

  before(() => {
    c = openCatalog();
    origin = c.ensureOrigin('m', '/m', 'local').id;
    other = c.ensureOrigin('n', '/n', 'local').id;
    seed();
  });

  test('a folder means itself and below, never a sibling sharing its prefix', () => {
    assert.deepEqual([...c.knownFiles(origin, 'Rock').keys()].sort(), ['Rock', 'Rock/a.flac', 'Rock/broken.mp3', 'Rock/sub/b.flac']);
    assert.deepEqual([...c.knownFiles(origin, 'Rock/sub').keys()], ['Rock/sub/b.flac']);
    assert.deepEqual([...c.knownFiles(origin, 'Rockabilly').keys()].sort(), ['Rockabilly/broken.mp3', 'Rockabilly/c.flac']);
    assert.deepEqual([...c.knownFiles(origin, 'Nope').keys()], []);
  });

  test('a file path means that file', () => {
    assert.deepEqual(c.knownFiles(origin, 'Rock/a.flac'), new Map([['Rock/a.flac', { size: 100, mtimeMs: 1_700_000_000_000, version: undefined, broken: false }]]));
    assert.deepEqual(c.knownFiles(origin, 'Rock/broken.mp3'), new Map([['Rock/broken.mp3', { size: 3, mtimeMs: 4, version: undefined, broken: true }]]));
  });

  test("'' and undefined mean the whole origin, and only that origin", () => {
    const all = [...paths, 'Rock/broken.mp3', 'Rockabilly/broken.mp3'].sort();
    assert.deepEqual([...c.knownFiles(origin, '').keys()].sort(), all);
    assert.deepEqual([...c.knownFiles(origin).keys()].sort(), all);
    assert.deepEqual([...c.knownFiles(other).keys()], ['Rock/a.flac']);
  });

  test('scanErrors respects the same boundaries', () => {
    assert.deepEqual(
      c.scanErrors(origin, 'Rock').map((e) => e.path),
      ['Rock/broken.mp3'],
    );
    assert.deepEqual(
      c.scanErrors(origin).map((e) => e.path),
      ['Rock/broken.mp3', 'Rockabilly/broken.mp3'],
    );
  });

  test('removeUnder removes a folder and below, nothing beside it, nothing on another origin', () => {
    assert.equal(c.removeUnder(origin, 'Rock').length, 3);
    assert.deepEqual(c.listTracks([origin]).map((t) => t.path).sort(), ['Pop/f.flac', 'Rock-n-Roll/d.flac', 'Rock.flac', 'Rock0/e.flac', 'Rockabilly/c.flac']);
    assert.deepEqual(
      c.scanErrors(origin).map((e) => e.path),
      ['Rockabilly/broken.mp3'],
    );
    assert.equal(c.listTracks([other]).length, 1);
    assert.equal(c.removeUnder(origin, 'Rock').length, 0, 'nothing left there');
    assert.equal(c.removeUnder(origin, 'Pop/f.flac').length, 1, 'a single file');
  });

  test("removeUnder '' empties the origin only", () => {
    c.removeUnder(origin, '');
    assert.equal(c.listTracks([origin]).length, 0);
    assert.deepEqual(c.scanErrors(origin), []);
    assert.equal(c.listTracks([other]).length, 1);
    seed();
  });
});

describe('Catalog.listTracks', () => {
  test('round-trips every tag and audio field', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    const full = upsert('Artist/Album/01 - Song.flac', {
      size: 31_457_280,
      mtimeMs: 1_712_345_678_901.5,
      fingerprint: 'a'.repeat(64),
      audio: { container: 'FLAC', codec: 'FLAC', durationSec: 215.25, bitrate: 1_021_337, sampleRate: 96_000, channels: 2 },
      tags: {
        artist: 'Björk',
        albumArtist: 'Björk',
        album: 'Homogenic',
        title: 'Jóga',
        track: 2,
        trackTotal: 10,
        disc: 1,
        discTotal: 2,
        year: 1997,
        genre: 'Electronic',
        compilation: true,
      },
    });
    const bare = upsert('bare.mp3', { audio: {}, tags: { compilation: false } });
    const before = Date.now();
    c.applyChanges(o.id, { upserts: [full, bare], errors: [], removed: [] });
    const [a, b] = c.listTracks();
    assert.ok(a && b);
    const { id, originId, scannedAt, ...rest } = a;
    assert.deepEqual(rest, full);
    assert.equal(originId, o.id);
    assert.ok(Number.isInteger(id));
    assert.ok(scannedAt >= before && scannedAt <= Date.now());
    assert.equal(typeof a.tags.compilation, 'boolean');

    // Absent fields stay absent (not null, not 0, not '').
    assert.deepEqual(b.tags, { compilation: false });
    assert.deepEqual(b.audio, {});
    assert.ok(!('artist' in b.tags));
    assert.ok(!('sampleRate' in b.audio));
  });

  test('a fractional bitrate is stored rounded', () => {
    const c = openCatalog();
    const o = c.ensureOrigin('m', '/m', 'local');
    c.applyChanges(o.id, { upserts: [upsert('x.mp3', { audio: { bitrate: 320_000.6 } })], errors: [], removed: [] });
    assert.equal(c.listTracks()[0]!.audio.bitrate, 320_001);
  });

  test('filters by origin, oldest first; an empty list gives nothing', () => {
    const c = openCatalog();
    const a = c.ensureOrigin('a', '/a', 'local');
    const b = c.ensureOrigin('b', '/b', 'local');
    c.applyChanges(b.id, { upserts: [upsert('z.flac')], errors: [], removed: [] });
    c.applyChanges(a.id, { upserts: [upsert('y.flac')], errors: [], removed: [] });
    c.applyChanges(b.id, { upserts: [upsert('a.flac')], errors: [], removed: [] });
    assert.deepEqual(
      c.listTracks().map((t) => t.path),
      ['z.flac', 'y.flac', 'a.flac'],
    );
    assert.deepEqual(
      c.listTracks([b.id]).map((t) => t.path),
      ['z.flac', 'a.flac'],
    );
    assert.deepEqual(
      c.listTracks([a.id, b.id]).map((t) => t.path),
      ['z.flac', 'y.flac', 'a.flac'],
    );
    assert.deepEqual(c.listTracks([]), []);
    assert.equal(c.countTracks(), 3);
  });
});
