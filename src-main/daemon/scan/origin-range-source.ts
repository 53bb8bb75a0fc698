import { retryTransient } from '../federation/retry.js';
import type { Origin, OriginFileHandle } from '../origins/origin.js';
import { isOriginError } from '../origins/origin-error.js';
import { RemoteSourceError, type RemoteRangeSource } from './tag-reader-pool.js';

/**
 * The bytes of one remote file for the tag reader: exact ranges (the handle
 * is opened for random access, so nothing is read ahead — a scan must fetch
 * only what the tags need), transient failures retried after 100/500/2000 ms
 * on a fresh handle, every byte counted.
 */
export class OriginRangeSource implements RemoteRangeSource {
  private handle: Promise<OriginFileHandle> | undefined;

  constructor(
    private readonly origin: Origin,
    private readonly path: string,
    private readonly retryWindowMs: number,
    private readonly onBytes: (n: number) => void,
    private readonly signal?: AbortSignal,
  ) {}

  async read(position: number, length: number): Promise<Uint8Array> {
    try {
      return await retryTransient(() => this.attempt(position, length), performance.now() + this.retryWindowMs, this.signal);
    } catch (err) {
      const vanished = isOriginError(err) ? err.failure === 'not_found' : (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new RemoteSourceError((err as Error).message, vanished);
    }
  }

  private async attempt(position: number, length: number): Promise<Uint8Array> {
    this.handle ??= this.origin.open(this.path, this.signal, 'random');
    const handle = this.handle;
    try {
      const h = await handle;
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = await h.read(buffer, done, length - done, position + done, this.signal);
        if (n === 0) break;
        done += n;
      }
      this.onBytes(done);
      return done === length ? buffer : buffer.subarray(0, done);
    } catch (err) {
      // The next attempt opens afresh: the connection under this handle may be gone.
      if (this.handle === handle) this.handle = undefined;
      void handle.then((h) => h.close()).catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
