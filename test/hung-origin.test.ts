/**
 * A local origin on a hung share (a FUSE folder whose every operation stops
 * answering, standing in for a dead NFS/SMB server) must not freeze the
 * daemon: the other origin's tracks keep playing, the control plane answers,
 * the hung origin's tracks fail with EIO within the deadline and it turns
 * unhealthy; when the share answers again, so does the origin.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { noiseFlac } from './support/cache-fixture.js';
import { startHangFs, type HangFs } from './support/hang-fs.js';
import { Sandbox, waitUntil, type DaemonProcess } from './support/sandbox.js';

const DEADLINE_MS = 3000;

describe('a local origin on a hung share', () => {
  let sandbox: Sandbox;
  let good: string;
  let shareSource: string;
  let share: HangFs;
  let mnt: string;
  let daemon: DaemonProcess;

  const healthOf = async (name: string): Promise<string | undefined> => {
    const r = await sandbox.run(['origin', 'health', '--json'], { timeoutMs: 10_000 });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { origins: { name: string; state: string }[] }).origins.find((o) => o.name === name)?.state;
  };

  before(async () => {
    sandbox = await Sandbox.create('musicfs-hung-');
    good = await sandbox.mkdir('good');
    shareSource = await sandbox.mkdir('share-source');
    mnt = await sandbox.mkdir('mnt');
    await noiseFlac(join(good, 'g.flac'), 5, { artist: 'Good', album: 'Disk', title: 'Fine', track: '1' }, 1);
    await noiseFlac(join(shareSource, 'n.flac'), 5, { artist: 'Nas', album: 'Share', title: 'Stuck', track: '1' }, 2);
    await noiseFlac(join(shareSource, 'm.flac'), 5, { artist: 'Nas', album: 'Share', title: 'Never Played', track: '2' }, 3);
    share = await startHangFs({ source: shareSource, mountPoint: await sandbox.mkdir('share') });
    daemon = sandbox.startMount(mnt, [good, share.mountPoint], [], {
      MUSICFS_ORIGIN_DEADLINE_MS: String(DEADLINE_MS),
      MUSICFS_READ_TIMEOUT_MS: String(DEADLINE_MS),
      MUSICFS_HEALTH_INTERVAL_SEC: '1',
      MUSICFS_HEALTH_TIMEOUT_MS: '1000',
    });
    await daemon.ready(60_000);
    await daemon.scansComplete(2, 60_000);
  });

  after(async () => {
    // Answer the hung calls first, so the daemon's stuck threads come back and it exits cleanly.
    await share?.resume().catch(() => undefined);
    if (daemon && !daemon.hasExited) await daemon.stop('SIGINT');
    await share?.stop();
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('keeps serving the other origin and the control plane while the share hangs', async () => {
    const stuck = join(mnt, 'Nas', 'Share', '01 - Stuck.flac');
    assert.ok((await readFile(stuck)).length > 0);
    await share.hang();
    // The good origin, the API: prompt.
    assert.ok((await readFile(join(mnt, 'Good', 'Disk', '01 - Fine.flac'))).equals(await readFile(join(good, 'g.flac'))));
    const status = await sandbox.run(['status'], { timeoutMs: 10_000 });
    assert.equal(status.code, 0, status.stderr);
    await waitUntil(async () => (await healthOf(share.mountPoint.split('/').pop()!)) === 'HEALTH_STATE_UNHEALTHY', 20_000, 'the hung origin to be unhealthy');
  });

  it("the hung origin's uncached tracks fail with EIO within the deadline, again and again; its cached one plays", async () => {
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      await assert.rejects(readFile(join(mnt, 'Nas', 'Share', '02 - Never Played.flac')), (err: NodeJS.ErrnoException) => err.code === 'EIO');
      const took = performance.now() - started;
      assert.ok(took < DEADLINE_MS + 3000, `took ${Math.round(took)} ms`);
    }
    assert.ok((await readFile(join(mnt, 'Nas', 'Share', '01 - Stuck.flac'))).equals(await readFile(join(shareSource, 'n.flac'))), 'read whole before the hang: cached');
    assert.ok((await readFile(join(mnt, 'Good', 'Disk', '01 - Fine.flac'))).length > 0);
  });

  it('the share answers again: so does the origin', async () => {
    await share.resume();
    await waitUntil(async () => (await healthOf(share.mountPoint.split('/').pop()!)) === 'HEALTH_STATE_HEALTHY', 20_000, 'the origin to be healthy again');
  });
});
