import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { ExitCode, exitCodeFor } from '../../../src-shared/exit-codes.js';
import type { CachePathsRequest__Output } from '../../common/api/gen/musicfs/v1/CachePathsRequest.js';
import type { CacheProgress } from '../../common/api/gen/musicfs/v1/CacheProgress.js';
import type { CacheStats } from '../../common/api/gen/musicfs/v1/CacheStats.js';
import { toServiceError } from '../../common/api/status.js';
import { captureIo, startFakeDaemon, TestInterrupts, type FakeDaemon } from '../testing/fake-daemon.js';
import { runMusicfs } from '../testing/fixtures.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const STATS: CacheStats = {
  dir: '/home/u/.cache/musicfs/chunks',
  sizeBytes: 2.5 * GiB,
  limitBytes: 10 * GiB,
  chunks: 4321,
  tracks: 120,
  tracksComplete: 100,
  pinnedTracks: 12,
  memoryBytes: 64 * MiB,
  memoryLimitBytes: 256 * MiB,
  hits: 952,
  misses: 48,
  hitRatio: 0.952,
  evictions: 7,
  evictedBytes: 300 * MiB,
  corruptChunks: 1,
  passthrough: false,
  passthroughReason: '',
};

const KOB = ['Miles Davis/Kind of Blue/01 - So What.flac', 'Miles Davis/Kind of Blue/02 - Freddie Freeloader.flac', 'Miles Davis/Kind of Blue/03 - Blue in Green.flac'];

/** The messages of a Prefetch of the three tracks of KOB (10 MiB each); `fail` names the one that fails. */
function progress(fail?: string): CacheProgress[] {
  const out: CacheProgress[] = [];
  let failed = 0;
  KOB.forEach((path, i) => {
    const error = path === fail ? 'origin jazz is unreachable' : '';
    if (error) failed++;
    // As the daemon does: a failed file counts as done, its bytes too.
    out.push({ path, filesDone: i + 1, filesTotal: 3, filesFailed: failed, bytesDone: (i + 1) * 10 * MiB, bytesTotal: 30 * MiB, error, finished: false });
  });
  out.push({ path: '', filesDone: 3, filesTotal: 3, filesFailed: failed, bytesDone: 30 * MiB, bytesTotal: 30 * MiB, error: '', finished: true });
  return out;
}

const unavailable = (): Partial<grpc.StatusObject> => toServiceError(new MusicFsError('CACHE_UNAVAILABLE', 'the chunk cache is not built yet'));

describe('musicfs cache', () => {
  let daemon: FakeDaemon;
  let stats: CacheStats | undefined = STATS;
  let fillCancelled = false;

  const fill = (call: grpc.ServerWritableStream<CachePathsRequest__Output, CacheProgress>): void => {
    const first = call.request.paths[0] ?? '';
    if (first === 'forever') {
      call.write({ path: 'forever/1.flac', filesDone: 1, filesTotal: 1000, filesFailed: 0, bytesDone: MiB, bytesTotal: 1000 * MiB });
      call.on('cancelled', () => (fillCancelled = true));
      return;
    }
    if (first === 'unavailable') return void call.emit('error', Object.assign(new Error('unavailable'), unavailable()));
    for (const p of progress(first === 'failing' ? KOB[1] : undefined)) call.write(p);
    call.end();
  };

  before(async () => {
    daemon = await startFakeDaemon({
      GetCacheStats: (_call, cb) => (stats === undefined ? cb(unavailable() as grpc.ServiceError, null) : cb(null, stats)),
      ClearCache: (call, cb) => cb(null, call.request.includePinned ? { tracks: 120, bytes: 2.5 * GiB } : { tracks: 108, bytes: 2 * GiB }),
      Prefetch: fill,
      Pin: fill,
      Unpin: (call, cb) => cb(null, { tracks: call.request.paths.length * 10 }),
    });
  });
  after(() => daemon.close());

  const lastRequest = (method: string): CachePathsRequest__Output => daemon.calls.filter((c) => c.method === method).at(-1)!.request as CachePathsRequest__Output;

  it('stats prints size against the limit, tracks, pinned, memory, reads, evictions and passthrough', async () => {
    const r = await runMusicfs(['cache', 'stats'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'size         2.5 GiB of 10.0 GiB (25%)',
      'chunks       4321',
      'tracks       120 (100 complete)',
      'pinned       12 tracks',
      'memory       64.0 MiB of 256.0 MiB',
      'reads        952 hits, 48 misses (hit ratio 95.2%)',
      'evicted      7 tracks, 300.0 MiB',
      'corrupt      1 chunk fetched again',
      'passthrough  no',
      'folder       /home/u/.cache/musicfs/chunks',
    ]);
  });

  it('stats in passthrough, before any read, with no memory tier', async () => {
    stats = { ...STATS, passthrough: true, passthroughReason: 'no space left on /home', hits: 0, misses: 0, hitRatio: 0, memoryLimitBytes: 0, memoryBytes: 0 };
    try {
      const r = await runMusicfs(['cache'], { socket: daemon.socketPath });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^passthrough {2}yes: no space left on \/home$/m);
      assert.match(r.stdout, /^reads {8}none yet$/m);
      assert.match(r.stdout, /^memory {7}off$/m);
    } finally {
      stats = STATS;
    }
  });

  it('stats --json prints the message', async () => {
    const r = await runMusicfs(['cache', 'stats', '--json'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), STATS);
    const global = await runMusicfs(['--json', 'cache'], { socket: daemon.socketPath });
    assert.deepEqual(JSON.parse(global.stdout), STATS);
  });

  it('clear keeps pinned tracks unless --include-pinned', async () => {
    const r = await runMusicfs(['cache', 'clear'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'cleared 108 tracks, 2.0 GiB freed (pinned tracks kept)\n');
    assert.deepEqual(daemon.calls.at(-1), { method: 'ClearCache', request: { includePinned: false } });
    const all = await runMusicfs(['cache', 'clear', '--include-pinned'], { socket: daemon.socketPath });
    assert.equal(all.stdout, 'cleared 120 tracks, 2.5 GiB freed\n');
    assert.deepEqual(daemon.calls.at(-1), { method: 'ClearCache', request: { includePinned: true } });
    const json = await runMusicfs(['cache', 'clear', '--json'], { socket: daemon.socketPath });
    assert.deepEqual(JSON.parse(json.stdout), { tracks: 108, bytes: 2 * GiB });
  });

  it('prefetch sends the paths as typed with the working directory; plain progress lines without a terminal', async () => {
    const r = await runMusicfs(['cache', 'prefetch', 'Miles Davis/Kind of Blue', '../x.flac'], { socket: daemon.socketPath, cwd: '/mnt/music/Björk' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastRequest('Prefetch'), { paths: ['Miles Davis/Kind of Blue', '../x.flac'], cwd: '/mnt/music/Björk' });
    // Throttled to one line a second: the first is printed, the rest fall within the second.
    assert.equal(r.stderr, 'prefetching: 1 of 3 files, 10.0 MiB of 30.0 MiB (33.3%)\n');
    assert.equal(r.stdout, 'prefetched 3 files (30.0 MiB)\n');
  });

  it('prefetch on a terminal draws a progress bar on stderr', async () => {
    const io = captureIo({ stderr: true });
    const r = await runMusicfs(['cache', 'prefetch', 'Miles Davis'], { socket: daemon.socketPath, io });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /prefetching \[[^\]]+\] 100% \| 3\/3 files \| 30\.0 MiB\/30\.0 MiB \| +0s/);
    assert.equal(r.stdout, 'prefetched 3 files (30.0 MiB)\n');
  });

  it('prefetch --json prints every CacheProgress as NDJSON', async () => {
    const r = await runMusicfs(['cache', 'prefetch', 'Miles Davis', '--json'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const messages = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as CacheProgress);
    assert.deepEqual(messages, progress());
  });

  it('a file that fails is named with its reason, and the exit code is 1', async () => {
    const r = await runMusicfs(['cache', 'prefetch', 'failing'], { socket: daemon.socketPath });
    assert.equal(r.code, ExitCode.FAILURE);
    assert.equal(r.stdout, 'prefetched 2 of 3 files; 1 failed:\n');
    assert.match(r.stderr, /^failed: Miles Davis\/Kind of Blue\/02 - Freddie Freeloader\.flac: origin jazz is unreachable$/m);
    const json = await runMusicfs(['cache', 'prefetch', 'failing', '--json'], { socket: daemon.socketPath });
    assert.equal(json.code, ExitCode.FAILURE);
    assert.equal(json.stderr, '');
    assert.equal(json.stdout.trimEnd().split('\n').length, 4);
  });

  it('pin is Pin with the same request and output', async () => {
    const r = await runMusicfs(['cache', 'pin', '/mnt/music/Miles Davis'], { socket: daemon.socketPath, cwd: '/home/u' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastRequest('Pin'), { paths: ['/mnt/music/Miles Davis'], cwd: '/home/u' });
    assert.equal(r.stderr, 'pinning: 1 of 3 files, 10.0 MiB of 30.0 MiB (33.3%)\n');
    assert.equal(r.stdout, 'pinned 3 files (30.0 MiB)\n');
  });

  it('Ctrl-C cancels the prefetch in the daemon and exits 130', async () => {
    const interrupts = new TestInterrupts();
    const running = runMusicfs(['cache', 'pin', 'forever'], { socket: daemon.socketPath, interrupts });
    while (!daemon.calls.some((c) => c.method === 'Pin' && (c.request as CachePathsRequest__Output).paths[0] === 'forever') || !interrupts.listening) {
      await new Promise((res) => setTimeout(res, 5));
    }
    await new Promise((res) => setTimeout(res, 20));
    interrupts.press();
    const r = await running;
    assert.equal(r.code, 130);
    assert.equal(r.stderr, 'pinning: 1 of 1000 files, 1.0 MiB of 1000.0 MiB (0.1%)\nmusicfs: pin cancelled\n');
    for (let i = 0; i < 100 && !fillCancelled; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(fillCancelled, true, 'the daemon saw the call cancelled');
  });

  it('unpin sends the paths and says how many tracks it unpinned', async () => {
    const r = await runMusicfs(['cache', 'unpin', 'A', 'B/C'], { socket: daemon.socketPath, cwd: '/home/u' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lastRequest('Unpin'), { paths: ['A', 'B/C'], cwd: '/home/u' });
    assert.equal(r.stdout, 'unpinned 20 tracks\n');
    const json = await runMusicfs(['cache', 'unpin', 'A', '--json'], { socket: daemon.socketPath });
    assert.deepEqual(JSON.parse(json.stdout), { tracks: 10 });
  });

  it('prefetch, pin and unpin need at least one path', async () => {
    for (const verb of ['prefetch', 'pin', 'unpin']) {
      const r = await runMusicfs(['cache', verb], { socket: daemon.socketPath });
      assert.equal(r.code, ExitCode.USAGE, verb);
      assert.match(r.stderr, /^musicfs: missing required argument 'path'/, verb);
    }
  });

  it('a cache that is not available: one line, and its exit code', async () => {
    stats = undefined;
    try {
      for (const args of [['cache', 'stats'], ['cache', 'stats', '--json'], ['cache', 'prefetch', 'unavailable']]) {
        const r = await runMusicfs(args, { socket: daemon.socketPath });
        assert.equal(r.code, exitCodeFor('CACHE_UNAVAILABLE'), args.join(' '));
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, 'musicfs: the chunk cache is not built yet\n');
      }
    } finally {
      stats = STATS;
    }
  });
});
