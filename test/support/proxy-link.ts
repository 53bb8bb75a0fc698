/**
 * The connections of a FaultProxy: a Link per accepted client, and a Pipe
 * each way that applies the faults (fault-proxy.ts says what each fault
 * means). The proxy owns its links; a link owns its sockets and pipes.
 */
import net from 'node:net';
import type { TokenBucket } from './token-bucket.js';

const QUEUE_HIGH_BYTES = 4 * 1024 * 1024;
const QUEUE_LOW_BYTES = 1024 * 1024;
/** Pause between the last byte before a cut and the RST (see cutAfterBytes in fault-proxy.ts). */
const CUT_GRACE_MS = 20;

/** The switches every connection reads at each step. */
export interface FaultState {
  latencyMs: number;
  readonly bucket: TokenBucket;
  cutAfterBytes: number | undefined;
}

export interface Counters {
  bytesDown: number;
  bytesUp: number;
  connectionsAccepted: number;
}

type Direction = 'up' | 'down';

/**
 * One proxied connection: the client's socket, the socket we dialled to the
 * target (none when born in a blackhole) and a pipe each way. Closed when
 * every socket it owns has closed.
 */
export class Link {
  readonly closed: Promise<void>;
  private readonly target: net.Socket | undefined;
  private readonly pipes: Pipe[] = [];
  private dead: boolean;
  /** Downstream bytes since the cut was armed (or since we opened). */
  private bytesDownSinceArmed = 0;

  constructor(
    private readonly client: net.Socket,
    target: { host: string; port: number } | undefined,
    private readonly faults: FaultState,
    counters: Counters,
  ) {
    this.dead = target === undefined;
    client.setNoDelay(true);
    // A reset by the client is passed on as a reset.
    client.on('error', () => this.reset());
    const closes = [onceClosed(client)];
    if (target) {
      const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
      this.target = socket;
      // The target's reset (or refusal) reaches the client as a reset, unless we play dead.
      socket.on('error', () => (this.dead ? socket.destroy() : this.reset()));
      closes.push(onceClosed(socket));
      // A client gone for good takes the target connection with it.
      client.on('close', () => socket.destroy());
      this.pipes.push(new Pipe(client, socket, 'up', this, faults, counters), new Pipe(socket, client, 'down', this, faults, counters));
    } else {
      client.on('data', () => undefined);
    }
    this.closed = Promise.all(closes).then(() => {
      for (const pipe of this.pipes) pipe.stop();
    });
  }

  /** Bytes this link may still send downstream before its cut (Infinity when no cut is armed). */
  get downstreamBudget(): number {
    return this.faults.cutAfterBytes === undefined ? Infinity : this.faults.cutAfterBytes - this.bytesDownSinceArmed;
  }

  forwardedDown(bytes: number): void {
    this.bytesDownSinceArmed += bytes;
  }

  armCut(): void {
    this.bytesDownSinceArmed = 0;
  }

  kick(): void {
    for (const pipe of this.pipes) pipe.kick();
  }

  /** Stop forwarding for good; keep both sockets open and silent. */
  blackhole(): void {
    this.dead = true;
    for (const pipe of this.pipes) pipe.discard();
  }

  reset(): void {
    for (const pipe of this.pipes) pipe.stop();
    for (const socket of [this.client, this.target]) {
      if (socket && !socket.destroyed) socket.resetAndDestroy();
    }
  }

  destroy(): void {
    for (const pipe of this.pipes) pipe.stop();
    this.client.destroy();
    this.target?.destroy();
  }
}

interface Chunk {
  data: Buffer;
  arrivedAtMs: number;
}

/**
 * Bytes from one socket to the other, through the faults: a FIFO of chunks
 * stamped on arrival, sent when their latency is up and (downstream) when the
 * bucket allows, in pieces no bigger than the bucket hands out. One timer at
 * most; `kick()` recomputes it after a switch changed.
 */
class Pipe {
  private readonly queue: Chunk[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private sourcePaused = false;
  private sourceEnded = false;
  private waitingForDrain = false;
  /** Blackholed: read and drop everything. */
  private discarding = false;
  private stopped = false;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly direction: Direction,
    private readonly link: Link,
    private readonly faults: FaultState,
    private readonly counters: Counters,
  ) {
    from.on('data', (data: Buffer) => this.push(data));
    from.on('end', () => {
      this.sourceEnded = true;
      this.kick();
    });
  }

  kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pump();
  }

  discard(): void {
    this.discarding = true;
    this.clearQueue();
  }

  stop(): void {
    this.stopped = true;
    this.clearQueue();
  }

  private push(data: Buffer): void {
    if (this.stopped || this.discarding) return;
    this.queue.push({ data, arrivedAtMs: performance.now() });
    this.queuedBytes += data.length;
    if (this.queuedBytes >= QUEUE_HIGH_BYTES && !this.sourcePaused) {
      this.sourcePaused = true;
      this.from.pause();
    }
    // A pending timer already waits for the head chunk; this one queues behind it.
    if (!this.timer) this.pump();
  }

  private pump(): void {
    if (this.stopped || this.discarding || this.waitingForDrain || this.to.destroyed) return;
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const dueInMs = head.arrivedAtMs + this.faults.latencyMs - performance.now();
      if (dueInMs > 0) return this.wakeIn(dueInMs);
      let piece = head.data;
      let cutAfterThis = false;
      if (this.direction === 'down') {
        const budget = this.link.downstreamBudget;
        if (budget <= 0) return this.link.reset();
        if (piece.length >= budget) {
          piece = piece.subarray(0, budget);
          cutAfterThis = true;
        }
        const bucket = this.faults.bucket;
        if (bucket.limited) {
          if (piece.length > bucket.pieceBytes) {
            piece = piece.subarray(0, bucket.pieceBytes);
            cutAfterThis = false;
          }
          const waitMs = bucket.take(piece.length);
          if (waitMs > 0) return this.wakeIn(waitMs);
        }
        this.link.forwardedDown(piece.length);
        this.counters.bytesDown += piece.length;
      } else {
        this.counters.bytesUp += piece.length;
      }
      this.dequeue(piece.length);
      if (cutAfterThis) {
        // Reset only once the kernel holds the last byte (a RST discards unsent
        // bytes) and the client has had a moment to read it.
        this.stopped = true;
        this.to.write(piece, () => setTimeout(() => this.link.reset(), CUT_GRACE_MS).unref());
        return;
      }
      if (!this.to.write(piece)) {
        this.waitingForDrain = true;
        this.to.once('drain', () => {
          this.waitingForDrain = false;
          this.pump();
        });
        return;
      }
    }
    if (this.sourceEnded && !this.to.writableEnded) this.to.end();
  }

  private wakeIn(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
    // The sockets keep the process alive while there is traffic.
    this.timer.unref();
  }

  private dequeue(bytes: number): void {
    const head = this.queue[0]!;
    if (bytes === head.data.length) this.queue.shift();
    else head.data = head.data.subarray(bytes);
    this.queuedBytes -= bytes;
    this.resumeSourceIfLow();
  }

  private clearQueue(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.resumeSourceIfLow();
  }

  private resumeSourceIfLow(): void {
    if (this.sourcePaused && this.queuedBytes <= QUEUE_LOW_BYTES) {
      this.sourcePaused = false;
      this.from.resume();
    }
  }
}

function onceClosed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
