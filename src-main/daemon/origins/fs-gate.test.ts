import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FsGate } from './fs-gate.js';
import { isOriginError } from './origin-error.js';

describe('FsGate', () => {
  test('runs calls, at most `slots` at once', async () => {
    const gate = new FsGate('nas', () => 10_000, 2);
    let running = 0;
    let peak = 0;
    const call = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
    };
    await Promise.all(Array.from({ length: 6 }, () => gate.run('stat', 'x', call)));
    assert.equal(peak, 2);
  });

  test('when every slot is stuck, new calls fail at once instead of queueing', async () => {
    const gate = new FsGate('nas', () => 50, 2);
    const release: (() => void)[] = [];
    const hung = (): Promise<void> => new Promise((r) => release.push(r));
    const stuck = [gate.run('stat', 'a', hung), gate.run('stat', 'b', hung)];
    const queued = gate.run('stat', 'c', async () => 'ran').catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(gate.stuckCalls, 2);
    const err = await queued;
    assert.ok(isOriginError(err) && err.failure === 'timeout' && /hung for more than 50 ms/.test(err.message), String(err));
    await assert.rejects(gate.run('stat', 'd', async () => 'ran'), (err) => isOriginError(err) && err.failure === 'timeout');
    // The share answers again: the slots come back.
    for (const r of release) r();
    await Promise.all(stuck);
    assert.equal(gate.stuckCalls, 0);
    assert.equal(await gate.run('stat', 'e', async () => 'ran'), 'ran');
  });
});
