import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event } from '../../common/api/gen/musicfs/v1/Event.js';
import type { SubscribeEventsRequest__Output } from '../../common/api/gen/musicfs/v1/SubscribeEventsRequest.js';
import { captureIo, startFakeDaemon, TestInterrupts, type FakeDaemon } from '../testing/fake-daemon.js';
import { report, runMusicfs } from '../testing/fixtures.js';

const EVENTS: Event[] = [
  { type: 'SCAN_COMPLETED', timestampMs: Date.UTC(2024, 0, 1, 12, 0, 0, 45), origin: 'music', scanCompleted: report('music') },
  { type: 'MOUNT_STATE_CHANGED', timestampMs: Date.UTC(2024, 0, 1, 12, 0, 1, 0), origin: '', mountStateChanged: { mounted: true, mountPoint: '/mnt/music', tracks: 12 } },
];

describe('musicfs events', () => {
  let daemon: FakeDaemon;
  let subscribers = 0;

  before(async () => {
    daemon = await startFakeDaemon({
      SubscribeEvents: (call) => {
        subscribers++;
        for (const e of EVENTS) call.write(e);
        call.on('cancelled', () => subscribers--);
      },
    });
  });
  after(() => daemon.close());

  async function follow(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const io = captureIo();
    const interrupts = new TestInterrupts();
    const running = runMusicfs(['events', ...args], { socket: daemon.socketPath, io, interrupts });
    await io.waitForOut('/mnt/music');
    interrupts.press();
    return running;
  }

  it('prints one line per event until Ctrl-C, then exits 0', async () => {
    const r = await follow(['--type', 'scan_completed', '--type', 'MOUNT_STATE_CHANGED', '--origin', 'music']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d\d:\d\d:\d\d\.045  scan_completed {11}  music  100 scanned, 3 added, 1 updated, 0 removed, 96 unchanged, 0 skipped, 0 errors in 4\.20 s$/);
    assert.match(lines[1]!, /^\d\d:\d\d:\d\d\.000  mount_state_changed {6}  -  mounted \/mnt\/music \(12 tracks\)$/);
    const request = daemon.calls.at(-1)!.request as SubscribeEventsRequest__Output;
    assert.deepEqual(request, { types: ['SCAN_COMPLETED', 'MOUNT_STATE_CHANGED'], origins: ['music'] });
    for (let i = 0; i < 100 && subscribers > 0; i++) await new Promise((res) => setTimeout(res, 10));
    assert.equal(subscribers, 0, 'the subscription was cancelled');
  });

  it('--json prints NDJSON', async () => {
    const r = await follow(['--json']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; mountStateChanged?: { mountPoint: string } | null });
    assert.deepEqual(
      events.map((e) => e.type),
      ['SCAN_COMPLETED', 'MOUNT_STATE_CHANGED'],
    );
    assert.equal(events[1]!.mountStateChanged?.mountPoint, '/mnt/music');
  });

  it('an unknown --type is a usage error naming the known types', async () => {
    const r = await runMusicfs(['events', '--type', 'scan_done'], { socket: daemon.socketPath });
    assert.equal(r.code, 64);
    assert.match(r.stderr, /^musicfs: .*unknown event type "scan_done" \(one of: track_opened, .*origin_changed, cache_evicted, cache_passthrough_changed, all_origins_unhealthy\)/);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  });

  it('a daemon that goes away ends the command with exit 69', async () => {
    const other = await startFakeDaemon({ SubscribeEvents: (call) => call.write(EVENTS[1]!) });
    const io = captureIo();
    const running = runMusicfs(['events'], { socket: other.socketPath, io });
    await io.waitForOut('/mnt/music');
    await other.close();
    const r = await running;
    assert.equal(r.code, 69, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
  });
});
