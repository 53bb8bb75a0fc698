/**
 * The daemon's life: ready line, clean SIGINT/SIGTERM shutdown (exit 0, mount
 * gone), restart from the persisted catalog (same tracks at once, same inode
 * numbers), a stale mount left by a SIGKILLed daemon cleared at start, and a
 * second signal that exits at once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { makeFlac } from './support/audio.js';
import { isMounted, listFiles, Sandbox, waitUntil } from './support/sandbox.js';

const execFileAsync = promisify(execFile);

describe('daemon lifecycle', () => {
  let sandbox: Sandbox;
  let origin: string;
  let mnt: string;
  const TRACKS = 6;

  before(async () => {
    sandbox = await Sandbox.create();
    origin = sandbox.path('music');
    for (let i = 1; i <= TRACKS; i++) {
      await makeFlac(sandbox.path('music', `album-${i % 2}`, `t${i}.flac`), { artist: 'Lifecycle', album: `Album ${i % 2}`, title: `Song ${i}`, track: i }, 300 + i * 40);
    }
    mnt = await sandbox.mkdir('mnt');
  });

  after(async () => {
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, [], 'the test left processes or mounts behind');
  });

  it('mounts, then unmounts and exits 0 on SIGINT and on SIGTERM', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const daemon = sandbox.startMount(mnt, [origin]);
      await daemon.ready();
      await daemon.scansComplete(1);
      assert.equal((await listFiles(mnt)).length, TRACKS);
      const result = await daemon.stop(signal);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /unmounted/);
      assert.equal(await isMounted(mnt), false, `still mounted after ${signal}`);
      assert.deepEqual(await readdir(mnt), [], 'the mountpoint is an empty folder again');
    }
  });

  it('restarts from the persisted catalog: same tracks at once, same inode numbers', async () => {
    const first = sandbox.startMount(mnt, [origin]);
    await first.ready();
    await first.scansComplete(1);
    const files = await listFiles(mnt);
    const inodes = await Promise.all(files.map(async (f) => (await stat(`${mnt}/${f}`)).ino));
    assert.equal((await first.stop()).code, 0);

    const second = sandbox.startMount(mnt, [origin]);
    await second.ready();
    assert.match(second.stdout, new RegExp(`mounted .* \\(${TRACKS} tracks from the catalog\\)`));
    const again = await listFiles(mnt);
    assert.deepEqual(again, files);
    assert.deepEqual(await Promise.all(again.map(async (f) => (await stat(`${mnt}/${f}`)).ino)), inodes);
    await second.scansComplete(1);
    assert.match(second.stdout, new RegExp(`scan complete: music: ${TRACKS} scanned, 0 added, 0 updated, 0 removed, ${TRACKS} unchanged`));
    assert.equal((await second.stop()).code, 0);
  });

  it('clears a stale mount left by a killed daemon and mounts again', async () => {
    const daemon = sandbox.startMount(mnt, [origin]);
    await daemon.ready();
    // Kill the auto-unmount helper first, then the daemon: exactly what an OOM
    // kill of the whole process group leaves behind.
    await execFileAsync('pkill', ['-9', '-f', `fusermount.*${mnt}`]).catch(() => undefined);
    daemon.child.kill('SIGKILL');
    await daemon.wait();
    await assert.rejects(stat(mnt), (err: NodeJS.ErrnoException) => err.code === 'ENOTCONN', 'the mount is stale');

    // The killed daemon also left its control socket behind: the next one must take it over.
    assert.ok((await stat(sandbox.path('state', 'run', 'musicfs', 'control.sock'))).isSocket());
    const next = sandbox.startMount(mnt, [origin]);
    await next.ready();
    assert.match(next.stderr, /stale mount/);
    assert.equal((await listFiles(mnt)).length, TRACKS);
    assert.equal((await next.stop()).code, 0);
    assert.equal(await isMounted(mnt), false);
  });

  it('a second signal exits at once, and the kernel still drops the mount', async () => {
    const daemon = sandbox.startMount(mnt, [origin]);
    await daemon.ready();
    daemon.child.kill('SIGINT');
    daemon.child.kill('SIGTERM');
    const result = await daemon.wait();
    // 143 (SIGTERM second) or 130 (the two delivered the other way round on a
    // loaded machine): either way the second signal ended it at once; 0 if the
    // graceful stop won the race.
    assert.ok(result.code === 143 || result.code === 130 || result.code === 0, `exit code ${result.code}`);
    await waitUntil(async () => !(await isMounted(mnt)), 10_000, 'the mount to go away');
  });

  it('refuses a mountpoint another live mount holds', async () => {
    const daemon = sandbox.startMount(mnt, [origin]);
    await daemon.ready();
    const other = await sandbox.run(['mount', mnt, '--origin', origin]);
    assert.equal(other.code, 69, other.stderr);
    assert.match(other.stderr, /already mounted/);
    assert.equal(other.stderr.trim().split('\n').length, 1, 'one line');
    assert.equal((await daemon.stop()).code, 0);
  });
});
