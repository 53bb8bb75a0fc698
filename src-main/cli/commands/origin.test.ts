import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AddOriginRequest__Output } from '../../common/api/gen/musicfs/v1/AddOriginRequest.js';
import { startFakeDaemon, TestInterrupts, type FakeDaemon } from '../testing/fake-daemon.js';
import { ORIGINS, report, runMusicfs } from '../testing/fixtures.js';

describe('musicfs origin', () => {
  let daemon: FakeDaemon;
  let rescanCancelled = false;

  before(async () => {
    daemon = await startFakeDaemon({
      ListOrigins: (_call, cb) => cb(null, { origins: ORIGINS }),
      AddOrigin: (call, cb) =>
        cb(null, { ...ORIGINS[0], name: call.request.name || 'added', location: call.request.location, source: call.request.sessionOnly ? 'session' : 'config', lastScan: null }),
      GetOriginHealth: (_call, cb) =>
        cb(null, {
          origins: [
            { name: 'music', state: 'HEALTH_STATE_HEALTHY', reason: '', checkedAtMs: Date.now() - 5000, latencyMs: 1.25, consecutiveFailures: 0 },
            { name: 'nas', state: 'HEALTH_STATE_UNHEALTHY', reason: 'not mounted', checkedAtMs: Date.now() - 65_000, latencyMs: 0, consecutiveFailures: 3 },
          ],
        }),
      RescanOrigin: (call) => {
        if (call.request.name === 'forever') {
          call.write({ origin: 'forever', done: 1, total: 1000 });
          call.on('cancelled', () => (rescanCancelled = true));
          return;
        }
        for (let done = 10; done <= 50; done += 10) call.write({ origin: 'music', done, total: 100 });
        call.write({ origin: 'music', done: 100, total: 100, report: report('music', { errors: [{ path: 'a/bad.flac', reason: 'truncated' }] }) });
        call.write({ origin: 'nas', done: 0, total: 0 });
        call.write({ origin: 'nas', done: 34, total: 34, report: report('nas', { scanned: 34, added: 0, updated: 0, unchanged: 34 }) });
        call.end();
      },
    });
  });
  after(() => daemon.close());

  it('list prints a table of origins', async () => {
    const r = await runMusicfs(['origin', 'list'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+KIND\s+ENABLED\s+HEALTH\s+PRIORITY\s+TRACKS\s+LOCATION\s+LAST SCAN$/);
    assert.match(lines[1]!, /^music\s+local\s+yes\s+healthy\s+100\s+1200\s+\/home\/u\/Music\s+\d+s ago: \+3 ~1 -0, 1 error$/);
    assert.match(lines[2]!, /^nas\s+local\s+no\s+unhealthy\s+50\s+34\s+\/srv\/nas\/flac\s+never$/);
  });

  it('`origin` alone lists too; --json prints the response', async () => {
    const r = await runMusicfs(['origin', '--json'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { origins: { name: string; health: string }[] };
    assert.deepEqual(
      doc.origins.map((o) => [o.name, o.health]),
      [
        ['music', 'HEALTH_STATE_HEALTHY'],
        ['nas', 'HEALTH_STATE_UNHEALTHY'],
      ],
    );
  });

  it('add resolves a relative folder against the working directory', async () => {
    const r = await runMusicfs(['origin', 'add', 'Music/../Jazz', '--priority', '-5', '--disabled', '--session'], { socket: daemon.socketPath, cwd: '/home/u' });
    assert.equal(r.code, 0, r.stderr);
    const request = daemon.calls.filter((c) => c.method === 'AddOrigin').at(-1)!.request as AddOriginRequest__Output;
    assert.equal(request.location, '/home/u/Jazz');
    assert.equal(request.name, '');
    assert.equal(request.priority, -5);
    assert.equal(request.enabled, false);
    assert.equal(request.sessionOnly, true);
    assert.equal(r.stdout, 'added origin added: /home/u/Jazz (scanning, this run only)\n');
  });

  it('health prints a table', async () => {
    const r = await runMusicfs(['origin', 'health', '--check'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^NAME\s+STATE\s+REASON\s+CHECKED\s+LATENCY\s+P50$/);
    assert.match(lines[1]!, /^music\s+healthy\s+5s ago\s+1\.3 ms$/);
    assert.match(lines[2]!, /^nas\s+unhealthy\s+not mounted \(3 failures in a row\)\s+1m 5s ago$/);
    assert.deepEqual(daemon.calls.at(-1)!.request, { name: '', checkNow: true });
  });

  it('rescan without a terminal: throttled progress lines on stderr, the report on stdout', async () => {
    const r = await runMusicfs(['origin', 'rescan'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, 'scanning music: 10 of 100 files (10%)\nscanning nas: 0 files\n');
    const lines = r.stdout.trimEnd().split('\n');
    assert.deepEqual(lines, [
      'music: 100 scanned, 3 added, 1 updated, 0 removed, 96 unchanged, 0 skipped, 1 errors in 4.20 s',
      '  error: a/bad.flac: truncated',
      'nas: 34 scanned, 0 added, 0 updated, 0 removed, 34 unchanged, 0 skipped, 0 errors in 4.20 s',
    ]);
  });

  it('rescan --json: every ScanProgress as NDJSON', async () => {
    const r = await runMusicfs(['origin', 'rescan', 'music', '--json'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const messages = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { origin: string; done: number; report: { scanned: number } | null });
    assert.equal(messages.length, 8);
    assert.equal(messages[5]!.report?.scanned, 100);
    assert.equal(messages[0]!.report, null);
    assert.deepEqual(daemon.calls.at(-1)!.request, { name: 'music' });
  });

  it('rescan on a terminal draws progress bars on stderr', async () => {
    const { captureIo } = await import('../testing/fake-daemon.js');
    const io = captureIo({ stderr: true });
    const r = await runMusicfs(['origin', 'rescan'], { socket: daemon.socketPath, io });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /music \[[^\]]+\] 100% \| 100\/100 files/);
    assert.match(r.stdout, /^music: 100 scanned/);
  });

  it('Ctrl-C cancels the rescan in the daemon and exits 130', async () => {
    const interrupts = new TestInterrupts();
    const running = runMusicfs(['origin', 'rescan', 'forever'], { socket: daemon.socketPath, interrupts });
    while (!daemon.calls.some((c) => c.method === 'RescanOrigin' && (c.request as { name: string }).name === 'forever') || !interrupts.listening) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 20));
    interrupts.press();
    const r = await running;
    assert.equal(r.code, 130);
    assert.equal(r.stderr, 'scanning forever: 1 of 1000 files (0%)\nmusicfs: rescan cancelled\n');
    for (let i = 0; i < 100 && !rescanCancelled; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(rescanCancelled, true, 'the daemon saw the call cancelled');
  });
});
