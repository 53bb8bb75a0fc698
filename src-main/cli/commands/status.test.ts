import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startFakeDaemon } from '../testing/fake-daemon.js';
import { runMusicfs, STATUS } from '../testing/fixtures.js';

describe('musicfs unmount / shutdown', () => {
  it('unmount names the folder it unmounted', async () => {
    const daemon = await startFakeDaemon({
      GetStatus: (_call, cb) => cb(null, STATUS),
      Unmount: (_call, cb) => cb(null, { mounted: false, mountPoint: '', openFiles: 0 }),
    });
    try {
      const r = await runMusicfs(['unmount'], { socket: daemon.socketPath });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'unmounted /mnt/music\n');
      const j = await runMusicfs(['unmount', '--json'], { socket: daemon.socketPath });
      assert.deepEqual(JSON.parse(j.stdout), { mounted: false, mountPoint: '', openFiles: 0 });
    } finally {
      await daemon.close();
    }
  });

  it('shutdown --wait returns once the socket stops answering', async () => {
    let stopped = false;
    const daemon = await startFakeDaemon({
      Shutdown: (_call, cb) => {
        cb(null, {});
        setTimeout(() => {
          stopped = true;
          void daemon.close();
        }, 300);
      },
    });
    const r = await runMusicfs(['shutdown', '--wait'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(stopped, true, 'returned only after the daemon stopped');
    assert.equal(r.stdout, 'daemon stopped\n');
  });

  it('shutdown without --wait returns at once', async () => {
    const daemon = await startFakeDaemon({ Shutdown: (_call, cb) => cb(null, {}) });
    try {
      const r = await runMusicfs(['shutdown'], { socket: daemon.socketPath });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'daemon stopping\n');
    } finally {
      await daemon.close();
    }
  });
});
