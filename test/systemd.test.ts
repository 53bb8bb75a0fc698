/**
 * `musicfs daemon` under a (simulated) systemd: it sends READY=1 once up and
 * WATCHDOG=1 pings, to the datagram socket named by NOTIFY_SOCKET, and stops
 * cleanly on SIGTERM. The listener is a small Python program (Node has no
 * Unix datagram sockets), as systemd itself would be.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeFlac } from './support/audio.js';
import { isMounted, listFiles, Sandbox, waitUntil } from './support/sandbox.js';

const LISTENER = `
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    data = s.recv(4096)
    print(data.decode().replace("\\n", " "), flush=True)
`;

describe('systemd notify', () => {
  let sandbox: Sandbox;
  let listener: ChildProcess;
  const messages: string[] = [];

  before(async () => {
    sandbox = await Sandbox.create();
    await makeFlac(sandbox.path('music', 'a.flac'), { artist: 'Unit', album: 'Notify', title: 'Ready', track: 1 });
    await writeFile(sandbox.path('listener.py'), LISTENER);
    listener = spawn('/usr/bin/python3', [sandbox.path('listener.py'), sandbox.path('notify.sock')], { stdio: ['ignore', 'pipe', 'inherit'] });
    listener.stdout!.setEncoding('utf8').on('data', (d: string) => messages.push(...d.split('\n').filter(Boolean)));
    await waitUntil(() => messages.includes('listening'), 10_000, 'the notify listener');
  });

  after(async () => {
    listener?.kill('SIGKILL');
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('reports READY after the mount is up, pings the watchdog, stops on SIGTERM', async () => {
    const mnt = await sandbox.mkdir('mnt');
    const d = sandbox.startMount(mnt, [sandbox.path('music')], [], {
      NOTIFY_SOCKET: sandbox.path('notify.sock'),
      WATCHDOG_USEC: '400000',
    });
    await waitUntil(() => messages.some((m) => m.includes('READY=1')), 20_000, 'READY=1');
    // READY comes after the mount: the mount must already answer.
    assert.ok(await isMounted(mnt));
    await waitUntil(() => messages.filter((m) => m.includes('WATCHDOG=1')).length >= 2, 10_000, 'watchdog pings');
    assert.ok(messages.some((m) => /STATUS=mounted /.test(m)));
    await d.scansComplete(1);
    assert.deepEqual(await listFiles(mnt), ['Unit/Notify/01 - Ready.flac']);
    const result = await d.stop('SIGTERM');
    assert.equal(result.code, 0, result.stderr);
    assert.ok(messages.some((m) => m.includes('STOPPING=1')));
    assert.equal(await isMounted(mnt), false);
  });

  it('`musicfs daemon` mounts where [mount] path says, serves its [[origin]]s, stops on `musicfs shutdown`', async () => {
    const mnt = await sandbox.mkdir('mnt2');
    const configDir = await sandbox.mkdir('state', 'config', 'musicfs');
    await writeFile(`${configDir}/config.toml`, `[mount]\npath = "${mnt}"\n\n[[origin]]\npath = "${sandbox.path('music')}"\n`);
    const d = sandbox.startDaemon([], {}, mnt);
    await d.daemonReady();
    await d.scansComplete(1);
    assert.deepEqual(await listFiles(mnt), ['Unit/Notify/01 - Ready.flac']);
    const r = await sandbox.run(['shutdown', '--wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await d.wait()).code, 0);
    assert.equal(await isMounted(mnt), false);
  });
});
