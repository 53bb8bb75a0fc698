import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Debouncer, InFlight, delay, forEachLimit } from './async.js';

// Timers here only wait; nothing asserts how long anything took. A debounce
// timer of W ms always fires before a timer of more than W ms started after it.

describe('Debouncer', () => {
  test('coalesces a burst of triggers into one run', async () => {
    let runs = 0;
    const d = new Debouncer(5, () => void runs++);
    for (let i = 0; i < 10; i++) d.trigger();
    await delay(40);
    assert.equal(runs, 1);
  });

  test('a trigger during the quiet time starts it again', async () => {
    let runs = 0;
    const d = new Debouncer(30, () => void runs++);
    d.trigger();
    await delay(1);
    d.trigger();
    await delay(1);
    d.trigger();
    assert.equal(runs, 0);
    await delay(100);
    assert.equal(runs, 1);
  });

  test('runs again for a later burst', async () => {
    let runs = 0;
    const d = new Debouncer(5, () => void runs++);
    d.trigger();
    await delay(30);
    d.trigger();
    d.trigger();
    await delay(30);
    assert.equal(runs, 2);
  });

  test('cancel drops a pending run', async () => {
    let runs = 0;
    const d = new Debouncer(5, () => void runs++);
    d.trigger();
    d.cancel();
    d.cancel();
    await delay(30);
    assert.equal(runs, 0);
  });
});

describe('InFlight', () => {
  test('drain resolves true at once when idle', async () => {
    assert.equal(await new InFlight().drain(10_000), true);
  });

  test('drain resolves true when the last operation ends', async () => {
    const f = new InFlight();
    const endA = f.begin();
    const endB = f.begin();
    assert.equal(f.size, 2);
    const drained = f.drain(60_000);
    const drained2 = f.drain(60_000);
    endA();
    assert.equal(f.size, 1);
    setImmediate(endB);
    assert.deepEqual(await Promise.all([drained, drained2]), [true, true]);
    assert.equal(f.size, 0);
  });

  test('drain resolves false on timeout', async () => {
    const f = new InFlight();
    const end = f.begin();
    // drain's own timer is unref'd; keep the loop alive while waiting.
    const [result] = await Promise.all([f.drain(5), delay(30)]);
    assert.equal(result, false);
    assert.equal(f.size, 1);
    end();
  });

  test('ending twice counts once', () => {
    const f = new InFlight();
    const endA = f.begin();
    f.begin();
    endA();
    endA();
    assert.equal(f.size, 1);
  });
});

describe('forEachLimit', () => {
  const run = async (count: number, limit: number): Promise<{ max: number; done: number[] }> => {
    let active = 0;
    let max = 0;
    const done: number[] = [];
    await forEachLimit(Array.from({ length: count }, (_, i) => i), limit, async (i) => {
      active++;
      max = Math.max(max, active);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      active--;
      done.push(i);
    });
    return { max, done };
  };

  test('never runs more than the limit at once, and runs every item', async () => {
    const { max, done } = await run(25, 4);
    assert.equal(max, 4);
    assert.deepEqual([...done].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
  });

  test('a limit above the item count runs them all at once', async () => {
    const { max, done } = await run(3, 10);
    assert.equal(max, 3);
    assert.equal(done.length, 3);
  });

  test('a limit below 1 means 1', async () => {
    assert.equal((await run(5, 0)).max, 1);
    assert.equal((await run(5, -3)).max, 1);
  });

  test('takes any iterable, and nothing for an empty one', async () => {
    const seen: string[] = [];
    await forEachLimit(new Set(['a', 'b']), 2, async (s) => void seen.push(s));
    assert.deepEqual(seen.sort(), ['a', 'b']);
    await forEachLimit([], 3, async () => assert.fail('not called'));
  });

  test('rejects when an item fails', async () => {
    await assert.rejects(
      forEachLimit([1, 2, 3], 2, async (i) => {
        if (i === 2) throw new Error('item 2 failed');
      }),
      /item 2 failed/,
    );
  });
});

describe('delay', () => {
  test('rejects at once with the reason of an aborted signal', async () => {
    const ac = new AbortController();
    ac.abort(new Error('already'));
    await assert.rejects(delay(60_000, ac.signal), /already/);
  });

  test('rejects when aborted while waiting', async () => {
    const ac = new AbortController();
    const p = delay(60_000, ac.signal);
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
  });
});
