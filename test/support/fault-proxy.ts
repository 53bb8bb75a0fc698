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
 *   forwards exactly n bytes, and sends the RST 20 ms (CUT_GRACE_MS) after the
 *   kernel took the last one, so a reading client gets all n and then
 *   ECONNRESET. (A reset that lands on bytes the client has not read yet
 *   reaches a Node client as a plain early EOF: libuv reports POLLHUP after
 *   a partial read as EOF. Real servers that die give either, too.)
 *
 * Bytes are counted when handed to the receiving socket. Memory per
 * direction is bounded: past 4 MiB queued (QUEUE_HIGH_BYTES) the sender is
 * paused, so with latency L one connection tops out near 4 MiB / L, like a
 * TCP window. Per-connection code is in proxy-link.ts.
 */
import net, { type AddressInfo } from 'node:net';
import { Link, type Counters, type FaultState } from './proxy-link.js';
import { TokenBucket } from './token-bucket.js';

export interface FaultProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Port to listen on (127.0.0.1); 0, the default, picks a free one. */
  listenPort?: number;
}

const LISTEN_HOST = '127.0.0.1';
/** How long to keep retrying a rebind to our own port after refuse is switched off. */
const REBIND_ATTEMPTS = 50;
const REBIND_PAUSE_MS = 50;

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
