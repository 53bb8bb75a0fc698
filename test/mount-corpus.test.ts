/**
 * End to end over a real FUSE mount of a real, messy ffmpeg-made corpus in
 * two origins: every path the layout promises, every byte, every size and
 * mtime, ffprobe and mpv through the mount, read-only, concurrent readers.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { corpusExpectations, ffprobeJson, makeCorpus, sha256File, withCollisionSuffix, type Corpus, type CorpusFile } from './support/corpus.js';
import { listFiles, Sandbox, type DaemonProcess } from './support/sandbox.js';

const execFileAsync = promisify(execFile);
const sourceOf = (corpus: Corpus, f: CorpusFile): string => join(corpus.root, f.origin, ...f.relPath.split('/'));

describe('mount of a real corpus', () => {
  let sandbox: Sandbox;
  let corpus: Corpus;
  let daemon: DaemonProcess;
  let mnt: string;
  let mounted: string[];

  before(async () => {
    sandbox = await Sandbox.create();
    corpus = await makeCorpus(sandbox.path('corpus'));
    mnt = await sandbox.mkdir('mnt');
    daemon = sandbox.startMount(mnt, corpus.origins.map((o) => o.dir));
    await daemon.ready();
    await daemon.scansComplete(2);
    mounted = await listFiles(mnt);
  });

  after(async () => {
    if (daemon && !daemon.hasExited) {
      const result = await daemon.stop('SIGINT');
      assert.equal(result.code, 0, `musicfs exited with ${result.code}: ${result.stderr}`);
    }
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, [], 'the test left processes or mounts behind');
  });

  it('lists exactly the paths the layout promises', () => {
    const expected = corpusExpectations(corpus);
    const present = new Set(mounted);
    const missing = [...expected.required].filter((p) => !present.has(p));
    assert.deepEqual(missing, [], 'required paths missing from the mount');
    for (const { path, count } of expected.collisions.values()) {
      for (let n = 1; n <= count; n++) {
        const p = n === 1 ? path : withCollisionSuffix(path, n);
        assert.ok(present.has(p), `collision entry ${p} missing`);
      }
    }
    const forbidden = [...expected.forbidden].filter((p) => present.has(p));
    assert.deepEqual(forbidden, [], 'paths that must not appear');
    const allowed = new Set([...expected.required, ...expected.optional]);
    for (const { path, count } of expected.collisions.values()) for (let n = 1; n <= count; n++) allowed.add(n === 1 ? path : withCollisionSuffix(path, n));
    const unexpected = mounted.filter((p) => !allowed.has(p));
    assert.deepEqual(unexpected, [], 'unexpected paths in the mount');
  });

  it('serves every byte of every file exactly', async () => {
    const byPath = new Map<string, Set<string>>();
    for (const f of corpus.files) {
      if (f.kind !== 'audio' || f.expectedPath === null) continue;
      const key = f.collisionGroup ?? f.expectedPath;
      const set = byPath.get(key) ?? new Set<string>();
      set.add(await sha256File(sourceOf(corpus, f)));
      byPath.set(key, set);
    }
    for (const f of corpus.files) {
      if (f.kind !== 'audio' || f.expectedPath === null) continue;
      if (f.collisionGroup) {
        const paths = [f.expectedPath, withCollisionSuffix(f.expectedPath, 2)];
        const got = new Set(await Promise.all(paths.map((p) => sha256File(join(mnt, p)))));
        assert.deepEqual(got, byPath.get(f.collisionGroup), `collision group ${f.collisionGroup}`);
        continue;
      }
      const got = await sha256File(join(mnt, f.expectedPath));
      assert.ok(byPath.get(f.expectedPath)!.has(got), `bytes of ${f.expectedPath} differ from ${f.origin}/${f.relPath}`);
    }
  });

  it('reports the real size and mtime, read-only modes, stable distinct inodes', async () => {
    // A recording held by several origins may have several mtimes: any of them is right.
    const sources = new Map<string, { size: number; mtimes: number[] }>();
    for (const f of corpus.files) {
      if (f.kind !== 'audio' || f.expectedPath === null || f.collisionGroup) continue;
      const src = await stat(sourceOf(corpus, f));
      const entry = sources.get(f.expectedPath) ?? { size: src.size, mtimes: [] };
      entry.mtimes.push(src.mtimeMs);
      sources.set(f.expectedPath, entry);
    }
    for (const [path, src] of sources) {
      const st = await stat(join(mnt, path));
      assert.equal(st.size, src.size, path);
      assert.ok(src.mtimes.some((m) => Math.abs(st.mtimeMs - m) < 1), `mtime of ${path}: ${st.mtimeMs} vs ${src.mtimes.join(', ')}`);
      assert.equal(st.mode & 0o777, 0o444);
    }
    const all = await Promise.all(mounted.map(async (p) => (await stat(join(mnt, p))).ino));
    assert.equal(new Set(all).size, mounted.length, 'inode numbers are distinct');
    assert.ok(all.every((ino) => ino > 1));
    const root = await stat(mnt);
    assert.ok(root.isDirectory());
    assert.equal(root.mode & 0o777, 0o555);
  });

  it('reads by offset: any slice equals the same slice of the origin file', async () => {
    const f = corpus.files.find((x) => x.kind === 'audio' && x.expectedPath?.endsWith('.flac') && !x.collisionGroup)!;
    const source = await readFile(sourceOf(corpus, f));
    const handle = await open(join(mnt, f.expectedPath!), 'r');
    try {
      const size = source.length;
      for (const [pos, len] of [[0, 10], [size - 1, 1], [Math.floor(size / 3), 70_000], [size - 5, 100], [size + 10, 10], [1234, 200_000]] as const) {
        const buf = Buffer.alloc(len);
        const { bytesRead } = await handle.read(buf, 0, len, pos);
        assert.deepEqual(buf.subarray(0, bytesRead), source.subarray(pos, pos + len), `slice at ${pos}+${len}`);
      }
    } finally {
      await handle.close();
    }
  });

  it('ffprobe reads every audio file through the mount', async () => {
    for (const path of mounted) {
      const info = (await ffprobeJson(join(mnt, path))) as { format?: { duration?: string }; streams?: { codec_type?: string }[] };
      assert.ok(info.streams?.some((s) => s.codec_type === 'audio'), `${path}: no audio stream`);
      assert.ok(Number(info.format?.duration) > 0, `${path}: no duration`);
    }
  });

  it('mpv plays files of every format through the mount', async () => {
    const byExt = new Map<string, string>();
    for (const p of mounted) byExt.set(p.slice(p.lastIndexOf('.') + 1), p);
    for (const [ext, p] of byExt) {
      const { stderr } = await execFileAsync('mpv', ['--no-config', '--ao=null', '--vo=null', '--really-quiet', '--msg-level=all=error', join(mnt, p)], { timeout: 60_000 }).catch((err: { stderr?: string; message: string }) => {
        throw new Error(`mpv failed on ${ext} (${p}): ${err.stderr ?? err.message}`);
      });
      assert.equal(stderr.trim(), '', `mpv complained on ${p}`);
    }
  });

  it('refuses every write with EROFS', async () => {
    const file = join(mnt, mounted[0]!);
    const dir = join(mnt, mounted[0]!.split('/')[0]!);
    const expectRofs = async (what: string, p: Promise<unknown>): Promise<void> => {
      await assert.rejects(p, (err: NodeJS.ErrnoException) => err.code === 'EROFS', what);
    };
    await expectRofs('create', writeFile(join(mnt, 'new.flac'), 'x'));
    await expectRofs('open for writing', open(file, 'r+'));
    await expectRofs('append', writeFile(file, 'x', { flag: 'a' }));
    await expectRofs('unlink', unlink(file));
    await expectRofs('rename', rename(file, join(dir, 'renamed.flac')));
    await expectRofs('mkdir', mkdir(join(mnt, 'newdir')));
    await expectRofs('rm dir', rm(dir, { recursive: true }));
    assert.equal((await stat(file)).isFile(), true, 'the file is still there');
  });

  it('serves several reader processes at once', async () => {
    const targets = mounted.filter((p) => !p.includes('Same Name')).slice(0, 12);
    const expected = new Map<string, string>();
    for (const f of corpus.files) if (f.kind === 'audio' && f.expectedPath && !f.collisionGroup) expected.set(f.expectedPath, await sha256File(sourceOf(corpus, f)));
    const runs = [...targets, ...targets].map(
      (p) =>
        new Promise<[string, string]>((resolve, reject) => {
          const child = spawn('sha256sum', [join(mnt, p)]);
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.on('error', reject);
          child.on('close', (code) => (code === 0 ? resolve([p, out.split(' ')[0]!]) : reject(new Error(`sha256sum ${p} exited ${code}`))));
        }),
    );
    for (const [p, hash] of await Promise.all(runs)) assert.equal(hash, expected.get(p), p);
  });

  it('answers statfs with the library size', async () => {
    const s = await statfs(mnt);
    assert.ok(s.blocks > 0);
    assert.ok(s.files >= mounted.length);
  });

  it('prints a scan report that counts skipped and broken files', () => {
    assert.match(daemon.stdout, /scan complete: origin-b: .*\d+ skipped, [1-9]\d* errors/);
    assert.match(daemon.stderr, /error: origin-b\/Junk\/not-really\.flac: /);
    assert.doesNotMatch(daemon.stderr, /\n\s+at /, 'no stack traces');
  });

  it('hashes through the mount match a plain sha256 of the source', async () => {
    // One more byte-level check through a different reader (node streams).
    const f = corpus.files.find((x) => x.kind === 'audio' && x.expectedPath?.endsWith('.mp3'))!;
    const viaMount = createHash('sha256').update(await readFile(join(mnt, f.expectedPath!))).digest('hex');
    assert.equal(viaMount, await sha256File(sourceOf(corpus, f)));
  });
});
