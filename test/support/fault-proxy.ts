/**
 * A TCP proxy in front of a real server, for network faults the server
 * itself cannot make: answers that stall, connections that drop mid-answer.
 * Bytes pass unchanged until a fault is set; `stop()` closes every socket.
 */
import { connect, createServer, type Socket } from 'node:net';

export type Fault = 'stall' | 'reset';

export interface FaultProxy {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  /** Connections open now (client side). */
  readonly connections: number;
  /**
   * From now on, once a connection has passed `afterBytes` more bytes to its
   * client, stall it (stop forwarding) or reset it (TCP RST). Applies to open
   * and new connections.
   */
  fault(kind: Fault, afterBytes?: number): void;
  /** Back to passing everything; stalled connections resume. */
  clear(): void;
  stop(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Bytes passed to the client since the fault was set. */
  passed: number;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let fault: { kind: Fault; afterBytes: number } | undefined;

  const server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    const pair: Pair = { client, upstream, passed: 0 };
    pairs.add(pair);
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (data: Buffer) => forward(pair, data));
    client.on('drain', () => {
      if (fault?.kind !== 'stall') upstream.resume();
    });
  });

  const forward = (pair: Pair, data: Buffer): void => {
    let chunk = data;
    if (fault !== undefined) {
      const room = fault.afterBytes - pair.passed;
      if (room <= 0 || chunk.length > room) {
        if (room > 0) pair.client.write(chunk.subarray(0, room));
        pair.passed += Math.max(0, room);
        if (fault.kind === 'reset') {
          pair.client.resetAndDestroy();
          pair.upstream.destroy();
        } else {
          // Keep what was not sent: it goes out when the fault is cleared.
          pair.upstream.pause();
          pair.upstream.unshift(chunk.subarray(Math.max(0, room)));
        }
        return;
      }
      pair.passed += chunk.length;
    }
    if (!pair.client.write(chunk)) pair.upstream.pause();
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    get connections() {
      return pairs.size;
    },
    fault: (kind, afterBytes = 0) => {
      fault = { kind, afterBytes };
      for (const p of pairs) p.passed = 0;
    },
    clear: () => {
      fault = undefined;
      for (const p of pairs) p.upstream.resume();
    },
    stop: async () => {
      for (const p of pairs) {
        p.client.destroy();
        p.upstream.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
