import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Disposable, DisposableStore, toDisposable, type AsyncDisposable } from './lifecycle.js';

const recorder = (): { log: string[]; item: (name: string, fail?: boolean) => AsyncDisposable } => {
  const log: string[] = [];
  return {
    log,
    item: (name, fail = false) => ({
      dispose: () => {
        log.push(name);
        if (fail) throw new Error(`${name} failed`);
      },
    }),
  };
};

describe('toDisposable', () => {
  test('runs its function once', async () => {
    let n = 0;
    const d = toDisposable(() => void n++);
    await d.dispose();
    await d.dispose();
    assert.equal(n, 1);
  });
});

describe('DisposableStore', () => {
  test('disposes newest first', async () => {
    const { log, item } = recorder();
    const store = new DisposableStore();
    store.add(item('db'));
    store.add(item('server'));
    store.add(item('mount'));
    await store.dispose();
    assert.deepEqual(log, ['mount', 'server', 'db']);
  });

  test('waits for each async disposal before the next', async () => {
    const log: string[] = [];
    const store = new DisposableStore();
    store.add({ dispose: () => void log.push('first') });
    store.add({
      dispose: async () => {
        await new Promise((r) => setImmediate(r));
        log.push('second (async)');
      },
    });
    await store.dispose();
    assert.deepEqual(log, ['second (async)', 'first']);
  });

  test('is idempotent', async () => {
    const { log, item } = recorder();
    const store = new DisposableStore();
    store.add(item('a'));
    await Promise.all([store.dispose(), store.dispose()]);
    await store.dispose();
    assert.deepEqual(log, ['a']);
    assert.equal(store.isDisposed, true);
  });

  test('one failure is rethrown as is, after disposing everything', async () => {
    const { log, item } = recorder();
    const store = new DisposableStore();
    store.add(item('a'));
    store.add(item('b', true));
    store.add(item('c'));
    await assert.rejects(store.dispose(), (err: unknown) => err instanceof Error && !(err instanceof AggregateError) && err.message === 'b failed');
    assert.deepEqual(log, ['c', 'b', 'a']);
  });

  test('several failures are aggregated', async () => {
    const { log, item } = recorder();
    const store = new DisposableStore();
    store.add(item('a', true));
    store.add(item('b'));
    store.add({
      dispose: async () => {
        log.push('c');
        throw new Error('c failed');
      },
    });
    await assert.rejects(store.dispose(), (err: unknown) => {
      assert.ok(err instanceof AggregateError);
      assert.deepEqual(
        err.errors.map((e: Error) => e.message),
        ['c failed', 'a failed'],
      );
      return true;
    });
    assert.deepEqual(log, ['c', 'b', 'a']);
  });

  test('an item added after disposal is disposed at once', async () => {
    const { log, item } = recorder();
    const store = new DisposableStore();
    await store.dispose();
    const late = item('late');
    assert.equal(store.add(late), late);
    assert.deepEqual(log, ['late']);
    // A failing late item does not throw at the caller or go unhandled.
    store.add(item('late-fail', true));
    store.add({ dispose: () => Promise.reject(new Error('late async fail')) });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(log, ['late', 'late-fail']);
  });

  test('delete hands ownership elsewhere', async () => {
    const { log, item } = recorder();
    const store = new DisposableStore();
    const kept = store.add(item('kept'));
    const handed = store.add(item('handed'));
    store.delete(handed);
    store.delete(handed);
    await store.dispose();
    assert.deepEqual(log, ['kept']);
    assert.ok(kept);
  });
});

describe('Disposable', () => {
  class Service extends Disposable {
    constructor(log: string[]) {
      super();
      this.register(toDisposable(() => void log.push('pool')));
      this.register(toDisposable(() => void log.push('socket')));
    }
    get disposed(): boolean {
      return this.isDisposed;
    }
  }

  test('disposes what it registered, newest first, once', async () => {
    const log: string[] = [];
    const s = new Service(log);
    assert.equal(s.disposed, false);
    await s.dispose();
    await s.dispose();
    assert.deepEqual(log, ['socket', 'pool']);
    assert.equal(s.disposed, true);
  });
});
