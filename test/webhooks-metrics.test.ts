/**
 * Webhooks to a real receiver on loopback (signature checked on the raw
 * body), a receiver that is down (bounded queue, drops counted), and the
 * Prometheus endpoint scraped over HTTP.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { verifySignature } from '../src-main/daemon/control/webhook-signature.js';
import { ApiClient } from './support/api-client.js';
import { makeFlac } from './support/audio.js';
import { Sandbox, waitUntil, type DaemonProcess } from './support/sandbox.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'sesame';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

describe('webhooks and metrics', () => {
  let sandbox: Sandbox;
  let daemon: DaemonProcess;
  let api: ApiClient;
  let receiver: Server;
  const received: Received[] = [];
  let metricsUrl: string;
  let mnt: string;

  before(async () => {
    sandbox = await Sandbox.create();
    await makeFlac(sandbox.path('music', 'a.flac'), { artist: 'Hook', album: 'Signed', title: 'One', track: 1 }, 300);
    await makeFlac(sandbox.path('music', 'b.flac'), { artist: 'Hook', album: 'Signed', title: 'Two', track: 2 }, 330);
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    const port = await listen(receiver);
    const downPort = await freePort(); // nobody listens there
    const configDir = await sandbox.mkdir('state', 'config', 'musicfs');
    await writeFile(
      `${configDir}/config.toml`,
      [
        '[metrics]',
        'listen = "127.0.0.1:0"',
        '',
        '[[webhook]]',
        `url = "http://127.0.0.1:${port}/hook"`,
        `secret = "${SECRET}"`,
        'events = ["scan_completed", "track_opened"]',
        '',
        '[[webhook]]',
        `url = "http://127.0.0.1:${downPort}/down"`,
        'secret = "x"',
        'max_queue = 2',
        '',
      ].join('\n'),
    );
    mnt = await sandbox.mkdir('mnt');
    daemon = sandbox.startMount(mnt, [sandbox.path('music')]);
    await daemon.ready();
    await daemon.scansComplete(1);
    api = await ApiClient.connect(sandbox.path('state', 'run', 'musicfs', 'control.sock'));
    metricsUrl = (await api.call('GetStatus', {})).metricsUrl;
  });

  after(async () => {
    api?.close();
    if (daemon && !daemon.hasExited) assert.equal((await daemon.stop()).code, 0);
    await new Promise((r) => receiver.close(r));
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('POSTs signed JSON for the chosen events only', async () => {
    await readFile(`${mnt}/Hook/Signed/01 - One.flac`);
    await waitUntil(() => received.some((r) => r.headers['x-musicfs-event'] === 'track_opened'), 15_000, 'the track_opened webhook');
    await waitUntil(() => received.some((r) => r.headers['x-musicfs-event'] === 'scan_completed'), 15_000, 'the scan_completed webhook');
    for (const r of received) {
      assert.ok(verifySignature(SECRET, r.body, r.headers['x-musicfs-signature'] as string), 'signature verifies');
      assert.equal(verifySignature('wrong', r.body, r.headers['x-musicfs-signature'] as string), false);
      assert.equal(r.headers['content-type'], 'application/json');
      const body = JSON.parse(r.body) as { type: string; timestamp: string; data: Record<string, unknown> };
      assert.ok(['scan_completed', 'track_opened'].includes(body.type), `unexpected ${body.type}`);
      assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
    }
    const opened = received.map((r) => JSON.parse(r.body) as { type: string; origin?: string; data: { path?: string } }).find((b) => b.type === 'track_opened')!;
    assert.equal(opened.origin, 'music');
    assert.equal(opened.data.path, '/Hook/Signed/01 - One.flac');
  });

  it('serves Prometheus metrics, /healthz and /readyz', async () => {
    assert.match(metricsUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    await readFile(`${mnt}/Hook/Signed/02 - Two.flac`);
    const text = await (await fetch(metricsUrl)).text();
    assert.match(text, /^musicfs_fuse_ops_total\{op="read",result="ok"\} [1-9]/m);
    assert.match(text, /^musicfs_fuse_latency_seconds_bucket\{le="[^"]+",op="read"\} \d+/m);
    assert.match(text, /^musicfs_tracks 2$/m);
    assert.match(text, /^musicfs_mounted 1$/m);
    assert.match(text, /^musicfs_origin_health\{origin="music"\} 1$/m);
    assert.match(text, /^musicfs_scans_total\{origin="music",kind="full"\} 1$/m);
    assert.match(text, /^musicfs_rpc_total\{method="GetStatus",code="OK"\} [1-9]/m);
    const base = metricsUrl.replace(/\/metrics$/, '');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });

  it('a receiver that is down keeps a bounded queue and counts the drops', async () => {
    // Each scan_completed / track_opened / library_changed... goes to the down webhook too.
    for (let i = 0; i < 5; i++) await readFile(`${mnt}/Hook/Signed/01 - One.flac`);
    await waitUntil(
      async () => /^musicfs_webhook_deliveries_total\{webhook="http:\/\/127\.0\.0\.1:\d+\/down",result="dropped"\} [1-9]/m.test(await (await fetch(metricsUrl)).text()),
      15_000,
      'dropped deliveries to be counted',
    );
    const text = await (await fetch(metricsUrl)).text();
    const queued = /^musicfs_webhook_queue\{webhook="http:\/\/127\.0\.0\.1:\d+\/down"\} (\d+)/m.exec(text);
    if (queued) assert.ok(Number(queued[1]) <= 2, `queue ${queued[1]} within max_queue`);
  });
});
