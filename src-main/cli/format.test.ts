import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAgo, formatBytes, formatClock, formatElapsedMs, formatLatencyMs, formatPercent, formatSpan, formatTrackDuration, healthName, plural, shortReport, summariseReport } from './format.js';
import { Output, renderTable } from './output.js';
import { captureIo } from './testing/fake-daemon.js';

describe('formatting', () => {
  it('sizes in B, KiB, MiB, GiB, TiB', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 2), '5.0 MiB');
    assert.equal(formatBytes(456.7 * 1024 ** 3), '456.7 GiB');
    assert.equal(formatBytes(2 * 1024 ** 4), '2.0 TiB');
  });

  it('percentages with at most one decimal', () => {
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(Number.NaN), '0%');
    assert.equal(formatPercent(-0.5), '0%');
    assert.equal(formatPercent(0.12), '12%');
    assert.equal(formatPercent(0.95238), '95.2%');
    assert.equal(formatPercent(0.0004), '0%');
    assert.equal(formatPercent(0.005), '0.5%');
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(1.034), '103.4%');
  });

  it('track durations as m:ss or h:mm:ss', () => {
    assert.equal(formatTrackDuration(0), '');
    assert.equal(formatTrackDuration(5), '0:05');
    assert.equal(formatTrackDuration(185.4), '3:05');
    assert.equal(formatTrackDuration(599.6), '10:00');
    assert.equal(formatTrackDuration(3725), '1:02:05');
  });

  it('spans with two units at most', () => {
    assert.equal(formatSpan(0), '0s');
    assert.equal(formatSpan(45.9), '45s');
    assert.equal(formatSpan(60), '1m');
    assert.equal(formatSpan(725), '12m 5s');
    assert.equal(formatSpan(11_520), '3h 12m');
    assert.equal(formatSpan(7200), '2h');
    assert.equal(formatSpan(190_800), '2d 5h');
  });

  it('elapsed times, latencies and "ago"', () => {
    assert.equal(formatElapsedMs(850), '850 ms');
    assert.equal(formatElapsedMs(4200), '4.20 s');
    assert.equal(formatElapsedMs(42_000), '42.0 s');
    assert.equal(formatElapsedMs(61_000), '1m 1s');
    assert.equal(formatLatencyMs(0), '');
    assert.equal(formatLatencyMs(0.42), '0.4 ms');
    assert.equal(formatLatencyMs(123.4), '123 ms');
    assert.equal(formatAgo(0), 'never');
    assert.equal(formatAgo(1000, 1500), 'just now');
    assert.equal(formatAgo(1000, 66_000), '1m 5s ago');
  });

  it('clock times with milliseconds, in local time', () => {
    const t = new Date(2024, 4, 6, 7, 8, 9, 10).getTime();
    assert.equal(formatClock(t), '07:08:09.010');
  });

  it('words', () => {
    assert.equal(plural(1, 'track'), '1 track');
    assert.equal(plural(2, 'match', 'matches'), '2 matches');
    assert.equal(healthName('HEALTH_STATE_DEGRADED'), 'degraded');
  });

  it('scan reports', () => {
    const r = { origin: 'm', kind: 'full', durationMs: 1500, scanned: 10, added: 2, updated: 1, removed: 3, unchanged: 4, skipped: [1], errors: [1, 2], incomplete: '' };
    assert.equal(summariseReport(r), '10 scanned, 2 added, 1 updated, 3 removed, 4 unchanged, 1 skipped, 2 errors in 1.50 s');
    assert.equal(summariseReport({ ...r, incomplete: 'shutdown' }), '10 scanned, 2 added, 1 updated, 3 removed, 4 unchanged, 1 skipped, 2 errors in 1.50 s (incomplete: shutdown)');
    assert.equal(shortReport(r), '+2 ~1 -3, 2 errors');
    assert.equal(shortReport({ ...r, errors: [], incomplete: 'x' }), '+2 ~1 -3, incomplete');
  });
});

describe('output', () => {
  it('tables are aligned, borderless, without trailing spaces', () => {
    assert.equal(
      renderTable(
        ['NAME', 'TRACKS'],
        [
          ['music', 1200],
          ['a', ''],
        ],
      ),
      'NAME   TRACKS\nmusic  1200\na\n',
    );
    assert.equal(renderTable([], [['k', 'v']]), 'k  v\n');
  });

  it('colour only on a terminal without NO_COLOR, never with --json', () => {
    assert.equal(new Output(captureIo({ stdout: true }), false, {}).colour, true);
    assert.equal(new Output(captureIo({ stdout: true }), false, { NO_COLOR: '1' }).colour, false);
    assert.equal(new Output(captureIo({ stdout: true }), false, { NO_COLOR: '' }).colour, true);
    assert.equal(new Output(captureIo({ stdout: true }), true, {}).colour, false);
    assert.equal(new Output(captureIo({ stdout: false }), false, {}).colour, false);
    const out = new Output(captureIo({ stdout: true }), false, {});
    assert.equal(out.paint('ok', 'green'), '\u001b[32mok\u001b[39m');
  });

  it('JSON: one document, or one object per line', () => {
    const io = captureIo();
    const out = new Output(io, true, {});
    out.record({ a: 1 });
    out.record({ b: [2] });
    assert.equal(io.stdout(), '{"a":1}\n{"b":[2]}\n');
    const io2 = captureIo();
    new Output(io2, true, {}).document({ a: { b: 1 } });
    assert.deepEqual(JSON.parse(io2.stdout()), { a: { b: 1 } });
  });
});
