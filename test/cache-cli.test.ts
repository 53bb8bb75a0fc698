/**
 * `musicfs cache ...` with the real CLI binary over the real socket of a real
 * daemon (started with `musicfs mount`): stats, prefetch and pin (library
 * paths, absolute mount paths, paths relative to a working directory in the
 * mount), unpin, clear, --json on each, and the errors.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { ExitCode } from '../src-shared/exit-codes.js';
import type { CacheProgress__Output } from '../src-main/common/api/gen/musicfs/v1/CacheProgress.js';
import type { CacheStats__Output } from '../src-main/common/api/gen/musicfs/v1/CacheStats.js';
import { makeFlac } from './support/audio.js';
import { Sandbox, type DaemonProcess, type RunResult } from './support/sandbox.js';

const KOB = 'Miles Davis/Kind of Blue';
const SO_WHAT = `${KOB}/01 - So What.flac`;

describe('musicfs cache against a running daemon', () => {
  let sandbox: Sandbox;
  let daemon: DaemonProcess;
  let mnt: string;

  const run = (...args: string[]): Promise<RunResult> => sandbox.run(args, { timeoutMs: 20_000 });
  /** `musicfs ARGS` with its working directory at `cwd`. */
  const runIn = (cwd: string, ...args: string[]): Promise<RunResult> => sandbox.run(args, { wrapper: ['sh', '-c', 'cd "$0" && exec "$@"', cwd], timeoutMs: 20_000 });
  const stats = async (): Promise<CacheStats__Output> => {
    const r = await run('cache', 'stats', '--json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as CacheStats__Output;
  };
  const ndjson = (r: RunResult): CacheProgress__Output[] =>
    r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as CacheProgress__Output);

  before(async () => {
    sandbox = await Sandbox.create();
    await makeFlac(sandbox.path('jazz', '1.flac'), { artist: 'Miles Davis', album: 'Kind of Blue', title: 'So What', track: 1 }, 300);
    await makeFlac(sandbox.path('jazz', '2.flac'), { artist: 'Miles Davis', album: 'Kind of Blue', title: 'Blue in Green', track: 3 }, 330);
    await makeFlac(sandbox.path('rock', 'a.flac'), { artist: 'Björk', album: 'Début', title: 'Human Behaviour', track: 1 }, 360);
    mnt = await sandbox.mkdir('mnt');
    daemon = sandbox.startMount(mnt, [sandbox.path('jazz'), sandbox.path('rock')]);
    await daemon.ready();
    await daemon.scansComplete(2);
  });

  after(async () => {
    if (daemon && !daemon.hasExited) await daemon.stop();
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('cache stats: empty at first; a table, and the message with --json', async () => {
    const human = await run('cache', 'stats');
    assert.equal(human.code, 0, human.stderr);
    for (const key of ['size', 'chunks', 'tracks', 'pinned', 'memory', 'reads', 'evicted', 'corrupt', 'passthrough', 'folder']) {
      assert.match(human.stdout, new RegExp(`^${key} +\\S`, 'm'), key);
    }
    assert.match(human.stdout, /^passthrough +no$/m);
    const s = await stats();
    assert.equal(s.tracks, 0);
    assert.equal(s.pinnedTracks, 0);
    assert.equal(s.passthrough, false);
    assert.ok(s.limitBytes > 0);
    assert.ok(s.dir.startsWith(sandbox.path('state', 'cache')), s.dir);
    // `musicfs cache` alone is `cache stats`.
    assert.equal((await run('cache')).stdout, human.stdout);
  });

  it('cache prefetch of a library folder reads it into the cache', async () => {
    const r = await run('cache', 'prefetch', KOB);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^prefetched 2 files \(\d+(\.\d)? [KM]iB\)\n$/);
    const s = await stats();
    assert.equal(s.tracksComplete, 2);
    assert.ok(s.sizeBytes > 0 && s.chunks > 0);
    // Read through the mount now, it is a hit.
    await readFile(`${mnt}/${SO_WHAT}`);
    assert.ok((await stats()).hits > 0);
  });

  it('cache prefetch --json: NDJSON progress, the last message finished', async () => {
    const r = await run('cache', 'prefetch', 'Björk', KOB, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const messages = ndjson(r);
    const last = messages.at(-1)!;
    assert.equal(last.finished, true);
    assert.equal(last.filesTotal, 3);
    assert.equal(last.filesDone, 3);
    assert.equal(last.filesFailed, 0);
    assert.equal(last.bytesDone, last.bytesTotal);
    assert.ok(messages.some((m) => m.path.endsWith('Human Behaviour.flac')));
  });

  it('cache pin by absolute mount path, and relative to a working directory in the mount', async () => {
    const abs = await run('cache', 'pin', `${mnt}/${SO_WHAT}`);
    assert.equal(abs.code, 0, abs.stderr);
    assert.match(abs.stdout, /^pinned 1 file \(/);
    assert.equal((await stats()).pinnedTracks, 1);
    const rel = await runIn(`${mnt}/Björk`, 'cache', 'pin', 'Début', '--json');
    assert.equal(rel.code, 0, rel.stderr);
    assert.equal(ndjson(rel).at(-1)!.filesTotal, 1);
    assert.equal((await stats()).pinnedTracks, 2);
  });

  it('cache clear keeps the pinned tracks; cache unpin, then clear --include-pinned empties it', async () => {
    const clear = await run('cache', 'clear');
    assert.equal(clear.code, 0, clear.stderr);
    assert.match(clear.stdout, /^cleared 1 track, .* freed \(pinned tracks kept\)\n$/);
    let s = await stats();
    assert.equal(s.pinnedTracks, 2);
    assert.equal(s.tracksComplete, 2);

    const unpin = await run('cache', 'unpin', `${KOB}`);
    assert.equal(unpin.code, 0, unpin.stderr);
    assert.equal(unpin.stdout, 'unpinned 1 track\n');
    const again = await run('cache', 'unpin', KOB, '--json');
    assert.deepEqual(JSON.parse(again.stdout), { tracks: 0 });

    const all = await run('cache', 'clear', '--include-pinned', '--json');
    assert.equal(all.code, 0, all.stderr);
    const freed = JSON.parse(all.stdout) as { tracks: number; bytes: number };
    assert.equal(freed.tracks, 2);
    assert.ok(freed.bytes > 0);
    s = await stats();
    assert.equal(s.tracks, 0);
    assert.equal(s.pinnedTracks, 0);
  });

  it('cache prefetch / pin / unpin of a path not in the library: one line, exit 66', async () => {
    for (const verb of ['prefetch', 'pin', 'unpin']) {
      for (const json of [[], ['--json']]) {
        const r = await run('cache', verb, 'Nobody/Nothing', ...json);
        assert.equal(r.code, ExitCode.NO_INPUT, `${verb} ${json.join('')}: ${r.stderr}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^musicfs: Nobody\/Nothing is not in the library.*\n$/);
      }
    }
  });

  it('cache commands without a daemon: exit 69', async () => {
    const r = await sandbox.run(['cache', 'stats'], { env: { XDG_RUNTIME_DIR: sandbox.path('nowhere') } });
    assert.equal(r.code, ExitCode.UNAVAILABLE, r.stderr);
    assert.match(r.stderr, /^musicfs: no MusicFS daemon is running/);
  });

  // TODO(cache): the cache engineer may add here what needs a slow or failing origin:
  //  - a file that cannot be fetched exits 1 and is named with its reason on stderr;
  //  - Ctrl-C (SIGINT) during a long prefetch exits 130 and the daemon stops fetching;
  //  - the cache_evicted / cache_passthrough_changed events through `musicfs events`,
  //    and the musicfs_cache_* metrics once app.ts calls `metrics.bindCache(...)`.
});
