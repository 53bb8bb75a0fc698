/**
 * The SFTP origin against a real OpenSSH sshd (test/support/sshd-server.ts):
 * walks, stats, ranged reads with read-ahead, the pool under concurrent
 * reads, host key and login refusals, dropped connections, aborts, and that
 * dispose leaves no connection behind. No SSH mock anywhere: every byte goes
 * through ssh2 and sshd's internal-sftp. Test files are plain bytes with audio
 * names (the origin does not parse audio).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { parseOriginLocation, type SftpLocation } from '../src-shared/origin-location.js';
import { silentLogger, type Logger } from '../src-main/daemon/base/logger.js';
import { isOriginError, type OriginError } from '../src-main/daemon/origins/origin-error.js';
import type { OriginFileHandle } from '../src-main/daemon/origins/origin.js';
import { createOrigin } from '../src-main/daemon/origins/registry.js';
import { SftpOrigin, type SftpOriginOptions } from '../src-main/daemon/origins/sftp/sftp-origin.js';
import { startSshd, type SshdServer } from './support/sshd-server.js';

const execFileAsync = promisify(execFile);

const MTIME_S = 1_600_000_000;
const BIG_BYTES = 3 * 1024 * 1024 + 12_345;
const PROMPT_MS = 1_000;

describe('sftp origin (real sshd)', () => {
  let sshd: SshdServer;
  let music: string;
  let big: Buffer;
  const small = new Map<string, Buffer>();

  before(async () => {
    sshd = await startSshd();
    music = `${sshd.dir}/music`;
    big = randomBytes(BIG_BYTES);
    const files: Record<string, Buffer | string> = {
      'Artist/Album/01 - One.flac': randomBytes(1000),
      'Artist/Album/02 - Two.MP3': randomBytes(2000),
      'Artist/Album/cover.jpg': 'image',
      'Artist/Album/.hidden.flac': 'hidden',
      '.secret/s.flac': 'hidden folder',
      'Other/empty.flac': '',
      'Other/notes.txt': 'text',
      'big.flac': big,
    };
    for (let i = 0; i < 6; i++) {
      const data = randomBytes(400_000 + i * 50_000);
      small.set(`Many/track-${i}.opus`, data);
      files[`Many/track-${i}.opus`] = data;
    }
    for (const [rel, data] of Object.entries(files)) {
      await mkdir(`${music}/${rel}`.replace(/\/[^/]+$/, ''), { recursive: true });
      await writeFile(`${music}/${rel}`, data);
    }
    await utimes(`${music}/Artist/Album/01 - One.flac`, MTIME_S, MTIME_S);
    await mkdir(`${music}/Empty`);
    await mkdir(`${music}/Loop`);
    await symlink('..', `${music}/Loop/up`);
    await mkdir(`${music}/Linked`);
    await symlink('../Artist/Album/01 - One.flac', `${music}/Linked/one.flac`);
    await symlink('../Artist', `${music}/Linked/artist-again`);
    await symlink('nowhere.flac', `${music}/Linked/dead.flac`);
  });

  after(async () => {
    await sshd?.stop();
  });

  /** An origin on the test server, disposed when the test ends. */
  function originFor(t: TestContext, path: string, params: Record<string, string> = {}, options: SftpOriginOptions = {}, logger: Logger = silentLogger): SftpOrigin {
    const location = parseOriginLocation(sshd.url(path, params)) as SftpLocation;
    const origin = new SftpOrigin(1, 'test-sftp', location, logger, { env: {}, ...options });
    t.after(() => origin.dispose());
    return origin;
  }

  async function readAll(handle: OriginFileHandle, size: number, step: number): Promise<Buffer> {
    const out = Buffer.alloc(size);
    for (let pos = 0; pos < size; pos += step) {
      const n = await handle.read(out, pos, Math.min(step, size - pos), pos);
      assert.equal(n, Math.min(step, size - pos), `full read at ${pos}`);
    }
    return out;
  }

  async function failure(promise: Promise<unknown>): Promise<OriginError> {
    try {
      await promise;
    } catch (err) {
      assert.ok(isOriginError(err), `an OriginError, got ${String(err)}`);
      return err;
    }
    assert.fail('expected a rejection');
  }

  test('is what the registry builds for an sftp location', async (t) => {
    const origin = createOrigin(parseOriginLocation(sshd.url(music)), { id: 7, name: 'reg', logger: silentLogger, watchDebounceMs: 100, deadlineMs: () => 30_000 });
    t.after(() => origin.dispose());
    assert.ok(origin instanceof SftpOrigin);
    assert.equal(origin.kind, 'sftp');
    assert.equal(origin.remote, true);
    assert.match(origin.root, new RegExp(`^sftp://${sshd.user}@127\\.0\\.0\\.1:${sshd.port}${music}\\?`));
  });

  test('walks nested folders: audio files only, hidden and empty ones passed over, symlinks followed once', async (t) => {
    const origin = originFor(t, music);
    const r = await origin.walk();
    assert.deepEqual(
      r.files.map((f) => [f.path, f.size]),
      [
        ['Artist/Album/01 - One.flac', 1000],
        ['Artist/Album/02 - Two.MP3', 2000],
        ['Linked/one.flac', 1000],
        ...[...small].map(([p, d]) => [p, d.length]),
        ['big.flac', BIG_BYTES],
      ],
    );
    assert.equal(r.files[0]!.mtimeMs, MTIME_S * 1000, 'mtime from the server, in ms');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(
      r.skipped.map((s) => s.path),
      ['Linked/artist-again', 'Linked/dead.flac', 'Loop/up', 'Other/empty.flac'],
    );
    assert.equal(r.skipped.find((s) => s.path === 'Other/empty.flac')!.reason, 'empty file');
    assert.match(r.skipped.find((s) => s.path === 'Linked/dead.flac')!.reason, /broken symlink/);
    assert.deepEqual([...r.directories].sort(), ['', 'Artist', 'Artist/Album', 'Empty', 'Linked', 'Loop', 'Many', 'Other']);
  });

  test('walks only the folder asked for with `under`', async (t) => {
    const origin = originFor(t, music);
    const r = await origin.walk({ under: 'Artist' });
    assert.deepEqual(
      r.files.map((f) => f.path),
      ['Artist/Album/01 - One.flac', 'Artist/Album/02 - Two.MP3'],
    );
    assert.deepEqual(r.directories, ['Artist', 'Artist/Album']);
    const missing = await origin.walk({ under: 'Nope' });
    assert.deepEqual(missing.errors, [{ path: 'Nope', reason: 'no such file or folder' }]);
    assert.deepEqual(missing.files, []);
  });

  test('a root folder that does not exist is a walk error at path "", and a health failure', async (t) => {
    const origin = originFor(t, `${sshd.dir}/no-such-folder`);
    const r = await origin.walk();
    assert.deepEqual(r.errors, [{ path: '', reason: 'no such file or folder' }]);
    const err = await failure(origin.checkHealth());
    assert.equal(err.failure, 'not_found');
    assert.match(err.message, /no-such-folder does not exist/);
  });

  test('stat: file, folder, missing', async (t) => {
    const origin = originFor(t, music);
    const file = await origin.stat('Artist/Album/01 - One.flac');
    assert.deepEqual(file, { size: 1000, mtimeMs: MTIME_S * 1000, isDirectory: false });
    const dir = await origin.stat('Artist');
    assert.equal(dir?.isDirectory, true);
    assert.equal(await origin.stat('Artist/nothing.flac'), undefined);
    assert.equal(await origin.stat('Nope/nothing.flac'), undefined);
  });

  test('health: the root folder answers; the login folder works as a relative root', async (t) => {
    await originFor(t, music).checkHealth();
    await originFor(t, '/~').checkHealth();
    const notFolder = originFor(t, `${music}/big.flac`);
    assert.equal((await failure(notFolder.checkHealth())).failure, 'not_found');
  });

  test('sequential 128 KiB reads return the file byte for byte, with read-ahead', async (t) => {
    const origin = originFor(t, music);
    const handle = await origin.open('big.flac');
    t.after(() => handle.close());
    const started = performance.now();
    const got = await readAll(handle, BIG_BYTES, 128 * 1024);
    const ms = performance.now() - started;
    assert.ok(got.equals(big), 'identical bytes');
    t.diagnostic(`sequential: ${((BIG_BYTES / 1e6) / (ms / 1000)).toFixed(1)} MB/s`);
    assert.ok(origin.bytesRead >= BIG_BYTES && origin.bytesRead <= BIG_BYTES + 1024 * 1024, `bytesRead ${origin.bytesRead}`);
  });

  test('random reads, a read across the end, reads at and past the end', async (t) => {
    const origin = originFor(t, music);
    const handle = await origin.open('big.flac');
    t.after(() => handle.close());
    let seed = 42;
    const next = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 40; i++) {
      const pos = next(BIG_BYTES);
      const len = 1 + next(300_000);
      const buf = Buffer.alloc(len + 10, 0xee);
      const n = await handle.read(buf, 10, len, pos);
      assert.equal(n, Math.min(len, BIG_BYTES - pos), `length at ${pos}+${len}`);
      assert.ok(buf.subarray(10, 10 + n).equals(big.subarray(pos, pos + n)), `bytes at ${pos}+${len}`);
      assert.ok(buf.subarray(0, 10).every((b) => b === 0xee), 'nothing written before offset');
    }
    const tail = Buffer.alloc(1000);
    assert.equal(await handle.read(tail, 0, 1000, BIG_BYTES - 300), 300, 'short only at the end');
    assert.ok(tail.subarray(0, 300).equals(big.subarray(BIG_BYTES - 300)));
    assert.equal(await handle.read(tail, 0, 1000, BIG_BYTES), 0, 'at the end');
    assert.equal(await handle.read(tail, 0, 1000, BIG_BYTES + 5000), 0, 'past the end');
    assert.equal(await handle.read(tail, 0, 0, 0), 0, 'nothing asked');
    // Back to the start after all that: the pipeline restarts cleanly.
    const head = Buffer.alloc(70_000);
    assert.equal(await handle.read(head, 0, 70_000, 0), 70_000);
    assert.ok(head.equals(big.subarray(0, 70_000)));
  });

  test('several files read at once share a pool of at most `connections` connections', async (t) => {
    const origin = originFor(t, music, { connections: '3' });
    const handles = await Promise.all([...small.keys()].map((p) => origin.open(p)));
    t.after(() => Promise.all(handles.map((h) => h.close())));
    const results = await Promise.all(handles.map((h, i) => readAll(h, [...small.values()][i]!.length, 64 * 1024)));
    results.forEach((got, i) => assert.ok(got.equals([...small.values()][i]!), `file ${i}`));
    assert.ok((await sshd.connectionCount()) <= 3, 'no more connections than configured');
  });

  test('open: a missing file is not_found, a folder is refused', async (t) => {
    const origin = originFor(t, music);
    const missing = await failure(origin.open('Artist/nothing.flac'));
    assert.equal(missing.failure, 'not_found');
    assert.match(missing.message, new RegExp(`127\\.0\\.0\\.1:${sshd.port}: open .*Artist/nothing\\.flac: no such file`));
    const folder = await failure(origin.open('Artist'));
    assert.match(folder.message, /is a folder/);
  });

  test('an unknown host key is refused, naming the server and the fingerprint', async (t) => {
    const empty = await sshd.writeKnownHosts('known_hosts.empty', []);
    const origin = originFor(t, music, { known_hosts: empty });
    const err = await failure(origin.checkHealth());
    assert.equal(err.failure, 'host_key');
    assert.ok(err.message.includes(`127.0.0.1:${sshd.port}`), err.message);
    assert.ok(err.message.includes(sshd.hostKey.fingerprint), err.message);
    assert.ok(err.message.includes(`ssh-keyscan -p ${sshd.port} 127.0.0.1 >> ${empty}`), err.message);
    // A known_hosts file that does not exist yet: the same.
    const none = originFor(t, music, { known_hosts: `${sshd.dir}/no-known-hosts` });
    assert.equal((await failure(none.walk())).failure, 'host_key');
  });

  test('a changed host key is refused, with both fingerprints', async (t) => {
    const file = await sshd.writeKnownHosts('known_hosts.changed', ['# the old key', sshd.knownHostsLine(sshd.otherHostKey)]);
    const origin = originFor(t, music, { known_hosts: file });
    const err = await failure(origin.stat('big.flac'));
    assert.equal(err.failure, 'host_key');
    assert.match(err.message, /HOST KEY CHANGED/);
    assert.ok(err.message.includes(sshd.otherHostKey.fingerprint), 'expected key named');
    assert.ok(err.message.includes(sshd.hostKey.fingerprint), 'presented key named');
    assert.ok(err.message.includes(`${file} line 2`), err.message);
  });

  test('a hashed known_hosts entry (ssh-keygen -H) is trusted', async (t) => {
    const file = await sshd.writeKnownHosts('known_hosts.hashed', [sshd.knownHostsLine()]);
    await execFileAsync('ssh-keygen', ['-H', '-f', file]);
    assert.match(await readFile(file, 'utf8'), /^\|1\|/);
    await originFor(t, music, { known_hosts: file }).checkHealth();
  });

  test('a key the server does not accept fails with auth', async (t) => {
    const origin = originFor(t, music, { identity: sshd.strangerIdentityFile });
    const err = await failure(origin.checkHealth());
    assert.equal(err.failure, 'auth');
    assert.ok(err.message.includes(`login as ${sshd.user} failed`), err.message);
    assert.ok(err.message.includes(sshd.strangerIdentityFile), err.message);
    const noKey = originFor(t, music, { identity: `${sshd.dir}/no-such-key` });
    assert.equal((await failure(noKey.checkHealth())).failure, 'auth');
  });

  test('a closed port is refused', async (t) => {
    const port = await closedPort();
    const location = parseOriginLocation(sshd.url(music).replace(`:${sshd.port}/`, `:${port}/`)) as SftpLocation;
    const origin = new SftpOrigin(2, 'closed', location, silentLogger, { env: {} });
    t.after(() => origin.dispose());
    const err = await failure(origin.checkHealth());
    assert.equal(err.failure, 'refused');
    assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
  });

  test('a server that never answers: connect timeout, and an abort stops the wait at once', async (t) => {
    const silent = await silentServer();
    t.after(() => silent.close());
    const location = parseOriginLocation(sshd.url(music).replace(`:${sshd.port}/`, `:${silent.port}/`)) as SftpLocation;
    const slow = new SftpOrigin(3, 'silent', location, silentLogger, { env: {}, connectTimeoutMs: 300 });
    t.after(() => slow.dispose());
    assert.equal((await failure(slow.checkHealth())).failure, 'timeout');

    const waiting = new SftpOrigin(4, 'silent', location, silentLogger, { env: {} });
    t.after(() => waiting.dispose());
    const abort = new AbortController();
    const started = performance.now();
    const pending = waiting.stat('big.flac', abort.signal);
    setTimeout(() => abort.abort(), 100);
    const err = await failure(pending);
    assert.equal(err.failure, 'aborted');
    assert.ok(performance.now() - started < PROMPT_MS, 'rejected promptly');
  });

  test('abort: an aborted read or walk rejects promptly, and the handle still works after', async (t) => {
    const origin = originFor(t, music);
    const handle = await origin.open('big.flac');
    t.after(() => handle.close());
    const buf = Buffer.alloc(BIG_BYTES);
    const abort = new AbortController();
    const started = performance.now();
    const pending = handle.read(buf, 0, BIG_BYTES, 0, abort.signal);
    abort.abort();
    assert.equal((await failure(pending)).failure, 'aborted');
    assert.ok(performance.now() - started < PROMPT_MS);
    assert.equal((await failure(handle.read(buf, 0, 10, 0, AbortSignal.abort()))).failure, 'aborted', 'already aborted');
    assert.equal(await handle.read(buf, 0, 100_000, 1000), 100_000);
    assert.ok(buf.subarray(0, 100_000).equals(big.subarray(1000, 101_000)));

    const walkAbort = new AbortController();
    const walking = origin.walk({ signal: walkAbort.signal });
    walkAbort.abort();
    assert.equal((await failure(walking)).failure, 'aborted');
  });

  test('a dropped connection: the next operation reconnects, and an open file reads on', async (t) => {
    const logged: string[] = [];
    const origin = originFor(t, music, { connections: '1' }, {}, recordingLogger(logged));
    const handle = await origin.open('big.flac');
    t.after(() => handle.close());
    const first = Buffer.alloc(200_000);
    assert.equal(await handle.read(first, 0, first.length, 0), first.length);
    assert.equal((await sshd.connectionCount()) >= 1, true);

    await sshd.dropConnections();
    assert.equal(await sshd.connectionCount(), 0, 'the server side is gone');

    assert.equal((await origin.stat('big.flac'))?.size, BIG_BYTES, 'stat reconnects');
    const rest = Buffer.alloc(BIG_BYTES - first.length);
    assert.equal(await handle.read(rest, 0, rest.length, first.length), rest.length, 'the handle reopens the file');
    assert.ok(Buffer.concat([first, rest]).equals(big));

    // Dropped while idle, and the next request sent before the client could
    // notice (no I/O event runs between the kill and the walk's first
    // request): the pool tries it once more on a fresh connection.
    const pids = await sshd.sessionPids();
    sshd.killNow(pids);
    const r = await origin.walk({ under: 'Artist' });
    assert.equal(r.files.length, 2);
    assert.ok(logged.some((l) => l.startsWith('retrying on a fresh connection')), logged.join('\n'));
    assert.equal((await origin.stat('big.flac'))?.size, BIG_BYTES);

    // Dropped with a read in flight: the read reopens the file and finishes.
    const before = logged.length;
    const whole = Buffer.alloc(BIG_BYTES);
    const sessions = await sshd.sessionPids();
    const reading = handle.read(whole, 0, BIG_BYTES, 0);
    sshd.killNow(sessions);
    assert.equal(await reading, BIG_BYTES);
    assert.ok(whole.equals(big));
    assert.ok(logged.slice(before).some((l) => l === 'sftp connection closed'), 'the drop was seen');
  });

  test('dispose ends every connection: sshd serves no session and no socket is left open', async (t) => {
    const origin = originFor(t, music, { connections: '4' });
    await Promise.all([origin.walk(), ...[...small.keys()].map((p) => origin.stat(p)), origin.checkHealth()]);
    const handle = await origin.open('big.flac');
    await handle.read(Buffer.alloc(1000), 0, 1000, 0);
    assert.ok((await sshd.connectionCount()) >= 1);
    await origin.dispose();
    await origin.dispose();
    assert.equal(await waitFor(async () => (await sshd.connectionCount()) === 0, 5_000), true, 'sshd has no session left');
    assert.equal(openTcpSockets(), 0, 'no TCP socket left in this process');
    assert.equal((await failure(origin.stat('big.flac'))).failure, 'aborted', 'closed for good');
    await handle.close();
  });
});

function recordingLogger(lines: string[]): Logger {
  const log = (message: string): void => void lines.push(message);
  const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

/** A port nothing listens on (bound, then released). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** A TCP server that accepts and never says a word (no SSH banner). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function openTcpSockets(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPWRAP').length;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}
