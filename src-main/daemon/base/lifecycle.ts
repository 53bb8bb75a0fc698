/**
 * Disposables with one owner (after vscode's base/common/lifecycle.ts).
 *
 * Everything that must be released — mounts, watchers, worker pools, database
 * handles, timers — is an `AsyncDisposable` registered with exactly one parent,
 * and released in reverse order of registration. `dispose()` is idempotent.
 */

export interface AsyncDisposable {
  dispose(): Promise<void> | void;
}

export function toDisposable(fn: () => Promise<void> | void): AsyncDisposable {
  let done = false;
  return {
    dispose: () => {
      if (done) return;
      done = true;
      return fn();
    },
  };
}

/** A set of disposables released together, newest first. */
export class DisposableStore implements AsyncDisposable {
  private readonly items: AsyncDisposable[] = [];
  private disposed = false;

  get isDisposed(): boolean {
    return this.disposed;
  }

  add<T extends AsyncDisposable>(item: T): T {
    if (this.disposed) {
      // Owner already gone: release at once instead of leaking. A failure,
      // thrown or rejected, has no owner to report to.
      try {
        void Promise.resolve(item.dispose()).catch(() => undefined);
      } catch {
        // see above
      }
      return item;
    }
    this.items.push(item);
    return item;
  }

  /** Remove without disposing (ownership handed elsewhere). */
  delete(item: AsyncDisposable): void {
    const i = this.items.indexOf(item);
    if (i >= 0) this.items.splice(i, 1);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    while (this.items.length > 0) {
      const item = this.items.pop()!;
      try {
        await item.dispose();
      } catch (err) {
        errors.push(err);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'several disposables failed');
  }
}

/** Base class: `this.register(child)` ties the child's lifetime to this object. */
export abstract class Disposable implements AsyncDisposable {
  private readonly store = new DisposableStore();

  protected register<T extends AsyncDisposable>(item: T): T {
    return this.store.add(item);
  }

  protected get isDisposed(): boolean {
    return this.store.isDisposed;
  }

  dispose(): Promise<void> {
    return this.store.dispose();
  }
}
