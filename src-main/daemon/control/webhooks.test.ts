import { test, describe, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMusicFsError } from '../../../src-shared/errors.js';
import type { Logger } from '../base/logger.js';
import { WebhookDispatcher, signBody, verifySignature, type WebhookConfig, type WebhookEvent, type WebhookObserver } from './webhooks.js';

// Real loopback servers on port 0; every server and dispatcher a test makes is
// released by afterEach, so the file's process exits by itself.

const SECRET = 'correct horse battery staple';
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  atMs: number;
}
/** What the receiver does with its n-th request (0-based). */
type Reply = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hang';

class Receiver {
  readonly requests: Received[] = [];
  /** Requests whose connection closed before we answered (client timeout or abort). */
  abandoned = 0;
  private waiters: { n: number; resolve: () => void }[] = [];

  private constructor(
    private readonly server: http.Server,
    private readonly reply: (n: number) => Reply,
  ) {}

  static async start(reply: (n: number) => Reply = () => ({ status: 200 })): Promise<Receiver> {
    let self: Receiver | undefined;
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => self!.handle(req, res, Buffer.concat(chunks)));
    });
    self = new Receiver(server, reply);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => self!.close());
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  bodies(): unknown[] {
    return this.requests.map((r) => JSON.parse(r.body.toString('utf8')) as unknown);
  }

  waitFor(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.requests.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver got ${this.requests.length} of ${n} requests in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  connections(): Promise<number> {
    return new Promise((resolve, reject) => this.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const n = this.requests.length;
    this.requests.push({ headers: req.headers, body, atMs: Date.now() });
    this.waiters = this.waiters.filter((w) => (this.requests.length >= w.n ? (w.resolve(), false) : true));
    res.on('close', () => {
      if (!res.writableFinished) this.abandoned++;
    });
    const reply = this.reply(n);
    if (reply === 'hang') return;
    const send = (): void => {
      res.writeHead(reply.status, reply.headers);
      res.end('ok');
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) await cleanups.pop()!();
}
afterEach(runCleanups);
after(runCleanups);

/** A loopback port nobody listens on (connections are refused). */
async function closedPortUrl(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}

interface LogLine {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}
function captureLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void =>
      void lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => captureLogger(lines) };
}

function dispatcher(configs: WebhookConfig[], options: ConstructorParameters<typeof WebhookDispatcher>[3] = {}, observer?: WebhookObserver, logger = captureLogger()): WebhookDispatcher {
  const d = new WebhookDispatcher(configs, logger, observer, { retryBaseMs: 20, retryMaxMs: 200, ...options });
  cleanups.push(() => d.dispose(100));
  return d;
}

const hook = (url: string, extra: Partial<WebhookConfig> = {}): WebhookConfig => ({ url, secret: SECRET, events: [], timeoutMs: 2000, ...extra });
const event = (type: string, data: unknown = {}, origin?: string): WebhookEvent => ({ type, timestamp: Date.UTC(2024, 4, 1, 12), data, ...(origin === undefined ? {} : { origin }) });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

describe('WebhookDispatcher: what is sent', () => {
  test('exact JSON body, headers, and a signature the receiver verifies', async () => {
    const rx = await Receiver.start();
    const d = dispatcher([hook(rx.url)]);
    d.publish(event('scan_completed', { added: 3 }, 'nas'));
    d.publish(event('library_changed', { tracks: 1 }));
    await d.idle();

    assert.equal(rx.requests.length, 2);
    const [first, second] = rx.requests;
    assert.equal(first!.body.toString('utf8'), '{"type":"scan_completed","timestamp":"2024-05-01T12:00:00.000Z","origin":"nas","data":{"added":3}}');
    assert.equal(second!.body.toString('utf8'), '{"type":"library_changed","timestamp":"2024-05-01T12:00:00.000Z","data":{"tracks":1}}');

    const h = first!.headers;
    assert.equal(h['content-type'], 'application/json');
    assert.equal(h['user-agent'], 'MusicFS-Webhook/1');
    assert.equal(h['x-musicfs-event'], 'scan_completed');
    assert.match(String(h['x-musicfs-delivery']), UUID_RE);
    assert.notEqual(h['x-musicfs-delivery'], second!.headers['x-musicfs-delivery']);
    const sig = h['x-musicfs-signature'] as string;
    assert.equal(sig, signBody(SECRET, first!.body));
    assert.equal(verifySignature(SECRET, first!.body, sig), true);
    assert.equal(verifySignature('wrong secret', first!.body, sig), false);
    assert.equal(verifySignature(SECRET, second!.body, sig), false);

    assert.deepEqual(d.stats(), [{ url: rx.url, queued: 0, delivered: 2, failed: 0, dropped: 0, lastStatus: 200 }]);
  });

  test('event filter: only the listed types; empty list = all', async () => {
    const some = await Receiver.start();
    const all = await Receiver.start();
    const d = dispatcher([hook(some.url, { events: ['scan_completed', 'origin_health_changed'] }), hook(all.url)]);
    for (const type of ['scan_started', 'scan_completed', 'library_changed', 'origin_health_changed']) d.publish(event(type));
    await d.idle();
    assert.deepEqual(
      some.requests.map((r) => r.headers['x-musicfs-event']),
      ['scan_completed', 'origin_health_changed'],
    );
    assert.equal(all.requests.length, 4);
  });

  test('events arrive in publish order, also across a retry', async () => {
    const rx = await Receiver.start((n) => ({ status: n === 0 ? 500 : 200 }));
    const d = dispatcher([hook(rx.url)]);
    for (let i = 0; i < 20; i++) d.publish(event('library_changed', { i }));
    await d.idle();
    const seen = rx.bodies().map((b) => (b as { data: { i: number } }).data.i);
    assert.deepEqual(seen, [0, ...Array.from({ length: 20 }, (_, i) => i)]);
    assert.equal(d.stats()[0]!.delivered, 20);
  });

  test('an unserialisable event is logged and skipped; publish never throws', async () => {
    const rx = await Receiver.start();
    const logger = captureLogger();
    const d = dispatcher([hook(rx.url)], {}, undefined, logger);
    assert.doesNotThrow(() => d.publish(event('library_changed', { n: 10n })));
    assert.doesNotThrow(() => d.publish({ type: 'library_changed', timestamp: Number.NaN, data: {} }));
    d.publish(event('library_changed', { n: 10 }));
    await d.idle();
    assert.equal(rx.requests.length, 1);
    assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 2);
  });
});

describe('WebhookDispatcher: retries', () => {
  test('retries after 500 with the same delivery id, then succeeds', async () => {
    const rx = await Receiver.start((n) => ({ status: n < 2 ? 500 : 204 }));
    const attempts: string[] = [];
    const observer: WebhookObserver = {
      onFailedAttempt: (_url, attempt, reason) => attempts.push(`fail ${attempt} ${reason}`),
      onDelivered: (_url, attempt) => {
        attempts.push(`ok ${attempt}`);
        throw new Error('a broken metrics hook must not matter');
      },
    };
    const d = dispatcher([hook(rx.url)], {}, observer);
    d.publish(event('scan_completed'));
    await d.idle();
    assert.equal(rx.requests.length, 3);
    const ids = new Set(rx.requests.map((r) => r.headers['x-musicfs-delivery']));
    assert.equal(ids.size, 1);
    assert.deepEqual(attempts, ['fail 1 HTTP 500', 'fail 2 HTTP 500', 'ok 3']);
    assert.deepEqual(d.stats()[0], { url: rx.url, queued: 0, delivered: 1, failed: 0, dropped: 0, lastError: 'HTTP 500', lastStatus: 204 });
  });

  test('4xx is permanent: one request, counted as failed, logged once with the status', async () => {
    const rx = await Receiver.start(() => ({ status: 404 }));
    const logger = captureLogger();
    const gaveUp: string[] = [];
    const d = dispatcher([hook(rx.url)], {}, { onGaveUp: (_url, reason) => gaveUp.push(reason) }, logger);
    d.publish(event('scan_completed'));
    await d.idle();
    assert.equal(rx.requests.length, 1);
    assert.deepEqual(gaveUp, ['HTTP 404']);
    const stats = d.stats()[0]!;
    assert.equal(stats.failed, 1);
    assert.equal(stats.lastStatus, 404);
    const warnings = logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.fields?.['status'], 404);
  });

  test('408 and 429 are retried', async () => {
    const rx = await Receiver.start((n) => ({ status: [408, 429, 200][n] ?? 200 }));
    const d = dispatcher([hook(rx.url)]);
    d.publish(event('scan_completed'));
    await d.idle();
    assert.equal(rx.requests.length, 3);
    assert.equal(d.stats()[0]!.delivered, 1);
  });

  test('gives up after maxAttempts', async () => {
    const rx = await Receiver.start(() => ({ status: 502 }));
    const d = dispatcher([hook(rx.url, { maxAttempts: 3 })]);
    d.publish(event('scan_completed'));
    await d.idle();
    assert.equal(rx.requests.length, 3);
    assert.equal(d.stats()[0]!.failed, 1);
  });

  test('a timeout is a failed attempt, then the retry succeeds', async () => {
    const rx = await Receiver.start((n) => (n === 0 ? 'hang' : { status: 200 }));
    const reasons: string[] = [];
    const d = dispatcher([hook(rx.url, { timeoutMs: 150 })], {}, { onFailedAttempt: (_u, _a, reason) => reasons.push(reason) });
    d.publish(event('scan_completed'));
    await d.idle();
    assert.equal(rx.requests.length, 2);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /timed out after 150 ms/);
    assert.equal(d.stats()[0]!.delivered, 1);
    assert.equal(rx.requests[0]!.headers['x-musicfs-delivery'], rx.requests[1]!.headers['x-musicfs-delivery']);
  });

  test('Retry-After seconds on 503 is honoured instead of the backoff', async () => {
    const rx = await Receiver.start((n) => (n === 0 ? { status: 503, headers: { 'Retry-After': '1' } } : { status: 200 }));
    // The backoff alone would wait 24-30 s: arriving within 10 s proves the header was used.
    const d = dispatcher([hook(rx.url)], { retryBaseMs: 30_000, retryMaxMs: 60_000 });
    d.publish(event('scan_completed'));
    await rx.waitFor(2, 10_000);
    // Timers never fire early, so this lower bound cannot flake.
    assert.ok(rx.requests[1]!.atMs - rx.requests[0]!.atMs >= 900, 'waited about the Retry-After second');
  });

  test('Retry-After on 429 is capped at retryMaxMs', async () => {
    const rx = await Receiver.start((n) => (n === 0 ? { status: 429, headers: { 'Retry-After': '3600' } } : { status: 200 }));
    const d = dispatcher([hook(rx.url)], { retryBaseMs: 50, retryMaxMs: 200 });
    d.publish(event('scan_completed'));
    await rx.waitFor(2, 10_000);
    await d.idle();
    assert.equal(d.stats()[0]!.delivered, 1);
  });
});

describe('WebhookDispatcher: bounded queue', () => {
  test('an endpoint that is down: the oldest are dropped and counted, the queue stays bounded', async () => {
    const url = await closedPortUrl();
    let droppedCalls = 0;
    const d = dispatcher([hook(url, { maxQueue: 5 })], { retryBaseMs: 50 }, { onDropped: () => droppedCalls++ });
    for (let i = 0; i < 50; i++) {
      d.publish(event('library_changed', { i }));
      assert.ok(d.stats()[0]!.queued <= 5);
    }
    const stats = d.stats()[0]!;
    assert.ok(stats.dropped >= 45, `dropped ${stats.dropped}`);
    assert.ok(stats.queued <= 5, `queued ${stats.queued}`);
    assert.equal(droppedCalls, stats.dropped);

    // Much more, and bigger: what is held never grows past maxQueue (+1 being sent).
    const kib = 'x'.repeat(1024);
    for (let i = 0; i < 20_000; i++) d.publish(event('library_changed', { i, kib }));
    await sleep(20);
    const later = d.stats()[0]!;
    assert.ok(later.queued <= 5, `queued ${later.queued}`);
    assert.ok(later.dropped >= 20_045 - 1, `dropped ${later.dropped}`);
    assert.equal(later.delivered, 0);
  });

  test('the drop warning is logged at most once a minute, with the count', async () => {
    const url = await closedPortUrl();
    const logger = captureLogger();
    let nowMs = 1_000_000;
    const d = dispatcher([hook(url, { maxQueue: 2 })], { retryBaseMs: 60_000, retryMaxMs: 60_000, now: () => nowMs }, undefined, logger);
    const dropWarnings = (): LogLine[] => logger.lines.filter((l) => l.level === 'warn' && /queue full/.test(l.message));
    for (let i = 0; i < 10; i++) d.publish(event('library_changed', { i }));
    assert.equal(dropWarnings().length, 1);
    nowMs += 30_000;
    for (let i = 0; i < 10; i++) d.publish(event('library_changed', { i }));
    assert.equal(dropWarnings().length, 1, 'no second warning within the minute');
    nowMs += 31_000;
    d.publish(event('library_changed'));
    const warnings = dropWarnings();
    assert.equal(warnings.length, 2);
    const total = d.stats()[0]!.dropped;
    assert.equal(warnings[1]!.fields?.['droppedTotal'], total);
    assert.equal(warnings[1]!.fields?.['dropped'], total - 1, 'counts every drop since the first warning');
  });

  test('two webhooks are independent: one down, the other gets everything in order', async () => {
    const down = await closedPortUrl();
    const up = await Receiver.start();
    const d = dispatcher([hook(down, { maxQueue: 3 }), hook(up.url)], { retryBaseMs: 200, retryMaxMs: 1000 });
    for (let i = 0; i < 30; i++) d.publish(event('library_changed', { i }));
    await up.waitFor(30, 10_000);
    assert.deepEqual(
      up.bodies().map((b) => (b as { data: { i: number } }).data.i),
      Array.from({ length: 30 }, (_, i) => i),
    );
    await until('the last response is read', () => d.stats()[1]!.delivered === 30);
    const [downStats, upStats] = d.stats();
    assert.equal(downStats!.delivered, 0);
    assert.ok(downStats!.dropped >= 27);
    assert.match(downStats!.lastError ?? '', /ECONNREFUSED/);
    assert.equal(upStats!.delivered, 30);
  });
});

describe('WebhookDispatcher: dispose', () => {
  test('stops retries, ignores later publishes and leaves no sockets behind', async () => {
    // Earlier tests' sockets may still be closing.
    await until('no sockets are open', () => Object.keys(countResources()).length === 0);
    const rx = await Receiver.start(() => ({ status: 500 }));
    const d = new WebhookDispatcher([hook(rx.url)], captureLogger(), {}, { retryBaseMs: 100, retryMaxMs: 100 });
    d.publish(event('scan_completed'));
    await rx.waitFor(1);
    const started = Date.now();
    await Promise.all([d.dispose(), d.dispose()]);
    assert.ok(Date.now() - started < 1500, 'a pending retry is cancelled, not waited for');
    const seen = rx.requests.length;
    await sleep(400);
    assert.equal(rx.requests.length, seen, 'no retry after dispose');
    d.publish(event('scan_completed'));
    await d.idle();
    await d.dispose();
    assert.equal(rx.requests.length, seen, 'publish after dispose is a no-op');
    assert.equal(d.stats()[0]!.queued, 0);

    // The dispatcher closed its kept-alive connection itself (the server would keep it 5 s).
    let open = await rx.connections();
    for (const deadline = Date.now() + 2000; open > 0 && Date.now() < deadline; open = await rx.connections()) await sleep(10);
    assert.equal(open, 0, 'dispatcher closed its connection');
    await rx.close();
    await until('no sockets are open', () => Object.keys(countResources()).length === 0, 2000);
  });

  test('waits for an in-flight delivery within the grace period', async () => {
    const rx = await Receiver.start(() => ({ status: 200, delayMs: 150 }));
    const d = dispatcher([hook(rx.url)]);
    d.publish(event('scan_completed'));
    await rx.waitFor(1);
    await d.dispose(5000);
    assert.equal(d.stats()[0]!.delivered, 1);
  });

  test('aborts an in-flight delivery after the grace period', async () => {
    const rx = await Receiver.start(() => 'hang');
    const d = dispatcher([hook(rx.url, { timeoutMs: 60_000 })]);
    d.publish(event('scan_completed'));
    d.publish(event('scan_completed'));
    await rx.waitFor(1);
    const started = Date.now();
    await d.dispose(100);
    assert.ok(Date.now() - started < 5000);
    await sleep(50);
    assert.equal(rx.abandoned, 1, 'the receiver saw the request aborted');
    assert.deepEqual(d.stats()[0], { url: rx.url, queued: 0, delivered: 0, failed: 0, dropped: 0 });
  });
});

describe('WebhookDispatcher: config and secrets', () => {
  test('a bad URL is CONFIG_INVALID naming the entry, without echoing it', () => {
    const logger = captureLogger();
    for (const [url, pattern] of [
      ['ftp://example.org/hook', /^webhook\[1\]\.url: must be an http:\/\/ or https:\/\/ URL, got ftp:\/\/$/],
      ['not a url?token=s3cret', /^webhook\[1\]\.url: not a valid URL$/],
    ] as const) {
      assert.throws(
        () => new WebhookDispatcher([hook('http://127.0.0.1:9/ok'), hook(url)], logger),
        (err: unknown) => isMusicFsError(err) && err.code === 'CONFIG_INVALID' && pattern.test(err.message),
      );
    }
    assert.throws(() => new WebhookDispatcher([hook('https://example.org/', { secret: '' })], logger), /webhook\[0\]\.secret/);
    assert.throws(() => new WebhookDispatcher([hook('https://example.org/', { maxQueue: 0 })], logger), /webhook\[0\]\.maxQueue/);
    assert.throws(() => new WebhookDispatcher([hook('https://example.org/', { timeoutMs: 0 })], logger), /webhook\[0\]\.timeoutMs/);
  });

  test('logs and stats never show the secret, userinfo or query string', async () => {
    const rx = await Receiver.start(() => ({ status: 403 }));
    const secret = 'sup3r-s3cret-key';
    const url = rx.url.replace('http://', 'http://alice:hunter2pass@') + '?token=tok3nvalue';
    const logger = captureLogger();
    const d = dispatcher([{ url, secret, events: [], timeoutMs: 2000 }], {}, undefined, logger);
    d.publish(event('scan_completed'));
    await d.idle();
    await d.dispose();
    // The userinfo still authenticates the request.
    assert.equal(rx.requests[0]!.headers.authorization, `Basic ${Buffer.from('alice:hunter2pass').toString('base64')}`);
    assert.equal(verifySignature(secret, rx.requests[0]!.body, rx.requests[0]!.headers['x-musicfs-signature'] as string), true);
    const text = JSON.stringify(logger.lines) + JSON.stringify(d.stats());
    assert.ok(logger.lines.length > 0);
    for (const leak of [secret, 'hunter2pass', 'alice', 'tok3nvalue']) assert.ok(!text.includes(leak), `leaked ${leak}: ${text}`);
    assert.equal(d.stats()[0]!.url, rx.url);
  });
});

/** Sockets and servers of this process (timers excluded: ours are unref()ed). */
function countResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) {
    if (name === 'TCPSocketWrap' || name === 'TCPServerWrap') counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
