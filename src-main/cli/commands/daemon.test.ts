import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { toServiceError } from '../../common/api/status.js';
import { MusicFsError } from '../../../src-shared/errors.js';
import { recordingHost, startFakeDaemon, type FakeDaemon } from '../testing/fake-daemon.js';
import { runMusicfs, STATUS } from '../testing/fixtures.js';

describe('musicfs mount / daemon with no daemon running', () => {
  it('mount runs the daemon in the foreground with the flags given', async () => {
    const host = recordingHost(7);
    const r = await runMusicfs(
      ['mount', 'mnt', '--origin', '/music/a', '--origin', 'b', '--layout', '{title}{.ext}', '--read-timeout', '5000', '--log-level', 'debug', '--allow-non-empty'],
      { socket: '/nonexistent/control.sock', host, cwd: '/home/u' },
    );
    assert.equal(r.code, 7, 'the daemon exit code');
    assert.deepEqual(host.requests, [
      {
        mode: 'mount',
        mountPoint: '/home/u/mnt',
        origins: [{ location: '/music/a' }, { location: '/home/u/b' }],
        allowNonEmpty: true,
        flags: { layout: '{title}{.ext}', readTimeoutMs: 5000, logLevel: 'debug' },
      },
    ]);
  });

  it('mount --socket passes the socket on to the daemon', async () => {
    const host = recordingHost();
    await runMusicfs(['--socket', 'x.sock', 'mount', '/mnt'], { host, cwd: '/tmp' });
    assert.deepEqual(host.requests[0]!.flags, { controlSocket: '/tmp/x.sock' });
    assert.deepEqual(host.requests[0]!.origins, []);
  });

  it('daemon runs the headless daemon', async () => {
    const host = recordingHost();
    const r = await runMusicfs(['daemon', '--mount', 'm', '--origin', '/music', '--log-level', 'warn'], { host, cwd: '/srv' });
    assert.equal(r.code, 0);
    assert.deepEqual(host.requests, [{ mode: 'daemon', origins: [{ location: '/music' }], flags: { mountPath: '/srv/m', logLevel: 'warn' } }]);
  });

  it('bad flag values are usage errors', async () => {
    let r = await runMusicfs(['mount', '/mnt', '--read-timeout', 'soon']);
    assert.equal(r.code, 64);
    r = await runMusicfs(['mount', '/mnt', '--log-level', 'loud']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /Allowed choices are debug, info, warn, error/);
  });
});

describe('musicfs mount with a daemon running', () => {
  let daemon: FakeDaemon;

  before(async () => {
    daemon = await startFakeDaemon({
      AddOrigin: (call, cb) => {
        if (call.request.location === '/music/known') cb(toServiceError(new MusicFsError('ORIGIN_EXISTS', 'already an origin')) as grpc.ServiceError, null);
        else cb(null, { name: 'x', location: call.request.location });
      },
      Mount: (call, cb) => cb(null, { mounted: true, mountPoint: call.request.mountPoint, openFiles: 0 }),
      GetStatus: (_call, cb) => cb(null, STATUS),
    });
  });
  after(() => daemon.close());

  it('adds the origins for this run (skipping known ones) and asks it to mount', async () => {
    const host = recordingHost();
    const r = await runMusicfs(['mount', 'by-tag', '--origin', '/music/known', '--origin', 'new', '--allow-non-empty'], { socket: daemon.socketPath, host, cwd: '/home/u' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(host.requests.length, 0, 'no second daemon');
    assert.equal(r.stdout, 'mounted /home/u/by-tag (1234 tracks)\n');
    const calls = daemon.calls.map((c) => [c.method, c.request]);
    assert.deepEqual(calls.slice(0, 3), [
      ['AddOrigin', { location: '/music/known', name: '', sessionOnly: true, skipCheck: false }],
      ['AddOrigin', { location: join('/home/u', 'new'), name: '', sessionOnly: true, skipCheck: false }],
      ['Mount', { mountPoint: '/home/u/by-tag', allowNonEmpty: true }],
    ]);
  });

  it('refuses --layout, --read-timeout and --log-level: they belong to config set', async () => {
    for (const [flag, value, key] of [
      ['--layout', '{title}', 'layout'],
      ['--read-timeout', '100', 'mount.read_timeout_ms'],
      ['--log-level', 'debug', 'log_level'],
    ] as const) {
      const before = daemon.calls.length;
      const r = await runMusicfs(['mount', '/mnt', flag, value], { socket: daemon.socketPath });
      assert.equal(r.code, 64);
      assert.match(r.stderr, new RegExp(`^musicfs: ${flag} cannot be given to the daemon already running on .*; change it with \`musicfs config set ${key.replace('.', '\\.')} VALUE\`\\n$`));
      assert.equal(daemon.calls.length, before, 'nothing was asked of the daemon');
    }
  });
});
