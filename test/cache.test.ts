/**
 * The chunk cache through real mounts of real ffmpeg-made audio: a track
 * read once is read again from the cache (also with its origin gone, also
 * after a restart), stored once however many copies exist, re-cached with a
 * small delta after a retag, never served wrong (corrupt chunk on disk,
 * kill -9 mid-caching), and read straight from the origin when the cache
 * disk turns read-only.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { cacheStats, noiseFlac } from './support/cache-fixture.js';
import { isMounted, listFiles, Sandbox, sleep, waitUntil, type DaemonProcess } from './support/sandbox.js';
import { flacWithTags } from './support/tagged-audio.js';

const execFileAsync = promisify(execFile);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every chunk file of the store (hash names, in the fan-out folders). */
async function chunkFiles(storeDir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/^[0-9a-f]{64}$/.test(e.name)) out.push(p);
    }
  };
  await walk(storeDir);
  return out;
}

describe('chunk cache through a real mount', () => {
  let sandbox: Sandbox;
  let originA: string;
  let originB: string;
  let mnt: string;
  let daemon: DaemonProcess | undefined;
  const cacheDir = (): string => join(sandbox.env['XDG_CACHE_HOME']!, 'musicfs', 'chunks');
  const storeDir = (): string => join(cacheDir(), 'store');

  /** Writes config.toml with both origins (so a restart finds them even when a folder is gone). */
  async function writeConfig(extra = ''): Promise<void> {
    const dir = join(sandbox.env['XDG_CONFIG_HOME']!, 'musicfs');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'config.toml'),
      `${extra}\n[[origin]]\nname = "a"\npath = ${JSON.stringify(originA)}\n\n[[origin]]\nname = "b"\npath = ${JSON.stringify(originB)}\n`,
    );
  }

  async function start(env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
    const d = sandbox.startMount(mnt, [], [], env);
    await d.ready();
    daemon = d;
    return d;
  }

  async function stop(): Promise<void> {
    await daemon?.stopCleanly();
    daemon = undefined;
  }

  before(async () => {
    sandbox = await Sandbox.create('musicfs-cache-');
    originA = await sandbox.mkdir('origin-a');
    originB = await sandbox.mkdir('origin-b');
    mnt = await sandbox.mkdir('mnt');
    // A: two albums; B: a byte-identical copy of one track and a retagged copy of another.
    await noiseFlac(join(originA, 'one', 'a.flac'), 30, { artist: 'Alpha', album: 'First', title: 'Song A', track: '1' }, 1);
    await noiseFlac(join(originA, 'one', 'b.flac'), 30, { artist: 'Alpha', album: 'First', title: 'Song B', track: '2' }, 2);
    await noiseFlac(join(originA, 'two', 'c.flac'), 20, { artist: 'Beta', album: 'Second', title: 'Song C', track: '1' }, 3);
    await noiseFlac(join(originA, 'two', 'd.flac'), 20, { artist: 'Beta', album: 'Second', title: 'Song D', track: '2' }, 4);
    await mkdir(join(originB, 'copy'), { recursive: true });
    await copyFile(join(originA, 'one', 'a.flac'), join(originB, 'copy', 'a-copy.flac'));
    const b = await readFile(join(originA, 'one', 'b.flac'));
    await writeFile(join(originB, 'copy', 'b-retagged.flac'), flacWithTags(b, { ARTIST: 'Alpha', ALBUM: 'First (other pressing)', TITLE: 'Song B', TRACKNUMBER: '2' }));
    await writeConfig();
  });

  after(async () => {
    await execFileAsync('umount', [storeDir()]).catch(() => undefined);
    if (daemon && !daemon.hasExited) await daemon.stop('SIGINT').catch(() => undefined);
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, [], 'the test left processes or mounts behind');
  });

  it('reads every track right, stores each recording once, and serves the second read from the cache', async () => {
    await start();
    await daemon!.scansComplete(2);
    const files = await listFiles(mnt);
    assert.equal(files.length, 5, `expected 5 files (a and its copy are one), got ${files.join(', ')}`);
    const expected = new Map<string, string>();
    for (const f of ['one/a.flac', 'one/b.flac', 'two/c.flac', 'two/d.flac']) expected.set(sha(await readFile(join(originA, f))), f);
    expected.set(sha(await readFile(join(originB, 'copy', 'b-retagged.flac'))), 'b-retagged');
    for (const f of files) {
      const got = sha(await readFile(join(mnt, f)));
      assert.ok(expected.has(got), `${f}: bytes match no source file`);
    }
    const s = await cacheStats(sandbox);
    assert.equal(s.tracksComplete, 5, `every track read once is complete in the cache: ${JSON.stringify(s)}`);
    // b and its retagged copy share every audio chunk: the cache holds about the unique bytes.
    let unique = 0;
    for (const f of ['one/a.flac', 'one/b.flac', 'two/c.flac', 'two/d.flac']) unique += (await stat(join(originA, f))).size;
    assert.ok(s.sizeBytes <= unique * 1.05, `cache holds ${s.sizeBytes} bytes for ${unique} unique bytes`);
    assert.ok(s.sizeBytes >= unique * 0.95, `cache holds ${s.sizeBytes} bytes for ${unique} unique bytes`);
    const onDisk = (await chunkFiles(storeDir())).length;
    assert.equal(onDisk, s.chunks, 'one file per chunk in the store');
  });

  it('plays cached tracks with the origin gone, and gives EIO quickly for uncached ones', async () => {
    // A new, never-read track appears; then origin A disappears.
    await noiseFlac(join(originA, 'three', 'e.flac'), 5, { artist: 'Gamma', album: 'Third', title: 'Song E', track: '1' }, 5);
    await waitUntil(async () => (await listFiles(mnt)).some((p) => p.includes('Song E')), 15_000, 'the new track to appear');
    const before = new Map<string, string>();
    const files = await listFiles(mnt);
    const uncached = files.find((p) => p.includes('Song E'))!;
    for (const f of files) if (f !== uncached) before.set(f, sha(await readFile(join(mnt, f))));
    await stop();
    await rename(originA, `${originA}.away`);
    try {
      await start({ MUSICFS_READ_TIMEOUT_MS: '3000' });
      const now = await listFiles(mnt);
      for (const [f, digest] of before) {
        assert.ok(now.includes(f), `${f} is still listed (catalog persisted)`);
        assert.equal(sha(await readFile(join(mnt, f))), digest, `${f} reads byte-identical from the cache with its origin gone`);
      }
      const t0 = performance.now();
      await assert.rejects(readFile(join(mnt, uncached)), (err: NodeJS.ErrnoException) => err.code === 'EIO' || err.code === 'ENOENT');
      assert.ok(performance.now() - t0 < 10_000, 'the uncached read failed within the timeout');
    } finally {
      await stop();
      await rename(`${originA}.away`, originA);
    }
  });

  it('re-fetches a corrupt chunk from the origin and still reads right', async () => {
    const chunks = await chunkFiles(storeDir());
    assert.ok(chunks.length > 0);
    // Flip bytes in a few chunks (the daemon is stopped: its memory tier is gone).
    for (const c of chunks.slice(0, 3)) {
      const fh = await open(c, 'r+');
      await fh.write(Buffer.from('corrupt!'), 0, 8, 100);
      await fh.close();
    }
    await start();
    for (const f of ['one/a.flac', 'one/b.flac', 'two/c.flac', 'two/d.flac']) {
      const src = sha(await readFile(join(originA, f)));
      const hits = (await listFiles(mnt)).map((p) => join(mnt, p));
      const digests = await Promise.all(hits.map(async (p) => sha(await readFile(p))));
      assert.ok(digests.includes(src), `${f} is served right`);
    }
    const s = await cacheStats(sandbox);
    assert.ok(s.corruptChunks >= 1, `corrupt chunks were noticed: ${JSON.stringify(s)}`);
    await stop();
  });

  it('survives kill -9 in the middle of caching', async () => {
    const big = join(originA, 'four', 'big.flac');
    await noiseFlac(big, 150, { artist: 'Delta', album: 'Fourth', title: 'Big', track: '1' }, 6, 44_100);
    // A small read-ahead: the kill lands while most of the track is still uncached.
    const d = await start({ MUSICFS_CACHE_READ_AHEAD: '1 MiB' });
    await d.scansComplete(2);
    const path = (await listFiles(mnt)).find((p) => p.includes('Big'))!;
    const cachedAtStart = (await cacheStats(sandbox)).sizeBytes;
    const fh = await open(join(mnt, path), 'r');
    const part = Buffer.alloc(3 * 1024 * 1024);
    await fh.read(part, 0, part.length, 0);
    const cachedOfBig = (await cacheStats(sandbox)).sizeBytes - cachedAtStart;
    assert.ok(cachedOfBig < (await stat(big)).size / 2, `still caching when killed (${cachedOfBig} bytes of it cached)`);
    d.child.kill('SIGKILL');
    await fh.close().catch(() => undefined);
    await d.wait(10_000).catch(() => undefined);
    // autoUnmount lets the kernel drop the mount; make sure before restarting.
    await waitUntil(async () => !(await isMounted(mnt)), 10_000, 'the killed mount to go').catch(async () => {
      await execFileAsync('fusermount', ['-uz', mnt]).catch(() => undefined);
    });
    await start();
    assert.equal(sha(await readFile(join(mnt, path))), sha(await readFile(big)), 'the track reads right after the crash');
    await stop();
    await start();
    assert.equal(sha(await readFile(join(mnt, path))), sha(await readFile(big)), 'and again from the cache');
    await stop();
  });

  it('writes only a small delta when a 20 MB track is retagged', async (t) => {
    const src = join(originA, 'five', 'long.flac');
    await noiseFlac(src, 200, { artist: 'Epsilon', album: 'Fifth', title: 'Long', track: '1' }, 7, 44_100);
    const size = (await stat(src)).size;
    assert.ok(size > 15_000_000, `the long track is big enough (${size})`);
    const d = await start();
    await d.scansComplete(2);
    let path = (await listFiles(mnt)).find((p) => p.includes('Long'))!;
    await readFile(join(mnt, path));
    const s1 = await cacheStats(sandbox);
    // Retag in place: a longer title (and no padding kept, so the audio moves).
    await writeFile(src, flacWithTags(await readFile(src), { ARTIST: 'Epsilon', ALBUM: 'Fifth', TITLE: 'Long (2024 remaster, with a much longer title)', TRACKNUMBER: '1' }));
    await waitUntil(async () => (await listFiles(mnt)).some((p) => p.includes('remaster')), 15_000, 'the retagged track to appear');
    path = (await listFiles(mnt)).find((p) => p.includes('remaster'))!;
    assert.equal(sha(await readFile(join(mnt, path))), sha(await readFile(src)), 'the retagged track reads right');
    const s2 = await cacheStats(sandbox);
    const delta = s2.sizeBytes - s1.sizeBytes;
    t.diagnostic(`retag of a ${size}-byte track: ${delta} new bytes (${((delta / size) * 100).toFixed(2)}%)`);
    assert.ok(delta < size * 0.1, `re-caching after a retag wrote ${delta} new bytes for a ${size}-byte track`);
    await stop();
  });

  it('reads straight from the origin when the cache disk turns read-only, and resumes when it recovers', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root for a read-only bind mount');
    await noiseFlac(join(originA, 'six', 'f.flac'), 10, { artist: 'Zeta', album: 'Sixth', title: 'Song F', track: '1' }, 8);
    const d = await start({ MUSICFS_CACHE_MEMORY: '0' });
    await d.scansComplete(2);
    try {
      await execFileAsync('mount', ['--bind', storeDir(), storeDir()]);
      await execFileAsync('mount', ['-o', 'remount,ro,bind', storeDir()]);
    } catch (err) {
      return t.skip(`cannot make a read-only bind mount here: ${(err as Error).message}`);
    }
    const path = (await listFiles(mnt)).find((p) => p.includes('Song F'))!;
    const want = sha(await readFile(join(originA, 'six', 'f.flac')));
    assert.equal(sha(await readFile(join(mnt, path))), want, 'reads right while the cache cannot be written');
    const s = await cacheStats(sandbox);
    assert.equal(s.passthrough, true, `passthrough is on: ${JSON.stringify(s)}`);
    await execFileAsync('umount', [storeDir()]);
    await waitUntil(async () => !(await cacheStats(sandbox)).passthrough, 20_000, 'passthrough to end');
    await sleep(10);
    await stop();
  });
});
