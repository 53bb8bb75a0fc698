/**
 * Federation through a real mount, with real servers behind fault-injecting
 * TCP proxies: the same tracks on an S3 bucket (s3rver, priority 10) and an
 * SFTP server (OpenSSH sshd, priority 20). The primary killed mid-read is
 * continued byte-identical from the replica; with every origin dead, cached
 * tracks still play, the rest fail with EIO within the deadline and
 * all_origins_unhealthy is sent; when the primary recovers, reads go back to
 * it. Also: an unknown SSH host key is refused through the CLI with its
 * fingerprint.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { noiseFlac } from './support/cache-fixture.js';
import { FaultProxy } from './support/fault-proxy.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';
import { MUSICFS_BIN, Sandbox, waitUntil, type DaemonProcess } from './support/sandbox.js';
import { startSshd, type SshdServer } from './support/sshd-server.js';

const DEADLINE_MS = 4000;
const TRACKS = ['a', 'b', 'c', 'd'] as const;

interface HealthJson {
  name: string;
  state: string;
  bytesRead: string | number;
}

describe('federation: S3 primary, SFTP replica, faults in between', () => {
  let sandbox: Sandbox;
  let s3: S3TestServer;
  let sshd: SshdServer;
  let s3Proxy: FaultProxy;
  let sshProxy: FaultProxy;
  let lib: string;
  let mnt: string;
  let daemon: DaemonProcess;
  const source = (t: string): string => join(lib, `${t}.flac`);
  const mounted = (t: string): string => join(mnt, 'Fed', 'Album', `0${TRACKS.indexOf(t as (typeof TRACKS)[number]) + 1} - Song ${t.toUpperCase()}.flac`);

  const health = async (): Promise<Map<string, HealthJson>> => {
    const r = await sandbox.run(['origin', 'health', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return new Map((JSON.parse(r.stdout) as { origins: HealthJson[] }).origins.map((h) => [h.name, h]));
  };
  const bytesFrom = async (name: string): Promise<number> => Number((await health()).get(name)?.bytesRead ?? 0);

  before(async () => {
    sandbox = await Sandbox.create('musicfs-federation-');
    lib = await sandbox.mkdir('lib');
    mnt = await sandbox.mkdir('mnt');
    for (const [i, t] of TRACKS.entries()) {
      await noiseFlac(source(t), 60, { artist: 'Fed', album: 'Album', title: `Song ${t.toUpperCase()}`, track: String(i + 1) }, i + 1);
    }
    s3 = await startS3Server({ buckets: ['music'] });
    await s3.uploadFolder(lib, 'music', 'lib');
    sshd = await startSshd();
    const remoteLib = join(sshd.dir, 'music');
    await mkdir(remoteLib, { recursive: true });
    for (const t of TRACKS) await copyFile(source(t), join(remoteLib, `${t}.flac`));
    s3Proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: s3.port });
    sshProxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: sshd.port });
    // The host key as seen through the proxy's port.
    const knownHosts = await sshd.writeKnownHosts('known_hosts_proxy', [`[127.0.0.1]:${sshProxy.port} ${sshd.hostKey.publicKey}`]);
    const s3Url = `s3://music/lib?endpoint=http://127.0.0.1:${s3Proxy.port}&path_style=1`;
    const sftpUrl = `sftp://${sshd.user}@127.0.0.1:${sshProxy.port}${remoteLib}?identity=${sshd.identityFile}&known_hosts=${knownHosts}&agent=0`;
    const dir = join(sandbox.env['XDG_CONFIG_HOME']!, 'musicfs');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'config.toml'),
      `[health]\ninterval_sec = 1\ntimeout_ms = 1000\n\n[[origin]]\nname = "s3"\nurl = ${JSON.stringify(s3Url)}\npriority = 10\n\n[[origin]]\nname = "sftp"\nurl = ${JSON.stringify(sftpUrl)}\npriority = 20\n`,
    );
    daemon = sandbox.startMount(mnt, [], [], { ...s3.env, MUSICFS_ORIGIN_DEADLINE_MS: String(DEADLINE_MS), MUSICFS_READ_TIMEOUT_MS: String(DEADLINE_MS) });
    await daemon.ready(60_000);
    await daemon.scansComplete(2, 120_000);
  });

  after(async () => {
    if (daemon && !daemon.hasExited) await daemon.stop('SIGINT');
    const leaks = await sandbox.cleanup();
    await s3Proxy?.close();
    await sshProxy?.close();
    await s3?.stop();
    await sshd?.stop();
    assert.deepEqual(leaks, []);
  });

  it('one file per recording, read from the primary', async () => {
    const before = await bytesFrom('sftp');
    assert.ok((await readFile(mounted('a'))).equals(await readFile(source('a'))));
    assert.ok((await bytesFrom('s3')) > 0);
    assert.equal(await bytesFrom('sftp'), before, 'the replica was not needed');
  });

  it('the primary killed mid-read: the replica continues at the same offset, bytes identical', async () => {
    // Slow the primary so the read is surely mid-file when it dies.
    s3Proxy.setBandwidth(1024 * 1024);
    const expected = await readFile(source('b'));
    const chunks: Buffer[] = [];
    let got = 0;
    let killed = false;
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(mounted('b'), { highWaterMark: 128 * 1024 });
      stream.on('data', (chunk) => {
        chunks.push(chunk as Buffer);
        got += chunk.length;
        if (!killed && got >= 512 * 1024) {
          killed = true;
          void s3Proxy.setRefuse(true).then(() => s3Proxy.resetConnections());
        }
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    assert.ok(killed);
    assert.ok(Buffer.concat(chunks).equals(expected), 'bytes identical across the failover');
    assert.ok((await bytesFrom('sftp')) > 0, 'the replica served the rest');
    s3Proxy.setBandwidth(undefined);
  });

  it('every origin dead: cached tracks play, others fail with EIO within the deadline, all_origins_unhealthy is sent', async () => {
    const events = spawn(MUSICFS_BIN, ['events', '--type', 'all_origins_unhealthy', '--json'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let eventText = '';
    events.stdout.setEncoding('utf8').on('data', (d: string) => (eventText += d));
    try {
      await sshProxy.setRefuse(true);
      sshProxy.resetConnections();
      await waitUntil(async () => eventText.includes('all_origins_unhealthy') || eventText.includes('ALL_ORIGINS_UNHEALTHY'), 30_000, 'all_origins_unhealthy');
      const states = await health();
      assert.equal(states.get('s3')?.state, 'HEALTH_STATE_UNHEALTHY');
      assert.equal(states.get('sftp')?.state, 'HEALTH_STATE_UNHEALTHY');
      assert.ok((await readFile(mounted('a'))).equals(await readFile(source('a'))), 'a cached track plays with every origin dead');
      const started = performance.now();
      await assert.rejects(readFile(mounted('c')), (err: NodeJS.ErrnoException) => err.code === 'EIO');
      assert.ok(performance.now() - started < DEADLINE_MS + 3000, `EIO after ${Math.round(performance.now() - started)} ms`);
    } finally {
      events.kill('SIGINT');
    }
  });

  it('the primary recovers: health returns and reads go back to it', async () => {
    await s3Proxy.setRefuse(false);
    await sshProxy.setRefuse(false);
    await waitUntil(async () => (await health()).get('s3')?.state === 'HEALTH_STATE_HEALTHY', 30_000, 'the primary to be healthy again');
    const sftpBefore = await bytesFrom('sftp');
    const s3Before = await bytesFrom('s3');
    assert.ok((await readFile(mounted('d'))).equals(await readFile(source('d'))));
    assert.ok((await bytesFrom('s3')) > s3Before, 'read from the primary');
    assert.equal(await bytesFrom('sftp'), sftpBefore, 'not from the replica');
  });

  it('an unknown SSH host key is refused with the host and its fingerprint', async () => {
    const empty = await sshd.writeKnownHosts('known_hosts_empty', []);
    const r = await sandbox.run(['origin', 'test', sshd.url(join(sshd.dir, 'music'), { known_hosts: empty })]);
    assert.equal(r.code, 69, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`127\\.0\\.0\\.1:${sshd.port}`));
    assert.ok(r.stdout.includes(sshd.hostKey.fingerprint), r.stdout);
    const stranger = await sandbox.run(['origin', 'test', sshd.url(join(sshd.dir, 'music'), { identity: sshd.strangerIdentityFile })]);
    assert.equal(stranger.code, 69);
    assert.match(stranger.stdout, /auth/i);
  });
});
