import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { CacheStatsView } from './cache-api.js';
import { Metrics, webhookLabel } from './metrics.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format far enough for these tests (no escapes in our label values). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).filter((k) => k !== 'le').length === Object.keys(labels).length &&
      Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(samples, name, labels);
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matched ${found.length} samples`);
  return found[0]?.value;
}

async function samplesOf(m: Metrics): Promise<Sample[]> {
  return parse(await m.render());
}

describe('Metrics', () => {
  test('FUSE ops: counts by result, errors by errno name, latency histogram', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.observeFuseOp('getattr', 0.00005, 0);
    m.observeFuseOp('getattr', 0.0001, -2);
    m.observeFuseOp('read', 0.002, 0);
    m.observeFuseOp('read', 0.5, -5);
    m.observeFuseOp('read', 0.5, 5); // positive errno counts the same
    const s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_fuse_ops_total', { op: 'getattr', result: 'ok' }), 1);
    assert.equal(value(s, 'musicfs_fuse_ops_total', { op: 'getattr', result: 'error' }), 1);
    assert.equal(value(s, 'musicfs_fuse_ops_total', { op: 'read', result: 'ok' }), 1);
    assert.equal(value(s, 'musicfs_fuse_ops_total', { op: 'read', result: 'error' }), 2);
    assert.equal(value(s, 'musicfs_fuse_errors_total', { op: 'getattr', errno: 'ENOENT' }), 1);
    assert.equal(value(s, 'musicfs_fuse_errors_total', { op: 'read', errno: 'EIO' }), 2);
    assert.equal(value(s, 'musicfs_fuse_latency_seconds_count', { op: 'read' }), 3);
    const sum = value(s, 'musicfs_fuse_latency_seconds_sum', { op: 'getattr' });
    assert.ok(sum !== undefined && Math.abs(sum - 0.00015) < 1e-12, String(sum));

    const les = find(s, 'musicfs_fuse_latency_seconds_bucket', { op: 'read' }).map((b) => b.labels.le!);
    assert.equal(les[0], '0.00002');
    assert.equal(les.at(-2), '30');
    assert.equal(les.at(-1), '+Inf');
    const finite = les.slice(0, -1).map(Number);
    assert.ok(finite.length >= 14 && finite.length <= 18, `${finite.length} buckets`);
    for (let i = 1; i < finite.length; i++) {
      const ratio = finite[i]! / finite[i - 1]!;
      assert.ok(ratio > 2 && ratio < 3.2, `bucket ratio ${ratio} at ${finite[i]}`);
    }
  });

  test('a new op shows an error count of 0 before its first error', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.observeFuseOp('readdir', 0.001, 0);
    const s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_fuse_ops_total', { op: 'readdir', result: 'error' }), 0);
  });

  test('origin health, requests and errors', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.setOriginHealth('music', 'healthy');
    m.setOriginHealth('nas', 'degraded');
    m.setOriginHealth('s3', 'unhealthy');
    m.setOriginHealth('sftp', 'unknown');
    m.observeOriginRequest('nas', 'read', 0.02, true);
    m.observeOriginRequest('nas', 'read', 0.04, false);
    m.observeOriginRequest('nas', 'list', 1.5, true);
    const s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_origin_health', { origin: 'music' }), 1);
    assert.equal(value(s, 'musicfs_origin_health', { origin: 'nas' }), 0.5);
    assert.equal(value(s, 'musicfs_origin_health', { origin: 's3' }), 0);
    assert.equal(value(s, 'musicfs_origin_health', { origin: 'sftp' }), -1);
    assert.equal(value(s, 'musicfs_origin_request_seconds_count', { origin: 'nas', operation: 'read' }), 2);
    assert.equal(value(s, 'musicfs_origin_request_seconds_count', { origin: 'nas', operation: 'list' }), 1);
    assert.equal(value(s, 'musicfs_origin_errors_total', { origin: 'nas', operation: 'read' }), 1);
    assert.equal(value(s, 'musicfs_origin_errors_total', { origin: 'nas', operation: 'list' }), 0);
  });

  test('removeOrigin drops every series of that origin and keeps the others', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    for (const origin of ['gone', 'kept']) {
      m.setOriginHealth(origin, 'healthy');
      m.observeOriginRequest(origin, 'read', 0.01, false);
      m.observeOriginRequest(origin, 'stat', 0.01, true);
      m.scanStarted(origin, 'full');
      m.scanCompleted(origin, 'full', { durationMs: 10, scanned: 3, added: 1, updated: 1, removed: 0, errors: 1 });
      m.scanStarted(origin, 'changes');
    }
    let s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_scans_running'), 2);
    assert.ok(s.some((x) => x.labels.origin === 'gone'));

    m.removeOrigin('gone');
    s = await samplesOf(m);
    assert.deepEqual(
      s.filter((x) => x.labels.origin === 'gone').map((x) => x.name),
      [],
    );
    assert.equal(value(s, 'musicfs_scans_running'), 1, 'its running scan no longer counts');
    assert.equal(value(s, 'musicfs_origin_health', { origin: 'kept' }), 1);
    assert.equal(value(s, 'musicfs_origin_errors_total', { origin: 'kept', operation: 'read' }), 1);
    assert.equal(value(s, 'musicfs_scans_total', { origin: 'kept', kind: 'changes' }), 1);
    assert.equal(value(s, 'musicfs_scanned_files_total', { origin: 'kept' }), 3);
    // Removing twice, or an origin never seen, is harmless.
    m.removeOrigin('gone');
    m.removeOrigin('never');
  });

  test('library gauges', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    let s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_mounted'), 0);
    m.setTracks(1234);
    m.setFolders(56);
    m.setMounted(true);
    s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_tracks'), 1234);
    assert.equal(value(s, 'musicfs_folders'), 56);
    assert.equal(value(s, 'musicfs_mounted'), 1);
    m.setMounted(false);
    assert.equal(value(await samplesOf(m), 'musicfs_mounted'), 0);
  });

  test('scans: started, running, duration and file outcomes', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.scanStarted('music', 'full');
    let s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_scans_total', { origin: 'music', kind: 'full' }), 1);
    assert.equal(value(s, 'musicfs_scans_running'), 1);
    m.scanCompleted('music', 'full', { durationMs: 2500, scanned: 100, added: 10, updated: 5, removed: 2, errors: 1 });
    m.scanStarted('music', 'changes');
    m.scanCompleted('music', 'changes', { durationMs: 40, scanned: 3, added: 1, updated: 0, removed: 0, errors: 0 });
    s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_scans_running'), 0);
    assert.equal(value(s, 'musicfs_scans_total', { origin: 'music', kind: 'changes' }), 1);
    assert.equal(value(s, 'musicfs_scan_duration_seconds_count', { kind: 'full' }), 1);
    assert.equal(value(s, 'musicfs_scan_duration_seconds_sum', { kind: 'full' }), 2.5);
    assert.equal(value(s, 'musicfs_scan_duration_seconds_sum', { kind: 'changes' }), 0.04);
    assert.equal(value(s, 'musicfs_scanned_files_total', { origin: 'music' }), 103);
    assert.equal(value(s, 'musicfs_scan_files_total', { origin: 'music', outcome: 'added' }), 11);
    assert.equal(value(s, 'musicfs_scan_files_total', { origin: 'music', outcome: 'updated' }), 5);
    assert.equal(value(s, 'musicfs_scan_files_total', { origin: 'music', outcome: 'removed' }), 2);
    assert.equal(value(s, 'musicfs_scan_files_total', { origin: 'music', outcome: 'error' }), 1);
  });

  test('scans_running never goes below 0', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.scanCompleted('music', 'full', { durationMs: 1, scanned: 0, added: 0, updated: 0, removed: 0, errors: 0 });
    assert.equal(value(await samplesOf(m), 'musicfs_scans_running'), 0);
  });

  test('webhooks: every result, duration and queue, labelled by the URL without secrets', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    const url = 'https://user:secret@hooks.example.com/musicfs?token=abc#frag';
    const label = 'https://hooks.example.com/musicfs';
    m.webhookDelivered(url, 0.2);
    m.webhookDelivered('https://hooks.example.com/musicfs', 0.1);
    m.webhookFailedAttempt(url);
    m.webhookFailedAttempt(url);
    m.webhookGaveUp(url);
    m.webhookDropped(url);
    m.setWebhookQueue(url, 7);
    const text = await m.render();
    assert.ok(!text.includes('secret') && !text.includes('token') && !text.includes('user'), text);
    const s = parse(text);
    assert.equal(value(s, 'musicfs_webhook_deliveries_total', { webhook: label, result: 'delivered' }), 2);
    assert.equal(value(s, 'musicfs_webhook_deliveries_total', { webhook: label, result: 'failed_attempt' }), 2);
    assert.equal(value(s, 'musicfs_webhook_deliveries_total', { webhook: label, result: 'gave_up' }), 1);
    assert.equal(value(s, 'musicfs_webhook_deliveries_total', { webhook: label, result: 'dropped' }), 1);
    assert.equal(value(s, 'musicfs_webhook_delivery_seconds_count', { webhook: label }), 2);
    assert.equal(value(s, 'musicfs_webhook_queue', { webhook: label }), 7);
  });

  test('webhookLabel strips userinfo, query and fragment, even from text that is not a URL', () => {
    assert.equal(webhookLabel('http://a:b@h:8080/p/q?x=1'), 'http://h:8080/p/q');
    assert.equal(webhookLabel('https://h/p'), 'https://h/p');
    assert.equal(webhookLabel('not a url?token=1'), 'not a url');
    assert.equal(webhookLabel('http://user:pw@[bad/p?t=1'), 'http://[bad/p');
  });

  test('control-plane calls', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.observeRpc('GetStatus', 'OK', 0.001);
    m.observeRpc('GetStatus', 'OK', 0.003);
    m.observeRpc('AddOrigin', 'INVALID_ARGUMENT', 0.01);
    const s = await samplesOf(m);
    assert.equal(value(s, 'musicfs_rpc_total', { method: 'GetStatus', code: 'OK' }), 2);
    assert.equal(value(s, 'musicfs_rpc_total', { method: 'AddOrigin', code: 'INVALID_ARGUMENT' }), 1);
    assert.equal(value(s, 'musicfs_rpc_seconds_count', { method: 'GetStatus' }), 2);
    assert.equal(value(s, 'musicfs_rpc_seconds_count', { method: 'AddOrigin' }), 1);
  });

  test('help and type lines; counters end in _total; only allowed label names', async () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    m.observeFuseOp('read', 0.001, -5);
    m.setOriginHealth('o', 'healthy');
    m.observeOriginRequest('o', 'read', 0.1, false);
    m.scanStarted('o', 'full');
    m.scanCompleted('o', 'full', { durationMs: 1, scanned: 1, added: 1, updated: 1, removed: 1, errors: 1 });
    m.webhookDelivered('http://h/', 0.1);
    m.webhookFailedAttempt('http://h/');
    m.setWebhookQueue('http://h/', 1);
    m.observeRpc('M', 'OK', 0.1);
    const text = await m.render();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((x) => [x[1]!, x[2]!] as const);
    assert.equal(types.length, 30);
    for (const [name, type] of types) {
      assert.ok(name.startsWith('musicfs_'), name);
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
      if (type === 'counter') assert.ok(name.endsWith('_total'), name);
      else assert.ok(!name.endsWith('_total'), name);
      if (type === 'histogram') assert.ok(name.endsWith('_seconds'), name);
    }
    const allowed = new Set(['op', 'origin', 'operation', 'kind', 'method', 'code', 'webhook', 'errno', 'result', 'outcome', 'le']);
    for (const s of parse(text)) for (const k of Object.keys(s.labels)) assert.ok(allowed.has(k), `${s.name} has label ${k}`);
  });

  describe('cache, read from its stats at each scrape', () => {
    const STATS: CacheStatsView = {
      dir: '/home/u/.cache/musicfs/chunks',
      sizeBytes: 3 * 1024 ** 3,
      limitBytes: 10 * 1024 ** 3,
      chunks: 4096,
      tracks: 120,
      tracksComplete: 100,
      pinnedTracks: 12,
      memoryBytes: 64 * 1024 ** 2,
      memoryLimitBytes: 256 * 1024 ** 2,
      hits: 900,
      misses: 100,
      hitRatio: 0.9,
      evictions: 7,
      evictedBytes: 300 * 1024 ** 2,
      corruptChunks: 2,
      passthrough: false,
      passthroughReason: '',
    };
    const CACHE_NAMES = [
      'musicfs_cache_size_bytes',
      'musicfs_cache_limit_bytes',
      'musicfs_cache_memory_bytes',
      'musicfs_cache_chunks',
      'musicfs_cache_passthrough',
      'musicfs_cache_hits_total',
      'musicfs_cache_misses_total',
      'musicfs_cache_evictions_total',
      'musicfs_cache_evicted_bytes_total',
      'musicfs_cache_corrupt_chunks_total',
    ];

    test('without a cache every series is there, at 0', async () => {
      const m = new Metrics({ collectDefaultMetrics: false });
      const s = await samplesOf(m);
      for (const name of CACHE_NAMES) assert.equal(value(s, name), 0, name);
      m.bindCache(() => undefined);
      const s2 = await samplesOf(m);
      for (const name of CACHE_NAMES) assert.equal(value(s2, name), 0, name);
    });

    test('gauges show the current stats; counters the totals', async () => {
      const m = new Metrics({ collectDefaultMetrics: false });
      m.bindCache(() => STATS);
      const s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_size_bytes'), 3 * 1024 ** 3);
      assert.equal(value(s, 'musicfs_cache_limit_bytes'), 10 * 1024 ** 3);
      assert.equal(value(s, 'musicfs_cache_memory_bytes'), 64 * 1024 ** 2);
      assert.equal(value(s, 'musicfs_cache_chunks'), 4096);
      assert.equal(value(s, 'musicfs_cache_passthrough'), 0);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 900);
      assert.equal(value(s, 'musicfs_cache_misses_total'), 100);
      assert.equal(value(s, 'musicfs_cache_evictions_total'), 7);
      assert.equal(value(s, 'musicfs_cache_evicted_bytes_total'), 300 * 1024 ** 2);
      assert.equal(value(s, 'musicfs_cache_corrupt_chunks_total'), 2);
      // A second scrape with the same stats changes nothing (counters are not added twice).
      assert.deepEqual(await samplesOf(m), s);
    });

    test('counters grow by the difference between scrapes', async () => {
      const m = new Metrics({ collectDefaultMetrics: false });
      let stats = STATS;
      m.bindCache(() => stats);
      await m.render();
      stats = { ...STATS, hits: 950, misses: 101, evictions: 9, evictedBytes: STATS.evictedBytes + 1000, corruptChunks: 2, sizeBytes: 1024, passthrough: true, passthroughReason: 'disk full' };
      const s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 950);
      assert.equal(value(s, 'musicfs_cache_misses_total'), 101);
      assert.equal(value(s, 'musicfs_cache_evictions_total'), 9);
      assert.equal(value(s, 'musicfs_cache_evicted_bytes_total'), 300 * 1024 ** 2 + 1000);
      assert.equal(value(s, 'musicfs_cache_size_bytes'), 1024, 'gauges go down too');
      assert.equal(value(s, 'musicfs_cache_passthrough'), 1);
    });

    test('counters never go down: a cache whose totals restart from 0 adds from there', async () => {
      const m = new Metrics({ collectDefaultMetrics: false });
      let stats: CacheStatsView | undefined = STATS;
      m.bindCache(() => stats);
      await m.render();
      stats = { ...STATS, hits: 5, misses: 0, evictions: 0, evictedBytes: 0, corruptChunks: 0 };
      let s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 900);
      assert.equal(value(s, 'musicfs_cache_misses_total'), 100);
      stats = { ...stats, hits: 25, misses: 3 };
      s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 920);
      assert.equal(value(s, 'musicfs_cache_misses_total'), 103);
      // Gone (the cache stopped): gauges fall to 0, counters keep their totals.
      stats = undefined;
      s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_size_bytes'), 0);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 920);
      // Bogus values add nothing and do not throw.
      stats = { ...STATS, hits: Number.NaN, misses: -1, sizeBytes: Number.POSITIVE_INFINITY };
      s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 920);
      assert.equal(value(s, 'musicfs_cache_misses_total'), 103);
      assert.equal(value(s, 'musicfs_cache_size_bytes'), 0);
    });

    test('the stats are read once per scrape, and a throwing stats function reads as no cache', async () => {
      const m = new Metrics({ collectDefaultMetrics: false });
      let calls = 0;
      m.bindCache(() => {
        calls++;
        return STATS;
      });
      await m.render();
      assert.equal(calls, 1);
      await m.render();
      assert.equal(calls, 2);
      m.bindCache(() => {
        throw new Error('the chunk cache is not built yet');
      });
      const s = await samplesOf(m);
      assert.equal(value(s, 'musicfs_cache_chunks'), 0);
      assert.equal(value(s, 'musicfs_cache_hits_total'), 900);
    });
  });

  test('default process metrics carry the musicfs_ prefix, and can be turned off', async () => {
    const withDefaults = await new Metrics().render();
    assert.match(withDefaults, /^musicfs_process_cpu_seconds_total /m);
    assert.match(withDefaults, /^musicfs_nodejs_heap_size_used_bytes /m);
    assert.doesNotMatch(withDefaults, /^(process|nodejs)_/m);
    const without = await new Metrics({ collectDefaultMetrics: false }).render();
    assert.doesNotMatch(without, /process_|nodejs_/);
  });

  test('two instances, with default metrics, keep separate registries', async () => {
    const a = new Metrics();
    const b = new Metrics();
    assert.notEqual(a.registry, b.registry);
    a.setTracks(5);
    b.setTracks(9);
    a.observeFuseOp('read', 0.001, 0);
    const sa = parse(await a.render());
    const sb = parse(await b.render());
    assert.equal(value(sa, 'musicfs_tracks'), 5);
    assert.equal(value(sb, 'musicfs_tracks'), 9);
    assert.equal(value(sa, 'musicfs_fuse_ops_total', { op: 'read', result: 'ok' }), 1);
    assert.equal(value(sb, 'musicfs_fuse_ops_total', { op: 'read', result: 'ok' }), undefined);
  });

  test('contentType is the Prometheus text format', () => {
    const m = new Metrics({ collectDefaultMetrics: false });
    assert.match(m.contentType, /^text\/plain; version=0\.0\.4/);
  });
});
