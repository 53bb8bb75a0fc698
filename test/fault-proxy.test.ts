/**
 * The fault-injecting proxy against tiny loopback servers: an echo server
 * (sends back what it gets) and a bulk server (sends a fixed random payload
 * and ends). Timing checks are lower bounds only, or upper bounds many times
 * the expected value: test machines are noisy.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { FaultProxy } from './support/fault-proxy.js';
import { sleep, waitUntil } from './support/sandbox.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const MB = 1024 * 1024;

/** A loopback server that remembers its sockets, so a test can see what reached it. */
class TestServer {
  readonly sockets = new Set<net.Socket>();
  readonly errors: string[] = [];
  accepted = 0;
  private readonly server: net.Server;

  constructor(onConnection: (socket: net.Socket) => void) {
    this.server = net.createServer((socket) => {
      this.accepted++;
      this.sockets.add(socket);
      socket.on('error', (err: NodeJS.ErrnoException) => this.errors.push(err.code ?? err.message));
      socket.on('close', () => this.sockets.delete(socket));
      onConnection(socket);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

interface Received {
  data: Buffer;
  error: string | undefined;
  ms: number;
}

/** Connects, sends `payload` (then half-closes when `end`), collects everything until the socket closes. */
function exchange(port: number, payload: Buffer | undefined, end = true): Promise<Received> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), error, ms: performance.now() - started }));
    if (payload) socket.write(payload);
    if (end) socket.end();
  });
}

/** A connected client socket with its received bytes and error so far. */
async function connectClient(port: number): Promise<{ socket: net.Socket; received: () => Buffer; error: () => string | undefined; closed: Promise<void> }> {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let error: string | undefined;
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => Buffer.concat(chunks), error: () => error, closed };
}

/** Resolves 'timeout' if `p` has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  clearTimeout(timer);
  return result;
}

function activeSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap').length;
}

describe('fault proxy', () => {
  const bulkPayload = randomBytes(4 * MB);
  const echo = new TestServer((s) => s.pipe(s));
  const bulk = new TestServer((s) => {
    s.on('data', () => undefined);
    s.end(bulkPayload);
  });
  let echoPort: number;
  let bulkPort: number;
  const proxies: FaultProxy[] = [];

  async function proxyTo(port: number, listenPort?: number): Promise<FaultProxy> {
    const proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: port, listenPort });
    proxies.push(proxy);
    return proxy;
  }

  before(async () => {
    echoPort = await echo.listen();
    bulkPort = await bulk.listen();
  });

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((p) => p.close()));
  });

  after(async () => {
    await echo.close();
    await bulk.close();
  });

  it('forwards a few MB both ways, byte for byte, and counts them', async () => {
    const proxy = await proxyTo(echoPort);
    const payload = randomBytes(3 * MB);
    const got = await exchange(proxy.port, payload);
    assert.equal(got.error, undefined);
    assert.equal(got.data.length, payload.length);
    assert.equal(sha(got.data), sha(payload));
    assert.equal(proxy.bytesUp, payload.length);
    assert.equal(proxy.bytesDown, payload.length);
    assert.equal(proxy.connectionsAccepted, 1);

    const down = await proxyTo(bulkPort);
    const bulkGot = await exchange(down.port, undefined);
    assert.equal(sha(bulkGot.data), sha(bulkPayload));
    assert.equal(down.bytesDown, bulkPayload.length);
    assert.equal(down.bytesUp, 0);
  });

  it('adds latency each way and keeps chunk order when it changes mid-stream', async () => {
    const proxy = await proxyTo(echoPort);
    proxy.setLatency(150);
    const rtt = await exchange(proxy.port, Buffer.from('ping'));
    assert.equal(rtt.data.toString(), 'ping');
    assert.ok(rtt.ms >= 290, `round trip ${rtt.ms.toFixed(0)} ms should include 2 × 150 ms`);

    // Many small writes; the delay drops to 0 halfway: later chunks must not overtake earlier ones.
    proxy.setLatency(80);
    const client = await connectClient(proxy.port);
    const parts = Array.from({ length: 200 }, (_, i) => Buffer.from(`<${i}>`));
    for (const [i, part] of parts.entries()) {
      client.socket.write(part);
      if (i === 100) proxy.setLatency(0);
      if (i % 20 === 0) await sleep(2);
    }
    const expected = Buffer.concat(parts);
    await waitUntil(() => client.received().length >= expected.length, 10_000, 'all echoed parts');
    assert.equal(client.received().toString(), expected.toString());
    client.socket.destroy();
  });

  it('caps downstream bandwidth for all connections together, and lifting the cap applies to live ones', async () => {
    const proxy = await proxyTo(bulkPort);
    proxy.setBandwidth(4 * MB);
    // Two 4 MB downloads share 4 MB/s: about 2 s. Only a generous lower bound is asserted.
    const [a, b] = await Promise.all([exchange(proxy.port, undefined), exchange(proxy.port, undefined)]);
    assert.equal(sha(a.data), sha(bulkPayload));
    assert.equal(sha(b.data), sha(bulkPayload));
    const slowest = Math.max(a.ms, b.ms);
    assert.ok(slowest >= 1500, `8 MB at 4 MB/s took only ${slowest.toFixed(0)} ms`);

    // 4 MB at 64 KB/s would take a minute; lifting the cap mid-download must end it much sooner.
    proxy.setBandwidth(64 * 1024);
    const slow = exchange(proxy.port, undefined);
    await sleep(300);
    proxy.setBandwidth(undefined);
    const done = await within(slow, 20_000);
    assert.notEqual(done, 'timeout', 'the download kept its old cap');
    assert.equal(sha((done as Received).data), sha(bulkPayload));
  });

  it('resets every live connection on both sides (ECONNRESET)', async () => {
    const proxy = await proxyTo(echoPort);
    const client = await connectClient(proxy.port);
    client.socket.write('hello');
    await waitUntil(() => client.received().length === 5, 5000, 'the echo');
    const serverErrorsBefore = echo.errors.length;
    assert.equal(proxy.liveConnections, 1);
    proxy.resetConnections();
    await client.closed;
    assert.equal(client.error(), 'ECONNRESET');
    await waitUntil(() => echo.errors.length > serverErrorsBefore, 5000, 'the server to see the reset');
    assert.equal(echo.errors.at(-1), 'ECONNRESET');
    await waitUntil(() => proxy.liveConnections === 0, 5000, 'no live connections');
  });

  it('blackhole: connections are accepted but never answered; live ones die; off serves new ones', async () => {
    const proxy = await proxyTo(echoPort);
    const before = await connectClient(proxy.port);
    before.socket.write('one');
    await waitUntil(() => before.received().length === 3, 5000, 'the first echo');

    proxy.setBlackhole(true);
    const acceptedByServer = echo.accepted;
    const fresh = await connectClient(proxy.port); // the connect itself succeeds
    fresh.socket.write('anyone there?');
    before.socket.write('two');
    await sleep(500);
    assert.equal(fresh.received().length, 0, 'a blackholed connection got an answer');
    assert.equal(before.received().toString(), 'one', 'a connection live at the switch still got an answer');
    assert.equal(echo.accepted, acceptedByServer, 'the proxy dialled the target during the blackhole');
    assert.equal(fresh.error(), undefined);
    assert.equal(proxy.liveConnections, 2);

    proxy.setBlackhole(false);
    const after = await exchange(proxy.port, Buffer.from('back'));
    assert.equal(after.data.toString(), 'back');
    before.socket.write('three');
    await sleep(200);
    assert.equal(before.received().toString(), 'one', 'a blackholed connection came back to life');
    fresh.socket.destroy();
    before.socket.destroy();
  });

  it('refuse: connects get ECONNREFUSED, then the same port works again', async () => {
    const proxy = await proxyTo(echoPort);
    const port = proxy.port;
    const live = await connectClient(port);
    await proxy.setRefuse(true);
    const refused = await exchange(port, Buffer.from('x'));
    assert.equal(refused.error, 'ECONNREFUSED');
    live.socket.write('still here');
    await waitUntil(() => live.received().toString() === 'still here', 5000, 'a live connection to keep working');
    await proxy.setRefuse(false);
    assert.equal(proxy.port, port);
    const back = await exchange(port, Buffer.from('y'));
    assert.equal(back.data.toString(), 'y');
    live.socket.destroy();
  });

  it('cutAfterBytes resets a connection after exactly n bytes downstream', async () => {
    const proxy = await proxyTo(bulkPort);
    const n = 100_000;
    proxy.cutAfterBytes(n);
    const cut = await exchange(proxy.port, undefined);
    // ECONNRESET as a rule; a stalled event loop can turn the reset into an early EOF (see fault-proxy.ts).
    assert.ok(cut.error === 'ECONNRESET' || cut.error === undefined, `unexpected error ${cut.error}`);
    assert.equal(cut.data.length, n, 'the client did not get exactly the bytes before the cut');
    assert.ok(cut.data.equals(bulkPayload.subarray(0, n)), 'the bytes before the cut are wrong');
    assert.equal(proxy.bytesDown, n);

    proxy.cutAfterBytes(undefined);
    const whole = await exchange(proxy.port, undefined);
    assert.equal(whole.error, undefined);
    assert.equal(sha(whole.data), sha(bulkPayload));
  });

  it('counts connections and bytes, and resetCounters zeroes them', async () => {
    const proxy = await proxyTo(echoPort);
    await exchange(proxy.port, Buffer.alloc(1000, 1));
    await exchange(proxy.port, Buffer.alloc(500, 2));
    assert.equal(proxy.connectionsAccepted, 2);
    assert.equal(proxy.bytesUp, 1500);
    assert.equal(proxy.bytesDown, 1500);
    const client = await connectClient(proxy.port);
    await waitUntil(() => proxy.liveConnections === 1, 5000, 'one live connection');
    proxy.resetCounters();
    assert.deepEqual([proxy.connectionsAccepted, proxy.bytesUp, proxy.bytesDown, proxy.liveConnections], [0, 0, 0, 1]);
    client.socket.destroy();
    await waitUntil(() => proxy.liveConnections === 0, 5000, 'no live connections');
  });

  it('close() leaves no socket open, even mid-transfer and blackholed, and is safe twice', async () => {
    // Sockets of earlier tests close asynchronously: count once they have.
    await waitUntil(() => echo.sockets.size === 0 && bulk.sockets.size === 0, 5000, 'earlier server sockets to close');
    await sleep(50);
    const baseline = activeSockets();
    const proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: echoPort });
    const port = proxy.port;
    proxy.setLatency(50);
    const streaming = await connectClient(port);
    streaming.socket.write(randomBytes(MB));
    proxy.setBandwidth(10_000);
    proxy.setBlackhole(true);
    const dead = await connectClient(port);
    await waitUntil(() => proxy.liveConnections === 2, 5000, 'two live connections');

    await Promise.all([proxy.close(), proxy.close()]);
    await proxy.close();
    assert.equal(proxy.liveConnections, 0);
    await streaming.closed;
    await dead.closed;
    await waitUntil(() => echo.sockets.size === 0, 5000, 'the server side of the proxied connection to close');
    await waitUntil(() => activeSockets() === baseline, 5000, `sockets back to ${baseline} (now ${activeSockets()})`);
    const afterClose = await exchange(port, Buffer.from('z'));
    assert.equal(afterClose.error, 'ECONNREFUSED');

    // The port can be taken again at once.
    const again = await proxyTo(echoPort, port);
    assert.equal(again.port, port);
    assert.equal((await exchange(port, Buffer.from('again'))).data.toString(), 'again');
  });
});
