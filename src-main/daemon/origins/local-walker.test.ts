import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WalkResult } from './origin.js';
import { joinAbs, walkLocalFolder } from './local-walker.js';

let tmp: string;
let n = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Creates a tree under a fresh folder: a string is a file's content, `{ link }` a symlink. */
async function makeTree(entries: Record<string, string | { link: string } | { dir: true }>): Promise<string> {
  const root = join(tmp, `tree-${++n}`);
  await mkdir(root);
  for (const [rel, what] of Object.entries(entries)) {
    const abs = join(root, rel);
    await mkdir(dirname(abs), { recursive: true });
    if (typeof what === 'string') await writeFile(abs, what);
    else if ('link' in what) await symlink(what.link, abs);
    else await mkdir(abs, { recursive: true });
  }
  return root;
}

const filePaths = (r: WalkResult): string[] => r.files.map((f) => f.path).sort();
const skippedPaths = (r: WalkResult): string[] => r.skipped.map((s) => s.path).sort();

describe('walkLocalFolder', () => {
  test('keeps audio extensions only, case-insensitively, with size and mtime', async () => {
    const root = await makeTree({
      'a.flac': 'AAAA',
      'X.FLAC': 'XX',
      'b.Mp3': 'B',
      'c.opus': 'C',
      'cover.jpg': 'img',
      'notes.txt': 'txt',
      'playlist.m3u': 'list',
      'noext': 'data',
      'flac': 'data',
      'Album/d.m4a': 'DDD',
      'Album/e.cue': 'cue',
    });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), ['Album/d.m4a', 'X.FLAC', 'a.flac', 'b.Mp3', 'c.opus']);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.skipped, [], 'non-audio files are not reported, just ignored');
    const a = r.files.find((f) => f.path === 'a.flac')!;
    const st = await stat(join(root, 'a.flac'));
    assert.equal(a.size, 4);
    assert.equal(a.mtimeMs, st.mtimeMs);
  });

  test('skips hidden files and hidden folders', async () => {
    const root = await makeTree({
      'ok.flac': 'x',
      '.hidden.flac': 'x',
      '._ok.flac': 'appledouble',
      '.thumbnails/t.flac': 'x',
      '.git/objects/o.mp3': 'x',
      'Album/.DS_Store': 'x',
      'Album/.secret/s.flac': 'x',
      'Album/song.flac': 'x',
    });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), ['Album/song.flac', 'ok.flac']);
    assert.deepEqual(r.directories.sort(), ['', 'Album']);
  });

  test('reports empty audio files as skipped', async () => {
    const root = await makeTree({ 'empty.flac': '', 'Album/empty.mp3': '', 'Album/full.mp3': 'x', 'empty.txt': '' });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), ['Album/full.mp3']);
    assert.deepEqual(
      r.skipped.sort((a, b) => a.path.localeCompare(b.path)),
      [
        { path: 'Album/empty.mp3', reason: 'empty file' },
        { path: 'empty.flac', reason: 'empty file' },
      ],
    );
  });

  test('a symlink loop terminates and is reported as skipped', async () => {
    const root = await makeTree({
      'Album/song.flac': 'x',
      'Album/loop': { link: '..' },
      'Album/self': { link: '.' },
      'self': { link: '.' },
    });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), ['Album/song.flac']);
    assert.deepEqual(skippedPaths(r), ['Album/loop', 'Album/self', 'self']);
    for (const s of r.skipped) assert.match(s.reason, /symlink/);
    assert.deepEqual(r.directories.sort(), ['', 'Album']);
    assert.deepEqual(r.errors, []);
  });

  test('a folder reachable through a symlink is walked once', async () => {
    const root = await makeTree({
      'Real/song.flac': 'x',
      'Real/Sub/deep.flac': 'y',
      'Alias': { link: 'Real' },
      'Other/Alias2': { link: '../Real' },
    });
    const r = await walkLocalFolder(root);
    // Once, and under its real path: stat calls race, the names must not.
    assert.deepEqual(filePaths(r), ['Real/Sub/deep.flac', 'Real/song.flac']);
    assert.deepEqual(skippedPaths(r), ['Alias', 'Other/Alias2']);
    assert.deepEqual(r.errors, []);
  });

  test('of two links to one folder, the first by name wins, every time', async () => {
    const outside = await makeTree({ 'Music/a.flac': 'x' });
    const entries: Record<string, { link: string }> = {};
    for (const name of ['m', 'k', 'z', 'b', 'q', 'c']) entries[name] = { link: join(outside, 'Music') };
    const root = await makeTree(entries);
    for (let i = 0; i < 5; i++) {
      const r = await walkLocalFolder(root);
      assert.deepEqual(filePaths(r), ['b/a.flac']);
      assert.deepEqual(skippedPaths(r), ['c', 'k', 'm', 'q', 'z']);
    }
  });

  test('a folder outside the root, linked in, is walked under the link', async () => {
    const outside = await makeTree({ 'Elsewhere/far.flac': 'x' });
    const root = await makeTree({ 'Linked': { link: join(outside, 'Elsewhere') }, 'here.flac': 'y' });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), ['Linked/far.flac', 'here.flac']);
    assert.ok(r.directories.includes('Linked'));
  });

  test('an audio file behind a symlink is listed with the target size', async () => {
    const root = await makeTree({ 'real.flac': '12345', 'link.flac': { link: 'real.flac' }, 'link-to-txt.flac': { link: 'notes.txt' }, 'notes.txt': 'abc' });
    const r = await walkLocalFolder(root);
    assert.deepEqual(
      r.files.map((f) => [f.path, f.size]).sort(),
      [
        ['link-to-txt.flac', 3],
        ['link.flac', 5],
        ['real.flac', 5],
      ],
    );
  });

  test('a broken symlink is skipped with a reason', async () => {
    const root = await makeTree({ 'gone.flac': { link: 'missing.flac' }, 'GoneDir': { link: 'nowhere' }, 'ok.flac': 'x' });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), ['ok.flac']);
    assert.deepEqual(skippedPaths(r), ['GoneDir', 'gone.flac']);
    for (const s of r.skipped) assert.match(s.reason, /broken symlink/);
    assert.deepEqual(r.errors, []);
  });

  test('under restricts the walk, paths stay relative to the root', async () => {
    const root = await makeTree({ 'A/one.flac': 'x', 'A/B/two.flac': 'x', 'AB/three.flac': 'x', 'top.flac': 'x' });
    const r = await walkLocalFolder(root, { under: 'A' });
    assert.deepEqual(filePaths(r), ['A/B/two.flac', 'A/one.flac']);
    assert.deepEqual(r.directories, ['A', 'A/B']);
    const deeper = await walkLocalFolder(root, { under: 'A/B' });
    assert.deepEqual(filePaths(deeper), ['A/B/two.flac']);
    const all = await walkLocalFolder(root, { under: '' });
    assert.equal(all.files.length, 4);
  });

  test('under a missing folder or a file gives an error for that path', async () => {
    const root = await makeTree({ 'A/one.flac': 'x' });
    const missing = await walkLocalFolder(root, { under: 'Nope' });
    assert.deepEqual(missing.errors, [{ path: 'Nope', reason: 'no such file or folder' }]);
    assert.deepEqual(missing.files, []);
    assert.deepEqual(missing.directories, []);
    const file = await walkLocalFolder(root, { under: 'A/one.flac' });
    assert.deepEqual(file.errors, [{ path: 'A/one.flac', reason: 'not a folder' }]);
  });

  test('deep nesting (50 levels) works', async () => {
    const parts = Array.from({ length: 50 }, (_, i) => `d${i}`);
    const deep = parts.join('/');
    const root = await makeTree({ [`${deep}/deep.flac`]: 'x' });
    const r = await walkLocalFolder(root);
    assert.deepEqual(filePaths(r), [`${deep}/deep.flac`]);
    assert.equal(r.directories.length, 51);
    assert.equal(r.directories.at(-1), deep);
  });

  test('directories lists the walked folders, root first, in name order', async () => {
    const root = await makeTree({ 'b/x.flac': 'x', 'a/y.flac': 'x', 'a/c/z.flac': 'x', 'empty': { dir: true }, '.hid': { dir: true } });
    const r = await walkLocalFolder(root);
    assert.deepEqual(r.directories, ['', 'a', 'a/c', 'b', 'empty']);
  });

  test('onFolder is called for each folder before it is listed', async () => {
    const root = await makeTree({ 'A/one.flac': 'x', 'B/two.flac': 'x' });
    const seen: string[] = [];
    const r = await walkLocalFolder(root, {
      onFolder: (dir) => {
        seen.push(dir);
        // A file created now (as a watcher would see it) is in the listing.
        writeFileSync(joinAbs(root, dir === '' ? 'new.flac' : `${dir}/new.flac`), 'n');
      },
    });
    assert.deepEqual(seen, r.directories);
    assert.deepEqual(seen, ['', 'A', 'B']);
    assert.deepEqual(filePaths(r), ['A/new.flac', 'A/one.flac', 'B/new.flac', 'B/two.flac', 'new.flac']);
  });

  test('a missing root gives an error for path ""', async () => {
    const r = await walkLocalFolder(join(tmp, 'does-not-exist'));
    assert.deepEqual(r, { files: [], skipped: [], errors: [{ path: '', reason: 'no such file or folder' }], directories: [] });
  });

  test('a root that is a file gives "not a folder" for path ""', async () => {
    const root = await makeTree({ 'f.flac': 'x' });
    const r = await walkLocalFolder(join(root, 'f.flac'));
    assert.deepEqual(r.errors, [{ path: '', reason: 'not a folder' }]);
  });

  test('an aborted signal stops the walk', async () => {
    const root = await makeTree({ 'a.flac': 'x' });
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(walkLocalFolder(root, { signal: ac.signal }), /stop/);
  });

  test('many files in one folder are all found', async () => {
    const entries: Record<string, string> = {};
    for (let i = 0; i < 300; i++) entries[`Big/${String(i).padStart(3, '0')}.mp3`] = 'x';
    const root = await makeTree(entries);
    const r = await walkLocalFolder(root);
    assert.equal(r.files.length, 300);
    assert.equal(new Set(r.files.map((f) => f.path)).size, 300);
  });
});

