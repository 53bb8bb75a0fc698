/**
 * A TCP proxy on loopback that sits between MusicFS and a real server
 * (s3rver, sshd) and injects network faults on command, for failover,
 * timeout and benchmark tests. Every switch applies at once, to new and live
 * connections alike:
 *
 * - latency: each chunk, in both directions, leaves `latencyMs` after it
 *   arrived (order kept: a chunk never overtakes the one before it). A
 *   changed value applies to chunks still queued.
 * - bandwidth: one token bucket shared by every connection, **downstream
 *   only** (server → client): it models a slow download link; requests and
 *   uploads pass at full speed.
 * - resetConnections: RST on both sides of every live connection.
 * - blackhole: new connections are accepted and their bytes read and
 *   dropped, but nothing is forwarded and the target is never dialled (a
 *   dead host, a hung server). Live connections go dead the same way, in both
 *   directions, and stay dead after the blackhole is switched off (bytes were
 *   dropped: resuming would desynchronise the protocol); resetConnections()
 *   or close() ends them. Only new connections work again.
 * - refuse: the proxy stops listening, so a connect gets ECONNREFUSED (a
 *   closed port on a reachable host, what the 'refused' failure category
 *   means). Switching back listens again on the same port (retried briefly
 *   if another socket grabbed it meanwhile). Live connections are untouched.
 * - cutAfterBytes(n): a connection is reset once it has forwarded n bytes
 *   downstream, counted from when the cut was armed or the connection opened,
 *   whichever is later (so a kept-alive connection that already carried a
 *   listing is cut n bytes into the next transfer, not at once). The proxy
 *   forwards exactly n bytes, and sends the RST CUT_GRACE_MS after the
 *   kernel took the last one, so a reading client gets all n and then
 *   ECONNRESET. (A reset that lands on bytes the client has not read yet
 *   reaches a Node client as a plain early EOF: libuv reports POLLHUP after
 *   a partial read as EOF. Real servers that die give either, too.)
 *
 * Bytes are counted when handed to the receiving socket. Memory per
 * direction is bounded: past QUEUE_HIGH_BYTES the sender is paused (with
 * latency L the throughput per connection tops out near QUEUE_HIGH_BYTES / L,
 * like a TCP window).
 */
import net, { type AddressInfo } from 'node:net';
import { TokenBucket } from './token-bucket.js';

export interface FaultProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Port to listen on (127.0.0.1); 0, the default, picks a free one. */
  listenPort?: number;
}

const LISTEN_HOST = '127.0.0.1';
const QUEUE_HIGH_BYTES = 4 * 1024 * 1024;
const QUEUE_LOW_BYTES = 1024 * 1024;
/** How long to keep retrying a rebind to our own port after refuse is switched off. */
const REBIND_ATTEMPTS = 50;
const REBIND_PAUSE_MS = 50;
/** Pause between the last byte before a cut and the RST (see cutAfterBytes above). */
const CUT_GRACE_MS = 20;

/** The switches every connection reads at each step. */
interface FaultState {
  latencyMs: number;
  readonly bucket: TokenBucket;
  cutAfterBytes: number | undefined;
}

interface Counters {
  bytesDown: number;
  bytesUp: number;
  connectionsAccepted: number;
}

type Direction = 'up' | 'down';

export class FaultProxy {
  readonly host = LISTEN_HOST;
  private listenPort: number;
  /** Undefined while refusing or after close. */
  private server: net.Server | undefined;
  /** Servers we stopped listening on; their close callbacks fire once their connections are gone. */
  private readonly retiredServers: Promise<void>[] = [];
  private readonly links = new Set<Link>();
  private readonly faults: FaultState = { latencyMs: 0, bucket: new TokenBucket(), cutAfterBytes: undefined };
  private readonly counters: Counters = { bytesDown: 0, bytesUp: 0, connectionsAccepted: 0 };
  private blackholeOn = false;
  /** Serialises refuse switches (each may wait for a listen). */
  private listenChange: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  private constructor(private readonly options: FaultProxyOptions) {
    this.listenPort = options.listenPort ?? 0;
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options);
    await proxy.listen();
    return proxy;
  }

  /** The port clients should connect to (stays the same across refuse switches). */
  get port(): number {
    return this.listenPort;
  }

  get bytesDown(): number {
    return this.counters.bytesDown;
  }

  get bytesUp(): number {
    return this.counters.bytesUp;
  }

  get connectionsAccepted(): number {
    return this.counters.connectionsAccepted;
  }

  get liveConnections(): number {
    return this.links.size;
  }

  resetCounters(): void {
    this.counters.bytesDown = 0;
    this.counters.bytesUp = 0;
    this.counters.connectionsAccepted = 0;
  }

  setLatency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`latency must be >= 0 ms, got ${ms}`);
    this.faults.latencyMs = ms;
    this.kickAll();
  }

  /** Downstream cap in bytes per second shared by all connections; undefined removes it. */
  setBandwidth(bytesPerSecond: number | undefined): void {
    this.faults.bucket.setRate(bytesPerSecond);
    this.kickAll();
  }

  resetConnections(): void {
    for (const link of this.links) link.reset();
  }

  setBlackhole(on: boolean): void {
    this.blackholeOn = on;
    if (on) for (const link of this.links) link.blackhole();
  }

  /** Resolves once the listening state matches (a connect then gets ECONNREFUSED, or works again). */
  setRefuse(on: boolean): Promise<void> {
    const change = this.listenChange.then(async () => {
      if (this.closing) return;
      if (on) this.stopListening();
      else if (!this.server) await this.listen();
    });
    this.listenChange = change.catch(() => undefined);
    return change;
  }

  cutAfterBytes(bytes: number | undefined): void {
    if (bytes !== undefined && !(bytes >= 0)) throw new RangeError(`cutAfterBytes must be >= 0, got ${bytes}`);
    this.faults.cutAfterBytes = bytes;
    for (const link of this.links) link.armCut();
    this.kickAll();
  }

  /** Stops listening and destroys every connection; resolves when all sockets are closed. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  dispose(): Promise<void> {
    return this.close();
  }

  private async shutdown(): Promise<void> {
    await this.listenChange;
    this.stopListening();
    for (const link of this.links) link.destroy();
    await Promise.all([...this.links].map((l) => l.closed));
    await Promise.all(this.retiredServers);
  }

  private kickAll(): void {
    for (const link of this.links) link.kick();
  }

  private stopListening(): void {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // The listening socket closes now; the callback waits for accepted sockets.
    this.retiredServers.push(new Promise((resolve) => server.close(() => resolve())));
  }

  private async listen(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const server = net.createServer({ allowHalfOpen: true }, (socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.listenPort, LISTEN_HOST, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (inUse && this.listenPort !== 0 && attempt < REBIND_ATTEMPTS) {
          await new Promise((r) => setTimeout(r, REBIND_PAUSE_MS));
          continue;
        }
        throw err;
      }
      server.on('error', () => undefined);
      this.server = server;
      this.listenPort = (server.address() as AddressInfo).port;
      return;
    }
  }

  private accept(client: net.Socket): void {
    if (this.closing) {
      client.destroy();
      return;
    }
    this.counters.connectionsAccepted++;
    const target = this.blackholeOn ? undefined : { host: this.options.targetHost, port: this.options.targetPort };
    const link = new Link(client, target, this.faults, this.counters);
    this.links.add(link);
    void link.closed.then(() => this.links.delete(link));
  }
}

/**
 * One proxied connection: the client's socket, the socket we dialled to the
 * target (none when born in a blackhole) and a pipe each way. Closed when
 * every socket it owns has closed.
 */
class Link {
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
