import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { isMusicFsError } from '../../../src-shared/errors.js';
import { silentLogger } from '../base/logger.js';
import { Metrics } from './metrics.js';
import { MetricsServer, parseListen, type MetricsServerOptions } from './metrics-server.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  socket: Socket;
}

function fetchText(url: string, options: { method?: string; agent?: Agent } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          socket: req.socket as Socket,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function base(server: MetricsServer): string {
  return server.url.replace(/\/metrics$/, '');
}

async function withServer(
  options: Partial<MetricsServerOptions>,
  fn: (server: MetricsServer) => Promise<void>,
): Promise<void> {
  const server = await MetricsServer.start(
    {
      listen: '127.0.0.1:0',
      metrics: new Metrics({ collectDefaultMetrics: false }),
      readiness: () => ({ ready: true }),
      ...options,
    },
    silentLogger,
  );
  try {
    await fn(server);
  } finally {
    await server.dispose();
  }
}

describe('parseListen', () => {
  test('host:port', () => {
    assert.deepEqual(parseListen('127.0.0.1:9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseListen('0.0.0.0:80'), { host: '0.0.0.0', port: 80 });
    assert.deepEqual(parseListen('localhost:9464'), { host: 'localhost', port: 9464 });
    assert.deepEqual(parseListen('metrics.lan:0'), { host: 'metrics.lan', port: 0 });
    assert.deepEqual(parseListen(' 127.0.0.1:65535 '), { host: '127.0.0.1', port: 65535 });
  });

  test('[ipv6]:port', () => {
    assert.deepEqual(parseListen('[::1]:9464'), { host: '::1', port: 9464 });
    assert.deepEqual(parseListen('[::]:9464'), { host: '::', port: 9464 });
    assert.deepEqual(parseListen('[fe80::1]:1'), { host: 'fe80::1', port: 1 });
  });

  test(':port means loopback', () => {
    assert.deepEqual(parseListen(':9464'), { host: '127.0.0.1', port: 9464 });
  });

  test('anything else is CONFIG_INVALID with one sentence', () => {
    for (const bad of [
      '',
      '9464',
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:http',
      '127.0.0.1:65536',
      '127.0.0.1:-1',
      '127.0.0.1:94 64',
      '::1:9464',
      '[::1]9464',
      '[::1]',
      '[::1:9464',
      '[nothost]:9464',
      '[]:9464',
      'bad host:9464',
      'http://127.0.0.1:9464',
      '-lead:9464',
    ]) {
      assert.throws(
        () => parseListen(bad),
        (err: unknown) => {
          assert.ok(isMusicFsError(err), `${bad}: ${String(err)}`);
          assert.equal(err.code, 'CONFIG_INVALID');
          assert.ok(err.message.startsWith(`metrics.listen "${bad}": `), err.message);
          assert.ok(!err.message.includes('\n'));
          return true;
        },
        bad,
      );
    }
  });
});

describe('MetricsServer', () => {
  test('url names the real port when 0 was asked', async () => {
    await withServer({}, async (server) => {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.notEqual(server.url, 'http://127.0.0.1:0/metrics');
    });
  });

  test('GET /metrics serves the registry in the Prometheus text format', async () => {
    const metrics = new Metrics({ collectDefaultMetrics: false });
    metrics.setTracks(42);
    metrics.observeFuseOp('read', 0.001, 0);
    await withServer({ metrics }, async (server) => {
      const r = await fetchText(server.url);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], metrics.contentType);
      assert.match(r.body, /^musicfs_tracks 42$/m);
      assert.match(r.body, /^musicfs_fuse_ops_total\{op="read",result="ok"\} 1$/m);
      assert.equal(r.body, await metrics.render());
      // A query string does not change the path.
      assert.equal((await fetchText(server.url + '?x=1')).status, 200);
    });
  });

  test('HEAD answers like GET without a body', async () => {
    await withServer({}, async (server) => {
      const r = await fetchText(server.url, { method: 'HEAD' });
      assert.equal(r.status, 200);
      assert.equal(r.body, '');
      const h = await fetchText(base(server) + '/healthz', { method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.body, '');
    });
  });

  test('GET /healthz is 200 ok', async () => {
    await withServer({ readiness: () => ({ ready: false, reason: 'starting' }) }, async (server) => {
      const r = await fetchText(base(server) + '/healthz');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok\n');
      assert.match(String(r.headers['content-type']), /^text\/plain/);
    });
  });

  test('GET /readyz follows readiness(): 200, or 503 with a one-line reason', async () => {
    let state: { ready: boolean; reason?: string } = { ready: false, reason: 'not mounted yet' };
    await withServer({ readiness: () => state }, async (server) => {
      let r = await fetchText(base(server) + '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'not mounted yet\n');

      state = { ready: false, reason: 'mount failed:\n  /mnt/music is busy' };
      r = await fetchText(base(server) + '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'mount failed: /mnt/music is busy\n');

      state = { ready: false };
      r = await fetchText(base(server) + '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'not ready\n');

      state = { ready: true };
      r = await fetchText(base(server) + '/readyz');
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ready\n');
    });
  });

  test('a readiness() that throws is 503 with its message', async () => {
    const readiness = (): { ready: boolean } => {
      throw new Error('boom');
    };
    await withServer({ readiness }, async (server) => {
      const r = await fetchText(base(server) + '/readyz');
      assert.equal(r.status, 503);
      assert.equal(r.body, 'boom\n');
    });
  });

  test('other paths are 404, other methods 405', async () => {
    await withServer({}, async (server) => {
      for (const path of ['/', '/metricsx', '/metrics/', '/favicon.ico']) {
        const r = await fetchText(base(server) + path);
        assert.equal(r.status, 404, path);
        assert.equal(r.body, 'not found\n');
      }
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
        const r = await fetchText(server.url, { method });
        assert.equal(r.status, 405, method);
        assert.equal(r.headers['allow'], 'GET, HEAD');
      }
    });
  });

  test('a render that throws is 500 with one line and no stack', async () => {
    class Broken extends Metrics {
      override render(): Promise<string> {
        return Promise.reject(new Error('collector exploded\n    at somewhere (file.js:1:1)'));
      }
    }
    await withServer({ metrics: new Broken({ collectDefaultMetrics: false }) }, async (server) => {
      const r = await fetchText(server.url);
      assert.equal(r.status, 500);
      assert.equal(r.body, 'metrics render failed: collector exploded at somewhere (file.js:1:1)\n');
      assert.equal(r.body.split('\n').length, 2);
    });
  });

  test('an address in use is a clear CONFIG_INVALID error', async () => {
    await withServer({}, async (first) => {
      const port = Number(new URL(first.url).port);
      await assert.rejects(
        MetricsServer.start(
          { listen: `127.0.0.1:${port}`, metrics: new Metrics({ collectDefaultMetrics: false }), readiness: () => ({ ready: true }) },
          silentLogger,
        ),
        (err: unknown) => {
          assert.ok(isMusicFsError(err));
          assert.equal(err.code, 'CONFIG_INVALID');
          assert.equal(err.message, `metrics.listen 127.0.0.1:${port}: address already in use`);
          return true;
        },
      );
    });
  });

  test('an unparsable listen value rejects with CONFIG_INVALID', async () => {
    await assert.rejects(
      MetricsServer.start(
        { listen: 'nonsense', metrics: new Metrics({ collectDefaultMetrics: false }), readiness: () => ({ ready: true }) },
        silentLogger,
      ),
      (err: unknown) => isMusicFsError(err) && err.code === 'CONFIG_INVALID',
    );
  });

  test(':0 listens on 127.0.0.1', async () => {
    await withServer({ listen: ':0' }, async (server) => {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.equal((await fetchText(base(server) + '/healthz')).status, 200);
    });
  });

  test('[::1]:0 listens on IPv6 loopback', async (t) => {
    let server: MetricsServer;
    try {
      server = await MetricsServer.start(
        { listen: '[::1]:0', metrics: new Metrics({ collectDefaultMetrics: false }), readiness: () => ({ ready: true }) },
        silentLogger,
      );
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${String(err)}`);
      return;
    }
    try {
      assert.match(server.url, /^http:\/\/\[::1\]:\d+\/metrics$/);
      assert.equal((await fetchText(base(server) + '/healthz')).status, 200);
    } finally {
      await server.dispose();
    }
  });

  test('dispose closes keep-alive and idle connections and is idempotent', async () => {
    const server = await MetricsServer.start(
      { listen: '127.0.0.1:0', metrics: new Metrics({ collectDefaultMetrics: false }), readiness: () => ({ ready: true }) },
      silentLogger,
    );
    const { port } = new URL(server.url);
    // Raw sockets keep the event loop alive (an http.Agent unrefs its idle
    // ones), so if dispose() left them open this test would never end.
    const keepAlive = connect(Number(port), '127.0.0.1');
    const silent = connect(Number(port), '127.0.0.1');
    await Promise.all([once(keepAlive, 'connect'), once(silent, 'connect')]);
    let received = '';
    keepAlive.setEncoding('utf8');
    keepAlive.on('data', (chunk: string) => (received += chunk));
    keepAlive.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    while (!received.endsWith('ok\n')) await once(keepAlive, 'data');
    assert.match(received, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(received, /\r\nConnection: keep-alive\r\n/i);
    assert.equal(keepAlive.destroyed, false);

    const closed = Promise.all([once(keepAlive, 'close'), once(silent, 'close')]);
    await Promise.all([server.dispose(), server.dispose()]);
    await server.dispose();
    await closed;
    await assert.rejects(fetchText(base(server) + '/healthz'), /ECONNREFUSED/);
  });

  test('connections through a keep-alive agent are reused, then closed by dispose', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const server = await MetricsServer.start(
      { listen: '127.0.0.1:0', metrics: new Metrics({ collectDefaultMetrics: false }), readiness: () => ({ ready: true }) },
      silentLogger,
    );
    const first = await fetchText(server.url, { agent });
    const second = await fetchText(base(server) + '/healthz', { agent });
    assert.equal(second.socket, first.socket, 'the connection was kept alive and reused');
    const closed = once(first.socket, 'close');
    // The agent unrefs its idle socket; hold the loop open until the server's FIN arrives.
    const hold = setTimeout(() => undefined, 10_000);
    try {
      await server.dispose();
      await closed;
    } finally {
      clearTimeout(hold);
      agent.destroy();
    }
  });
});
