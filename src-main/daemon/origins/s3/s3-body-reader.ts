import type { Readable } from 'node:stream';

/**
 * Pulls exact byte counts out of one HTTP response body, in paused mode so
 * the socket only brings what is asked for (TCP backpressure does the rest).
 *
 * Ownership: the reader owns the body. `release()` when every byte was read
 * lets the body end so its keep-alive socket goes back to the pool;
 * `destroy()` before that closes the socket.
 */
export class BodyReader {
  private leftover: Buffer | undefined;
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly body: Readable,
    /** Told of every byte received from the body. */
    private readonly onBytes: (n: number) => void,
  ) {
    const notify = (): void => this.wake?.();
    body.on('readable', notify);
    body.on('end', () => {
      this.ended = true;
      notify();
    });
    body.on('error', (err) => {
      this.failure ??= err;
      notify();
    });
    body.on('close', () => {
      if (!this.ended) this.failure ??= Object.assign(new Error('the answer ended before its last byte'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      notify();
    });
  }

  /** Copies up to `length` bytes into `target` at `offset`; fewer only when the body ends. */
  async readInto(target: Buffer, offset: number, length: number, signal?: AbortSignal): Promise<number> {
    let filled = 0;
    while (filled < length) {
      const chunk = await this.take(length - filled, signal);
      if (chunk === undefined) break;
      chunk.copy(target, offset + filled);
      filled += chunk.length;
    }
    return filled;
  }

  /** Reads and drops `length` bytes; returns how many there were. */
  async skip(length: number, signal?: AbortSignal): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      const chunk = await this.take(length - skipped, signal);
      if (chunk === undefined) break;
      skipped += chunk.length;
    }
    return skipped;
  }

  /** Lets the body finish (nothing of it is wanted any more) so its socket can be reused. */
  release(): void {
    this.body.removeAllListeners('readable');
    this.body.on('error', () => undefined);
    this.body.resume();
  }

  destroy(): void {
    this.body.on('error', () => undefined);
    this.body.destroy();
  }

  /** The next piece of at most `max` bytes, or undefined at the end of the body. */
  private async take(max: number, signal?: AbortSignal): Promise<Buffer | undefined> {
    for (;;) {
      if (this.leftover !== undefined) {
        const piece = this.leftover.subarray(0, max);
        this.leftover = piece.length < this.leftover.length ? this.leftover.subarray(piece.length) : undefined;
        return piece;
      }
      const chunk = this.body.read() as Buffer | null;
      if (chunk !== null) {
        this.onBytes(chunk.length);
        this.leftover = chunk;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return undefined;
      await this.nextEvent(signal);
    }
  }

  private nextEvent(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortErrorOf(signal));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.wake = undefined;
        reject(abortErrorOf(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.wake = () => {
        this.wake = undefined;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
    });
  }
}

/** An error named AbortError (what every origin throws when its signal fires), the signal's reason as its cause. */
export function abortErrorOf(signal: AbortSignal): Error {
  return Object.assign(new Error('stopped', { cause: signal.reason }), { name: 'AbortError' });
}
