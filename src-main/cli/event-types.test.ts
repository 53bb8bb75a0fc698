import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { collectEventType, EVENT_TYPE_NAMES, formatEventLine, parseEventType, summariseEvent } from './event-types.js';

describe('event types', () => {
  it('are the EventType enum in snake_case, without UNSPECIFIED', () => {
    assert.deepEqual(EVENT_TYPE_NAMES, [
      'track_opened',
      'scan_started',
      'scan_progress',
      'scan_completed',
      'library_changed',
      'origin_health_changed',
      'mount_state_changed',
      'config_changed',
      'origin_changed',
      'cache_evicted',
      'cache_passthrough_changed',
      'all_origins_unhealthy',
    ]);
  });

  it('parse in any case', () => {
    assert.equal(parseEventType('scan_completed'), 'SCAN_COMPLETED');
    assert.equal(parseEventType('SCAN_COMPLETED'), 'SCAN_COMPLETED');
    assert.equal(parseEventType('Track_Opened'), 'TRACK_OPENED');
    assert.deepEqual(collectEventType('config_changed', collectEventType('origin_changed')), ['ORIGIN_CHANGED', 'CONFIG_CHANGED']);
  });

  it('reject anything else, naming the known types', () => {
    for (const bad of ['scan-completed', 'scan', '', 'event_type_unspecified', 'EVENT_TYPE_UNSPECIFIED']) {
      assert.throws(() => parseEventType(bad), (err: unknown) => err instanceof InvalidArgumentError && /one of: track_opened, .*, origin_changed, cache_evicted, cache_passthrough_changed, all_origins_unhealthy\)$/.test(err.message), bad);
    }
  });

  it('one line per event', () => {
    const ts = new Date(2024, 0, 2, 3, 4, 5, 6).getTime();
    assert.equal(
      formatEventLine({ type: 'TRACK_OPENED', timestampMs: ts, origin: 'music', data: 'trackOpened', trackOpened: { path: 'A/B/01 - C.flac', origin: 'music' } }),
      '03:04:05.006  track_opened               music  A/B/01 - C.flac',
    );
    assert.equal(formatEventLine({ type: 'LIBRARY_CHANGED', timestampMs: ts, origin: '', data: 'libraryChanged', libraryChanged: { tracks: 10, folders: 3 } }), '03:04:05.006  library_changed            -  10 tracks in 3 folders');
  });

  it('summaries of every kind', () => {
    const base = { timestampMs: 0, origin: 'o' };
    assert.equal(summariseEvent({ ...base, type: 'SCAN_STARTED', data: 'scanStarted', scanStarted: { origin: 'o', kind: 'full' } }), 'full scan');
    assert.equal(summariseEvent({ ...base, type: 'SCAN_PROGRESS', data: 'scanProgress', scanProgress: { origin: 'o', done: 5, total: 10, report: null } }), '5 of 10 files');
    assert.equal(
      summariseEvent({
        ...base,
        type: 'ORIGIN_HEALTH_CHANGED',
        data: 'originHealthChanged',
        originHealthChanged: { origin: 'o', state: 'HEALTH_STATE_UNHEALTHY', previous: 'HEALTH_STATE_HEALTHY', reason: 'not mounted' },
      }),
      'healthy → unhealthy: not mounted',
    );
    assert.equal(summariseEvent({ ...base, type: 'MOUNT_STATE_CHANGED', data: 'mountStateChanged', mountStateChanged: { mounted: false, mountPoint: '/m', tracks: 0 } }), 'unmounted /m');
    assert.equal(summariseEvent({ ...base, type: 'CONFIG_CHANGED', data: 'configChanged', configChanged: { key: 'log_level', value: '"debug"' } }), 'log_level = "debug"');
    assert.equal(summariseEvent({ ...base, type: 'ORIGIN_CHANGED', data: 'originChanged', originChanged: { origin: 'o', change: 'disabled' } }), 'disabled');
    assert.equal(
      summariseEvent({ ...base, type: 'CACHE_EVICTED', data: 'cacheEvicted', cacheEvicted: { tracks: 3, bytes: 1.5 * 1024 ** 3, reason: 'limit' } }),
      '3 tracks evicted, 1.5 GiB (over the size limit)',
    );
    assert.equal(summariseEvent({ ...base, type: 'CACHE_EVICTED', data: 'cacheEvicted', cacheEvicted: { tracks: 1, bytes: 2048, reason: 'clear' } }), '1 track evicted, 2.0 KiB (cache cleared)');
    assert.equal(
      summariseEvent({ ...base, type: 'CACHE_PASSTHROUGH_CHANGED', data: 'cachePassthroughChanged', cachePassthroughChanged: { passthrough: true, reason: 'no space left on /home' } }),
      'passthrough on: no space left on /home',
    );
    assert.equal(summariseEvent({ ...base, type: 'CACHE_PASSTHROUGH_CHANGED', data: 'cachePassthroughChanged', cachePassthroughChanged: { passthrough: false, reason: '' } }), 'passthrough off');
    assert.equal(summariseEvent({ ...base, type: 'TRACK_OPENED' }), '');
  });
});
