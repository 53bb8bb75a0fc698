/**
 * Cache size limit, pin, unpin, clear and prefetch through a real daemon, a
 * real mount, real ffmpeg-made audio and the real CLI: with a limit of about
 * 2.5 tracks, a pinned track stays complete while reading others evicts the
 * least recently used (a `cache_evicted` event on `musicfs events`) and keeps
 * the cache under its limit; unpin + clear empty it; a prefetched album then
 * plays byte-identical after a restart with its origin moved away.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CacheProgress__Output } from '../src-main/common/api/gen/musicfs/v1/CacheProgress.js';
import type { CacheStats__Output } from '../src-main/common/api/gen/musicfs/v1/CacheStats.js';
import { cacheStats, noiseFlac } from './support/cache-fixture.js';
import { listFiles, MUSICFS_BIN, Sandbox, sleep, waitUntil, type DaemonProcess, type RunResult } from './support/sandbox.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface EvictedEvent {
  type: string;
  cacheEvicted?: { tracks: number; bytes: number | string; reason: string };
}

describe('cache limit, pin, clear and prefetch through a real daemon', () => {
  let sandbox: Sandbox;
  let origin: string;
  let mnt: string;
  let daemon: DaemonProcess | undefined;
  let limit = 0;
  /** Origin file (relative to the origin) by track number. */
  const originFile = (n: number): string => (n <= 3 ? `uno/${n}.flac` : `dos/${n}.flac`);
  /** Path in the mount by track number (found by title once mounted). */
  const mountPath = new Map<number, string>();
  const digest = new Map<number, string>();
  const eventsChildren: ReturnType<typeof spawn>[] = [];

  const run = (...args: string[]): Promise<RunResult> => sandbox.run(args, { timeoutMs: 60_000 });
  const stats = (): Promise<CacheStats__Output> => cacheStats(sandbox);

  async function start(env: NodeJS.ProcessEnv = {}): Promise<DaemonProcess> {
    const d = sandbox.startMount(mnt, [], [], { MUSICFS_CACHE_SIZE_LIMIT: String(limit), ...env });
    await d.ready();
    daemon = d;
    return d;
  }

  async function stop(): Promise<void> {
    await daemon?.stopCleanly();
    daemon = undefined;
  }

  before(async () => {
    sandbox = await Sandbox.create('musicfs-cache-evict-');
    origin = await sandbox.mkdir('origin');
    mnt = await sandbox.mkdir('mnt');
    for (let n = 1; n <= 5; n++) {
      const album = n <= 3 ? 'Uno' : 'Dos';
      await noiseFlac(join(origin, originFile(n)), 20, { artist: 'Evictors', album, title: `Song ${n}`, track: String(n <= 3 ? n : n - 3) }, n);
      digest.set(n, sha(await readFile(join(origin, originFile(n)))));
    }
    let largest = 0;
    for (let n = 1; n <= 5; n++) largest = Math.max(largest, (await stat(join(origin, originFile(n)))).size);
    limit = Math.round(largest * 2.5);
    // The origin in config.toml, so a restart finds it (and finds it gone).
    const configDir = join(sandbox.env['XDG_CONFIG_HOME']!, 'musicfs');
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.toml'), `[[origin]]\nname = "a"\npath = ${JSON.stringify(origin)}\n`);

    const d = await start();
    await d.scansComplete(1);
    const files = await listFiles(mnt);
    for (let n = 1; n <= 5; n++) {
      const p = files.find((f) => f.includes(`Song ${n}`));
      assert.ok(p, `Song ${n} is in the mount: ${files.join(', ')}`);
      mountPath.set(n, join(mnt, p));
    }
  });

  after(async () => {
    for (const c of eventsChildren) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    if (daemon && !daemon.hasExited) await daemon.stop('SIGINT').catch(() => undefined);
    await rename(`${origin}.away`, origin).catch(() => undefined);
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, [], 'the test left processes or mounts behind');
  });

  it('cache pin reads a track into the cache with progress and pins it', async () => {
    const r = await run('cache', 'pin', mountPath.get(1)!, '--json');
    assert.equal(r.code, 0, r.stderr);
    const progress = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CacheProgress__Output);
    const last = progress.at(-1)!;
    assert.equal(last.finished, true);
    assert.equal(last.filesTotal, 1);
    assert.equal(last.filesDone, 1);
    assert.equal(last.filesFailed, 0, last.error);
    const size = (await stat(join(origin, originFile(1)))).size;
    assert.equal(Number(last.bytesTotal), size);
    assert.equal(Number(last.bytesDone), size);
    const s = await stats();
    assert.equal(s.pinnedTracks, 1);
    assert.ok(s.tracksComplete >= 1, JSON.stringify(s));
    assert.equal(s.limitBytes, limit);
    assert.ok(s.sizeBytes >= size && s.sizeBytes <= limit);
  });

  it('reading other tracks evicts the least recently used, never the pinned one, and stays under the limit', async () => {
    const events = spawn(MUSICFS_BIN, ['events', '--json', '--type', 'cache_evicted'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    eventsChildren.push(events);
    let out = '';
    let err = '';
    events.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    events.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => events.on('close', (code) => r(code)));
    await sleep(700); // subscribed before the first eviction

    for (let n = 2; n <= 5; n++) {
      assert.equal(sha(await readFile(mountPath.get(n)!)), digest.get(n), `track ${n} reads right`);
      // Writes land and evictions run just after the read returns.
      await waitUntil(async () => (await stats()).sizeBytes <= limit, 10_000, `the cache to be within its limit after track ${n}`);
    }
    const s = await stats();
    assert.ok(s.evictions > 0, `tracks were evicted: ${JSON.stringify(s)}`);
    assert.ok(s.sizeBytes <= limit, `${s.sizeBytes} > ${limit}`);
    assert.equal(s.pinnedTracks, 1);

    // The pinned track is still complete: read through the mount, every read is a hit.
    const misses = s.misses;
    assert.equal(sha(await readFile(mountPath.get(1)!)), digest.get(1));
    const after1 = await stats();
    assert.ok(after1.hits > s.hits, 'the pinned track was read from the cache');
    assert.equal(after1.misses, misses, 'no byte of the pinned track had to be fetched');

    await waitUntil(() => out.includes('\n'), 15_000, 'a cache_evicted event line');
    events.kill('SIGINT');
    assert.equal(await exited, 0, `musicfs events: ${err}`);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as EvictedEvent);
    assert.ok(lines.length > 0);
    for (const e of lines) {
      assert.equal(e.type, 'CACHE_EVICTED');
      assert.equal(e.cacheEvicted?.reason, 'limit', JSON.stringify(e));
      assert.ok((e.cacheEvicted?.tracks ?? 0) >= 1 && Number(e.cacheEvicted?.bytes ?? 0) > 0, JSON.stringify(e));
    }
  });

  it('cache unpin and cache clear empty the cache; cache prefetch of an album makes its tracks complete', async () => {
    const unpin = await run('cache', 'unpin', mountPath.get(1)!);
    assert.equal(unpin.code, 0, unpin.stderr);
    assert.equal(unpin.stdout, 'unpinned 1 track\n');
    const clear = await run('cache', 'clear');
    assert.equal(clear.code, 0, clear.stderr);
    let s = await stats();
    assert.equal(s.sizeBytes, 0, JSON.stringify(s));
    assert.equal(s.tracks, 0);
    assert.equal(s.pinnedTracks, 0);

    const album = dirname(mountPath.get(4)!);
    assert.equal(dirname(mountPath.get(5)!), album, 'tracks 4 and 5 share an album folder');
    const evictionsBefore = s.evictions;
    const prefetch = await run('cache', 'prefetch', album);
    assert.equal(prefetch.code, 0, prefetch.stderr);
    assert.match(prefetch.stdout, /^prefetched 2 files \(/);
    s = await stats();
    assert.equal(s.tracksComplete, 2, JSON.stringify(s));
    assert.equal(s.tracks, 2);
    assert.ok(s.sizeBytes <= limit);
    assert.equal(s.evictions, evictionsBefore, 'the album fits: nothing evicted');
  });

  it('the prefetched album plays byte-identical after a restart with its origin moved away', async () => {
    await stop();
    await rename(origin, `${origin}.away`);
    try {
      await start({ MUSICFS_READ_TIMEOUT_MS: '3000' });
      const now = await listFiles(mnt);
      for (const n of [4, 5]) {
        const p = mountPath.get(n)!;
        assert.ok(now.includes(p.slice(mnt.length + 1)), `${p} is still listed (catalog persisted)`);
        assert.equal(sha(await readFile(p)), digest.get(n), `track ${n} reads byte-identical from the cache`);
      }
      const s = await stats();
      assert.equal(s.tracksComplete, 2);
      assert.equal(s.misses, 0, 'every read was a hit');
    } finally {
      await stop();
      await rename(`${origin}.away`, origin);
    }
  });
});
