/**
 * A TCP proxy on 127.0.0.1 that counts the bytes passing each way: put
 * between a client and a server, it measures what the client fetched at the
 * network, whatever the client itself reports. Bytes pass unchanged, so
 * signed HTTP requests (the Host header names the proxy's port, as the client
 * signed it) and SSH sessions work through it.
 *
 * It runs in the benchmark's own event loop: fine for a scan's small reads,
 * not meant for throughput measurements (the cold reads go to the servers
 * directly).
 */
import { connect, createServer, type Socket } from 'node:net';

export interface ByteCounts {
  /** Server → client: what the client fetched (headers or SSH framing included). */
  down: number;
  /** Client → server: requests. */
  up: number;
  /** TCP connections accepted. */
  connections: number;
}

export interface ByteProxy {
  readonly port: number;
  /** Counts since start (or the last `reset`). */
  counts(): ByteCounts;
  reset(): void;
  stop(): Promise<void>;
}

export async function startByteProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<ByteProxy> {
  const sockets = new Set<Socket>();
  let counts: ByteCounts = { down: 0, up: 0, connections: 0 };
  const server = createServer((client) => {
    counts.connections++;
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (d: Buffer) => (counts.up += d.length));
    upstream.on('data', (d: Buffer) => (counts.down += d.length));
    // pipe() keeps back-pressure both ways; the 'data' listeners above only count.
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('byte proxy: no port');
  let stopped = false;
  return {
    port: address.port,
    counts: () => ({ ...counts }),
    reset: () => {
      counts = { down: 0, up: 0, connections: 0 };
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
