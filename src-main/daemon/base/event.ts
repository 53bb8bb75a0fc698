import type { AsyncDisposable } from './lifecycle.js';

/**
 * Typed events (after vscode's base/common/event.ts): a private `Emitter`, a
 * public read-only `Event<T>` that returns a disposable subscription.
 */
export type Event<T> = (listener: (value: T) => void) => AsyncDisposable;

export class Emitter<T> implements AsyncDisposable {
  private listeners = new Set<(value: T) => void>();

  readonly event: Event<T> = (listener) => {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  };

  fire(value: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(value);
      } catch (err) {
        // A broken listener must not break the emitter or its other listeners.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  dispose(): void {
    this.listeners.clear();
  }
}
