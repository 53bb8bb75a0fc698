import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../base/logger.js';
import { LocalOrigin } from '../origins/local-origin.js';
import type { Origin } from '../origins/origin.js';
import { isOriginError } from '../origins/origin-error.js';
import { FaultOrigin } from '../origins/testing/fault-origin.js';
import type { FileNode, Replica } from '../vfs/library-tree.js';
import { ReplicaReader } from '../vfs/replica-reader.js';
import { VfsError } from '../vfs/vfs-error.js';
import { withDeadline } from './deadline.js';
import { GuardedOrigin } from './guarded-origin.js';
import { LatencyWindow } from './latency-window.js';
import { compareForRead, healthAfterCheck, type RouteCandidate } from './routing.js';

/**
 * The federation layer against real local folders wrapped in FaultOrigin:
 * retries, deadlines, mid-file failover, retry rounds, routing and health.
 */

const SIZE = 3 * 1024 * 1024 + 17;
const content = Buffer.alloc(SIZE);
for (let i = 0, s = 11; i < SIZE; i++) {
  s = (s * 1_103_515_245 + 12_345) >>> 0;
  content[i] = s >>> 16;
}

let tmp: string;
let nextId = 0;
const disposables: Origin[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-federation-'));
});
after(async () => {
  for (const o of disposables) await o.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** A real folder holding song.flac, behind a fault injector and the federation guard. */
async function replica(deadlineMs = 5000): Promise<{ fault: FaultOrigin; guarded: GuardedOrigin }> {
  const id = ++nextId;
  const dir = join(tmp, `o${id}`);
  await mkdir(dir);
  await writeFile(join(dir, 'song.flac'), content);
  const fault = new FaultOrigin(new LocalOrigin(id, `o${id}`, dir, silentLogger));
  const guarded = new GuardedOrigin(fault, { deadlineMs: () => deadlineMs });
  disposables.push(guarded);
  return { fault, guarded };
}

function nodeOf(origins: readonly Origin[]): FileNode {
  const replicas: Replica[] = origins.map((o) => ({ originId: o.id, path: 'song.flac', trackId: o.id }));
  return { kind: 'file', ino: 0x8000_0001, size: SIZE, mtimeMs: 0, fingerprint: 'fp', replicas };
}

function readerOf(origins: readonly Origin[], deadlineMs = 5000): ReplicaReader {
  const byId = new Map(origins.map((o) => [o.id, o]));
  return new ReplicaReader(nodeOf(origins), '/A/song.flac', { origin: (id) => byId.get(id), deadlineMs: () => deadlineMs }, silentLogger);
}

async function readAll(reader: ReplicaReader, onPiece?: (offset: number) => void): Promise<Buffer> {
  const out = Buffer.alloc(SIZE);
  for (let offset = 0; offset < SIZE; ) {
    onPiece?.(offset);
    const n = await reader.read(out, offset, Math.min(128 * 1024, SIZE - offset), offset);
    assert.ok(n > 0, `no progress at ${offset}`);
    offset += n;
  }
  return out;
}

describe('GuardedOrigin', () => {
  test('retries a transient stat failure and records the latency', async () => {
    const { fault, guarded } = await replica();
    fault.failNext(2, 'reset');
    const st = await guarded.stat('song.flac');
    assert.equal(st?.size, SIZE);
    assert.equal(fault.count('stat'), 3);
    assert.equal(guarded.latency.count, 1);
    assert.equal(guarded.stats.consecutiveFailures, 0);
  });

  test('does not retry what another attempt cannot fix', async () => {
    const { fault, guarded } = await replica();
    fault.failNext(1, 'auth');
    await assert.rejects(guarded.stat('song.flac'), (err) => isOriginError(err) && err.failure === 'auth');
    assert.equal(fault.count('stat'), 1);
    assert.equal(guarded.stats.consecutiveFailures, 1);
    assert.match(guarded.stats.lastFailure, /injected auth/);
  });

  test('a hung origin fails with a timeout at the deadline', async () => {
    const { fault, guarded } = await replica(300);
    fault.hang();
    const started = performance.now();
    await assert.rejects(guarded.open('song.flac'), (err) => isOriginError(err) && err.failure === 'timeout');
    assert.ok(performance.now() - started < 5000);
    fault.up();
  });

  test('withDeadline rejects even when the operation ignores its signal', async () => {
    await assert.rejects(
      withDeadline(() => new Promise(() => undefined), 50, { origin: 'x', operation: 'stat' }),
      (err) => isOriginError(err) && err.failure === 'timeout' && /no answer within 50 ms/.test(err.message),
    );
  });
});

describe('ReplicaReader failover', () => {
  test('a replica that dies mid-file is continued on the next, byte-identical', async () => {
    const a = await replica();
    const b = await replica();
    a.fault.cutReadsAfter(1_000_000);
    const out = await readAll(readerOf([a.guarded, b.guarded]));
    assert.ok(out.equals(content));
    assert.ok(b.fault.count('read') > 0, 'the second replica served the rest');
  });

  test('a black-holed replica fails over well before the deadline', async () => {
    const a = await replica(20_000);
    const b = await replica(20_000);
    const reader = readerOf([a.guarded, b.guarded], 20_000);
    await reader.open();
    a.fault.hang();
    const started = performance.now();
    const out = await readAll(reader);
    assert.ok(out.equals(content));
    // The stall timeout (5 s, or a third of the deadline) bounds the switch.
    assert.ok(performance.now() - started < 15_000);
    a.fault.up();
  });

  test('every replica down: retry rounds, then IO within the deadline', async () => {
    const a = await replica(2000);
    const b = await replica(2000);
    a.fault.down('refused');
    b.fault.down('refused');
    const reader = readerOf([a.guarded, b.guarded], 2000);
    const started = performance.now();
    await assert.rejects(reader.open(), (err) => err instanceof VfsError && err.code === 'IO');
    assert.ok(performance.now() - started < 3000);
    // One attempt each per round: the first, then after 100 and 500 ms (2000 would pass the deadline).
    assert.equal(a.fault.count('open'), 3);
    assert.equal(b.fault.count('open'), 3);
  });

  test('an origin that comes back during the retry rounds serves the read', async () => {
    const a = await replica(10_000);
    a.fault.down('reset');
    setTimeout(() => a.fault.up(), 300).unref();
    const out = await readAll(readerOf([a.guarded], 10_000));
    assert.ok(out.equals(content));
  });

  test('a missing file is NOT_FOUND at once, without retries', async () => {
    const a = await replica();
    const node = { ...nodeOf([a.guarded]), replicas: [{ originId: a.guarded.id, path: 'gone.flac', trackId: 1 }] };
    const reader = new ReplicaReader(node, '/gone.flac', { origin: () => a.guarded }, silentLogger);
    await assert.rejects(reader.open(), (err) => err instanceof VfsError && err.code === 'NOT_FOUND');
    assert.equal(a.fault.count('open'), 1);
  });

  test('reads follow the route the lookup gives', async () => {
    const a = await replica();
    const b = await replica();
    const byId = new Map([a.guarded, b.guarded].map((o) => [o.id, o]));
    const node = nodeOf([a.guarded, b.guarded]);
    const reader = new ReplicaReader(node, '/A/song.flac', { origin: (id) => byId.get(id), route: (r) => [...r].reverse() }, silentLogger);
    await reader.open();
    assert.equal(reader.originId, b.guarded.id);
    await reader.close();
  });
});

describe('routing and health', () => {
  const c = (over: Partial<RouteCandidate>): RouteCandidate => ({ health: 'healthy', consecutiveFailures: 0, priority: 100, p50Ms: undefined, order: 0, ...over });

  test('health first, then priority, then p50 latency, then declaration order', () => {
    const sorted = [
      c({ order: 0, health: 'unhealthy', consecutiveFailures: 3 }),
      c({ order: 1, priority: 200, p50Ms: 1 }),
      c({ order: 2, priority: 100, p50Ms: 40 }),
      c({ order: 3, priority: 100, p50Ms: 5 }),
      c({ order: 4, health: 'degraded', priority: 1 }),
      c({ order: 5, priority: 100 }),
    ].sort(compareForRead);
    assert.deepEqual(
      sorted.map((x) => x.order),
      [3, 2, 5, 1, 4, 0],
    );
  });

  test('among unhealthy origins the least bad comes first', () => {
    const sorted = [c({ order: 0, health: 'unhealthy', consecutiveFailures: 9 }), c({ order: 1, health: 'unhealthy', consecutiveFailures: 3, priority: 500 })].sort(compareForRead);
    assert.deepEqual(
      sorted.map((x) => x.order),
      [1, 0],
    );
  });

  test('remote origins turn unhealthy after three failed checks, local ones after one', () => {
    let h = healthAfterCheck(0, true, 3);
    assert.deepEqual(h, { state: 'degraded', consecutiveFailures: 1 });
    h = healthAfterCheck(h.consecutiveFailures, true, 3);
    assert.equal(h.state, 'degraded');
    h = healthAfterCheck(h.consecutiveFailures, true, 3);
    assert.equal(h.state, 'unhealthy');
    assert.deepEqual(healthAfterCheck(h.consecutiveFailures, false, 3), { state: 'healthy', consecutiveFailures: 0 });
    assert.equal(healthAfterCheck(0, true, 1).state, 'unhealthy');
  });

  test('the latency window is the median of recent samples', () => {
    const w = new LatencyWindow(4);
    assert.equal(w.p50(), undefined);
    for (const ms of [100, 1, 2, 3, 4]) w.add(ms);
    assert.equal(w.count, 4);
    assert.equal(w.p50(), 2);
  });
});
