import type { Readable } from 'node:stream';
import type { OriginAccess, OriginFileHandle, OriginStat } from '../origin.js';
import { OriginError } from '../origin-error.js';
import { abortErrorOf, BodyReader } from './s3-body-reader.js';

/**
 * Ranged reads of one S3 object (one version of it), fast when sequential.
 *
 * One GET is kept open and successive reads are served from its body. A read
 * at a new position first asks for a bounded window (a tag reader's seek
 * costs one short GET, and the socket is reused); a read continuing where the
 * last one ended asks for everything up to the end of the object, so playing
 * a track is two GETs. A read a little ahead of the open body reads through
 * the gap; any other seek drops the body and opens a new one. Reads never ask
 * past the end of the object.
 *
 * Concurrency: reads run one at a time in call order (they share the body and
 * its position). A handle opened for 'random' access (tag scans) asks for
 * exactly the bytes of each read. Ownership: the handle owns the body; it is dropped after
 * `idleMs` without reads, on a failure (the next read opens a fresh one: the
 * caller retries or fails over) and on `close()`.
 */

/** Smallest GET for a read at a new position. */
const FIRST_WINDOW_BYTES = 256 * 1024;
/** A read this far ahead of the open body reads through the gap instead of a new GET. */
const READ_THROUGH_MAX_BYTES = 512 * 1024;
export const DEFAULT_STREAM_IDLE_MS = 20_000;

/** What the handle needs of the object and its origin. */
export interface RangedObject {
  readonly size: number;
  /** Modification time from the HEAD that opened it. */
  readonly mtimeMs: number;
  readonly etag?: string;
  /** A body of bytes [start, end) of the version opened; rejects with an OriginError. */
  openRange(start: number, end: number, signal?: AbortSignal): Promise<Readable>;
  /** Told of every body byte received. */
  countBytes(n: number): void;
  /** The OriginError for a failure while reading a body. */
  toError(err: unknown): OriginError;
  /** Called once, at close. */
  onClose(): void;
}

interface OpenBody {
  reader: BodyReader;
  /** Object offset of the next byte the body will give. */
  position: number;
  /** Object offset where the body ends (exclusive). */
  end: number;
}

export class S3ReadHandle implements OriginFileHandle {
  private body: OpenBody | undefined;
  /** Where the previous read ended: a read starting there is sequential. */
  private lastEnd = -1;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly object: RangedObject,
    private readonly idleMs = DEFAULT_STREAM_IDLE_MS,
    /** 'random' (a tag scan): every GET is exactly the bytes asked, nothing ahead. */
    private readonly access: OriginAccess = 'sequential',
  ) {}

  get stat(): OriginStat {
    return { size: this.object.size, mtimeMs: this.object.mtimeMs, isDirectory: false, ...(this.object.etag !== undefined ? { version: this.object.etag } : {}) };
  }

  read(buffer: Buffer, offset: number, length: number, position: number, signal?: AbortSignal): Promise<number> {
    const run = this.queue.then(() => this.readNow(buffer, offset, length, position, signal));
    this.queue = run.catch(() => undefined);
    return signal === undefined ? run : this.untilAborted(run, signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    this.dropBody();
    this.object.onClose();
  }

  private async readNow(buffer: Buffer, offset: number, length: number, position: number, signal?: AbortSignal): Promise<number> {
    if (this.closed) throw this.object.toError(new Error('read after close'));
    if (signal?.aborted) throw this.object.toError(abortErrorOf(signal));
    const want = Math.max(0, Math.min(length, this.object.size - position));
    if (want === 0) return 0;
    clearTimeout(this.idleTimer);
    try {
      let filled = 0;
      while (filled < want) {
        const at = position + filled;
        const body = await this.bodyAt(at, want - filled, signal);
        const n = await body.reader.readInto(buffer, offset + filled, Math.min(want - filled, body.end - at), signal);
        if (n === 0) throw Object.assign(new Error(`the answer ended at byte ${at}, before byte ${body.end}`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
        body.position += n;
        filled += n;
        // A read running past its body's window continues it: the next GET streams to the end.
        this.lastEnd = position + filled;
        if (body.position >= body.end) this.releaseBody();
      }
      this.lastEnd = position + want;
      return want;
    } catch (err) {
      this.dropBody();
      throw this.object.toError(err);
    } finally {
      if (!this.closed && this.body !== undefined) {
        this.idleTimer = setTimeout(() => this.dropBody(), this.idleMs);
        this.idleTimer.unref();
      }
    }
  }

  /** The open body, moved to `at` (reading through a short gap), or a new one starting there. */
  private async bodyAt(at: number, need: number, signal?: AbortSignal): Promise<OpenBody> {
    const open = this.body;
    if (open !== undefined && at >= open.position && at < open.end && at - open.position <= READ_THROUGH_MAX_BYTES) {
      const gap = at - open.position;
      if (gap > 0) {
        const skipped = await open.reader.skip(gap, signal);
        open.position += skipped;
        if (skipped < gap) throw Object.assign(new Error(`the answer ended at byte ${open.position}`), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
      }
      return open;
    }
    this.dropBody();
    const size = this.object.size;
    const end = this.access === 'random' ? Math.min(size, at + need) : at === this.lastEnd ? size : Math.min(size, at + Math.max(need, FIRST_WINDOW_BYTES));
    const stream = await this.object.openRange(at, end, signal);
    const body: OpenBody = { reader: new BodyReader(stream, (n) => this.object.countBytes(n)), position: at, end };
    if (this.closed) {
      body.reader.destroy();
      throw new Error('read after close');
    }
    this.body = body;
    return body;
  }

  /** A read waiting its turn behind others still stops at once when its signal fires. */
  private untilAborted(run: Promise<number>, signal: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(this.object.toError(abortErrorOf(signal)));
      signal.addEventListener('abort', onAbort, { once: true });
      void run.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  /** Every byte of the body was read: let it end so its socket is reused. */
  private releaseBody(): void {
    this.body?.reader.release();
    this.body = undefined;
  }

  private dropBody(): void {
    clearTimeout(this.idleTimer);
    this.body?.reader.destroy();
    this.body = undefined;
  }
}
