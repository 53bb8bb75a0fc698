/**
 * The mount follows the origin by itself: added, retagged, moved and deleted
 * files and folders show up through inotify without a rescan. The latency of
 * each change is printed (the target is 2 s; timing is not asserted here, only
 * that it happens within a generous bound: machines are shared and noisy).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeFlac } from './support/audio.js';
import { Sandbox, waitUntil, type DaemonProcess } from './support/sandbox.js';

const BOUND_MS = 15_000;

describe('watcher', () => {
  let sandbox: Sandbox;
  let origin: string;
  let mnt: string;
  let daemon: DaemonProcess;
  let spare: string;

  const exists = async (p: string): Promise<boolean> => (await stat(`${mnt}/${p}`).catch(() => undefined)) !== undefined;
  const appears = (p: string, what: string): Promise<number> => waitUntil(() => exists(p), BOUND_MS, what);
  const disappears = (p: string, what: string): Promise<number> => waitUntil(async () => !(await exists(p)), BOUND_MS, what);

  before(async () => {
    sandbox = await Sandbox.create();
    origin = sandbox.path('music');
    await makeFlac(sandbox.path('music', 'Band', 'one.flac'), { artist: 'Band', album: 'First', title: 'One', track: 1 }, 300);
    await makeFlac(sandbox.path('music', 'Band', 'two.flac'), { artist: 'Band', album: 'First', title: 'Two', track: 2 }, 350);
    spare = sandbox.path('spare');
    await makeFlac(`${spare}/new.flac`, { artist: 'Newcomer', album: 'Debut', title: 'Hello', track: 1 }, 400);
    await makeFlac(`${spare}/retag.flac`, { artist: 'Band', album: 'First', title: 'One (Remastered)', track: 1 }, 300);
    await makeFlac(`${spare}/dir-a.flac`, { artist: 'Folder Act', album: 'Dropped In', title: 'A', track: 1 }, 500);
    await makeFlac(`${spare}/dir-b.flac`, { artist: 'Folder Act', album: 'Dropped In', title: 'B', track: 2 }, 550);
    mnt = await sandbox.mkdir('mnt');
    daemon = sandbox.startMount(mnt, [origin]);
    await daemon.ready();
    await daemon.scansComplete(1);
    assert.ok(await exists('Band/First/01 - One.flac'));
  });

  after(async () => {
    if (daemon && !daemon.hasExited) assert.equal((await daemon.stop()).code, 0);
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('shows an added file', async () => {
    await copyFile(`${spare}/new.flac`, `${origin}/Band/new.flac`);
    const ms = await appears('Newcomer/Debut/01 - Hello.flac', 'the added file');
    console.log(`added file visible after ${ms} ms`);
    assert.deepEqual(await readFile(`${mnt}/Newcomer/Debut/01 - Hello.flac`), await readFile(`${spare}/new.flac`));
  });

  it('follows a retagged file (replaced in place)', async () => {
    await copyFile(`${spare}/retag.flac`, `${origin}/Band/one.tmp`);
    await rename(`${origin}/Band/one.tmp`, `${origin}/Band/one.flac`);
    const ms = await appears('Band/First/01 - One (Remastered).flac', 'the retagged name');
    await disappears('Band/First/01 - One.flac', 'the old name');
    console.log(`retag visible after ${ms} ms`);
    assert.deepEqual(await readFile(`${mnt}/Band/First/01 - One (Remastered).flac`), await readFile(`${spare}/retag.flac`));
  });

  it('keeps serving a file moved to another folder of the origin', async () => {
    await mkdir(`${origin}/Elsewhere`);
    await rename(`${origin}/Band/two.flac`, `${origin}/Elsewhere/two.flac`);
    // Same tags, so the same virtual path; it must read from the new place.
    await waitUntil(async () => (await readFile(`${mnt}/Band/First/02 - Two.flac`).catch(() => undefined)) !== undefined, BOUND_MS, 'the moved file to be readable');
    await waitUntil(
      async () => /scan update: .*[1-9]\d* added/.test(daemon.stdout) && /scan update: .*[1-9]\d* removed/.test(daemon.stdout),
      BOUND_MS,
      'the move to be applied',
    );
    assert.deepEqual(await readFile(`${mnt}/Band/First/02 - Two.flac`), await readFile(`${origin}/Elsewhere/two.flac`));
  });

  it('shows a new folder with files in it, and a folder moved in from outside', async () => {
    await mkdir(`${origin}/Drop`);
    await copyFile(`${spare}/dir-a.flac`, `${origin}/Drop/a.flac`);
    await mkdir(`${spare}/outside`);
    await copyFile(`${spare}/dir-b.flac`, `${spare}/outside/b.flac`);
    await rename(`${spare}/outside`, `${origin}/Drop/outside`);
    const ms = await appears('Folder Act/Dropped In/02 - B.flac', 'a file in a folder moved in');
    await appears('Folder Act/Dropped In/01 - A.flac', 'a file in a new folder');
    console.log(`new folders visible after ${ms} ms`);
  });

  it('drops a deleted file and a deleted folder', async () => {
    await rm(`${origin}/Band/new.flac`);
    await disappears('Newcomer/Debut/01 - Hello.flac', 'the deleted file');
    await disappears('Newcomer', 'the emptied artist folder');
    await rm(`${origin}/Drop`, { recursive: true });
    const ms = await disappears('Folder Act', 'the deleted folder');
    console.log(`deleted folder gone after ${ms} ms`);
  });

  it('follows a folder renamed inside the origin', async () => {
    await rename(`${origin}/Elsewhere`, `${origin}/Renamed`);
    await waitUntil(
      async () => (await readFile(`${mnt}/Band/First/02 - Two.flac`).catch(() => undefined))?.equals(await readFile(`${origin}/Renamed/two.flac`)) === true,
      BOUND_MS,
      'the file under the renamed folder to be served',
    );
  });
});
