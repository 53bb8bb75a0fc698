/**
 * Self-test of the ffmpeg corpus generator used by the integration tests:
 * the files it promises exist, real audio is readable by ffprobe, copies are
 * byte-identical, different recordings differ, and generation is deterministic.
 */
import assert from 'node:assert/strict';
import { lstat, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Corpus, CorpusFile } from './support/corpus.js';
import { corpusExpectations, ffprobeJson, makeCorpus, sha256File } from './support/corpus.js';
import { runPool } from './support/ffmpeg-tools.js';

const pathOf = (corpus: Corpus, f: CorpusFile): string => join(corpus.root, f.origin, ...f.relPath.split('/'));

describe('corpus generator', () => {
  let tmp = '';
  let corpus: Corpus;
  const hashes = new Map<CorpusFile, string>();

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'musicfs-corpus-'));
    corpus = await makeCorpus(join(tmp, 'one'));
    for (const f of corpus.files) {
      if ((await stat(pathOf(corpus, f)).catch(() => null))?.isFile() === true) hashes.set(f, await sha256File(pathOf(corpus, f)));
    }
  });

  after(async () => {
    if (tmp !== '') await rm(tmp, { recursive: true, force: true });
  });

  it('creates both origins and nothing else at the root', async () => {
    assert.deepEqual(corpus.origins.map((o) => o.name), ['origin-a', 'origin-b']);
    for (const o of corpus.origins) assert.ok((await stat(o.dir)).isDirectory(), o.dir);
    await assert.rejects(stat(join(corpus.root, '.corpus-scratch')));
  });

  it('has unique (origin, relPath) entries with consistent fields', () => {
    const seen = new Set<string>();
    for (const f of corpus.files) {
      const key = `${f.origin}/${f.relPath}`;
      assert.ok(!seen.has(key), `duplicate entry ${key}`);
      seen.add(key);
      assert.ok(f.note.length > 0, `${key} has no note`);
      if (f.kind === 'ignored') assert.equal(f.expectedPath, null, `${key}: ignored files never appear`);
      if (f.kind === 'broken' && f.expectedPath !== null) assert.equal(f.flexible, true, `${key}: a broken file that may appear must be flexible`);
      if (f.expectedPath !== null) {
        assert.ok(!f.expectedPath.startsWith('/') && !f.expectedPath.endsWith('/'), key);
        for (const part of f.expectedPath.split('/')) {
          assert.ok(part.length > 0 && !part.startsWith('.'), `${key}: bad component "${part}"`);
          assert.ok(Buffer.byteLength(part, 'utf8') <= 255, `${key}: component over 255 bytes`);
          assert.equal(part, part.normalize('NFC'), `${key}: component not NFC`);
        }
      }
    }
  });

  it('every file exists on disk; symlinks are symlinks', async () => {
    for (const f of corpus.files) {
      const p = pathOf(corpus, f);
      const st = await lstat(p);
      if (st.isSymbolicLink()) assert.ok((await readlink(p)).length > 0, p);
      else assert.ok(st.isFile(), `${p} is not a file`);
    }
  });

  it('ffprobe reads every audio file and finds an audio stream', async () => {
    const audio = corpus.files.filter((f) => f.kind === 'audio');
    assert.ok(audio.length >= 30, `only ${audio.length} audio files`);
    await runPool(audio.map((f) => async () => {
      const probe = (await ffprobeJson(pathOf(corpus, f))) as { streams?: { codec_type?: string }[] };
      assert.ok(probe.streams?.some((s) => s.codec_type === 'audio'), `${f.relPath}: no audio stream`);
    }), 4);
  });

  it('covers every required format', () => {
    const exts = new Set(corpus.files.filter((f) => f.kind === 'audio').map((f) => f.relPath.slice(f.relPath.lastIndexOf('.') + 1).toLowerCase()));
    for (const ext of ['flac', 'mp3', 'ogg', 'opus', 'm4a', 'wav']) assert.ok(exts.has(ext), `no .${ext}`);
  });

  it('the shared album is byte-identical in both origins', () => {
    const shared = corpus.files.filter((f) => f.expectedPath?.startsWith('Both Sides/Common Ground/') === true);
    const byPath = new Map<string, Map<string, string>>();
    for (const f of shared) {
      const path = f.expectedPath ?? '';
      const m = byPath.get(path) ?? new Map<string, string>();
      m.set(f.origin, hashes.get(f) ?? '');
      byPath.set(path, m);
    }
    const inBoth = [...byPath.values()].filter((m) => m.size === 2);
    assert.equal(inBoth.length, 2, 'two tracks are in both origins');
    for (const m of inBoth) assert.equal(m.get('origin-a'), m.get('origin-b'));
    assert.equal(byPath.size, 3, 'plus one track only in origin-b');
  });

  it('entries sharing a path are identical bytes, except collision groups which all differ', () => {
    const byPath = new Map<string, Set<string>>();
    for (const f of corpus.files) {
      if (f.kind !== 'audio' || f.expectedPath === null || f.collisionGroup !== undefined) continue;
      const s = byPath.get(f.expectedPath) ?? new Set<string>();
      s.add(hashes.get(f) ?? '');
      byPath.set(f.expectedPath, s);
    }
    for (const [path, s] of byPath) assert.equal(s.size, 1, `${path}: different bytes on one expected path without a collisionGroup`);
    const { collisions } = corpusExpectations(corpus);
    assert.ok(collisions.size >= 1);
    for (const [group] of collisions) {
      const members = corpus.files.filter((f) => f.collisionGroup === group);
      assert.equal(new Set(members.map((f) => f.expectedPath)).size, 1, group);
      assert.equal(new Set(members.map((f) => hashes.get(f))).size, members.length, `${group}: recordings must differ`);
    }
  });

  it('is deterministic: a second corpus has the same bytes', async () => {
    const again = await makeCorpus(join(tmp, 'two'));
    assert.equal(again.files.length, corpus.files.length);
    for (const [i, f] of again.files.entries()) {
      const first = corpus.files[i];
      assert.ok(first !== undefined);
      const h = hashes.get(first);
      if (h === undefined) continue;
      assert.equal(await sha256File(pathOf(again, f)), h, `${f.origin}/${f.relPath} differs between runs`);
    }
  });
});
