/**
 * The S3 origin against a real S3 server (s3rver, signatures checked by the
 * harness): listing with paging, stat, ranged and streamed reads byte for
 * byte, ETags as versions, and every failure a user can meet (missing bucket,
 * wrong keys, nothing listening, unknown host, dropped and stalled
 * connections, aborts) in its category with words naming what is wrong.
 *
 * Credentials come from the environment, as in the daemon: the suite sets
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and puts them back after).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseOriginLocation, type S3Location } from '../src-shared/origin-location.js';
import { silentLogger } from '../src-main/daemon/base/logger.js';
import type { OriginFileHandle } from '../src-main/daemon/origins/origin.js';
import { isOriginError, type OriginFailure } from '../src-main/daemon/origins/origin-error.js';
import { S3Origin, type S3OriginOptions } from '../src-main/daemon/origins/s3/s3-origin.js';
import { FaultProxy } from './support/fault-proxy.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';

const BUCKET = 'music';
const KiB = 1024;
const BIG_SIZE = 3 * 1024 * KiB + 12_345; // not a multiple of the read size: the last read is short
const WRONG_SECRET = 'wrong-secret-Zq8vX2';

const small = (text: string): Buffer => Buffer.from(`${text}\n`.repeat(20));

/** Keys below the prefix "lib/", and a few outside it. */
const OBJECTS: Record<string, Buffer> = {
  'lib/Artist A/Album 1/01 One.flac': randomBytes(BIG_SIZE),
  'lib/Artist A/Album 1/02 Two.mp3': small('two'),
  'lib/Artist A/Album 1/03 Three.flac': small('three'),
  'lib/Artist A/Album 2/CD1/01 Disc.flac': small('disc'),
  'lib/Artist B/track.ogg': small('ogg'),
  'lib/Artist B/.hidden.flac': small('hidden'),
  'lib/Artist B/empty.flac': Buffer.alloc(0),
  'lib/Artist B/cover.jpg': small('jpeg'),
  'lib/.Trash/old.flac': small('trash'),
  'lib/Artist C/Live/Café – encore.m4a': small('unicode'),
  'lib/Empty Folder/': Buffer.alloc(0),
  'lib/top.wav': small('wav'),
  'lib/change.flac': small('version one'),
  'libx/sibling.flac': small('not below lib/'),
  'elsewhere/other.flac': small('elsewhere'),
};
const BIG_PATH = 'Artist A/Album 1/01 One.flac';
const BIG = OBJECTS[`lib/${BIG_PATH}`]!;

describe('S3 origin against s3rver', { timeout: 120_000 }, () => {
  let server: S3TestServer;
  let proxy: FaultProxy;
  let restoreEnv: () => void;
  let scratch: string;
  const origins: S3Origin[] = [];

  const location = (url: string): S3Location => parseOriginLocation(url) as S3Location;
  const makeOrigin = (url: string, options?: S3OriginOptions): S3Origin => {
    const origin = new S3Origin(origins.length + 1, `s3-test-${origins.length + 1}`, location(url), silentLogger, options);
    origins.push(origin);
    return origin;
  };
  const libOrigin = (options?: S3OriginOptions): S3Origin => makeOrigin(server.locationUrl(BUCKET, 'lib'), options);

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'musicfs-s3-test-'));
    // Set machine-wide on some hosts; an http endpoint must not be bothered by it (here: junk).
    const junkBundle = join(scratch, 'junk-ca.pem');
    await writeFile(junkBundle, 'not a certificate\n');
    server = await startS3Server({ buckets: [BUCKET] });
    restoreEnv = setEnv({
      ...server.env,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_SHARED_CREDENTIALS_FILE: join(scratch, 'no-credentials'),
      AWS_CONFIG_FILE: join(scratch, 'no-config'),
      AWS_CA_BUNDLE: junkBundle,
    });
    for (const [key, body] of Object.entries(OBJECTS)) await server.putObject(BUCKET, key, body);
    proxy = await FaultProxy.start({ targetHost: '127.0.0.1', targetPort: server.port });
  });

  const proxyEndpoint = (): string => `http://127.0.0.1:${proxy.port}`;
  const clearFaults = (): void => {
    proxy.setBlackhole(false);
    proxy.setBandwidth(undefined);
    proxy.cutAfterBytes(undefined);
  };

  after(async () => {
    for (const origin of origins) await origin.dispose();
    await proxy?.close();
    await server?.stop();
    restoreEnv?.();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  describe('walk', () => {
    it('lists every audio file below the prefix, page after page', async () => {
      const origin = libOrigin({ listPageSize: 2 });
      server.requests.length = 0;
      const walk = await origin.walk();
      assert.deepEqual(walk.errors, []);
      const listings = server.requests.filter((r) => r.method === 'GET' && r.url.includes('list-type=2'));
      assert.equal(listings.length, Math.ceil(Object.keys(OBJECTS).filter((k) => k.startsWith('lib/')).length / 2), 'pages of 2 keys');
      assert.deepEqual(
        walk.files.map((f) => f.path).sort(),
        [
          'Artist A/Album 1/01 One.flac',
          'Artist A/Album 1/02 Two.mp3',
          'Artist A/Album 1/03 Three.flac',
          'Artist A/Album 2/CD1/01 Disc.flac',
          'Artist B/track.ogg',
          'Artist C/Live/Café – encore.m4a',
          'change.flac',
          'top.wav',
        ].sort(),
      );
      assert.deepEqual(walk.skipped, [{ path: 'Artist B/empty.flac', reason: 'empty file' }]);
      assert.deepEqual(walk.directories, [
        '',
        'Artist A',
        'Artist A/Album 1',
        'Artist A/Album 2',
        'Artist A/Album 2/CD1',
        'Artist B',
        'Artist C',
        'Artist C/Live',
        'Empty Folder',
      ]);
      for (const file of walk.files) {
        const body = OBJECTS[`lib/${file.path}`]!;
        assert.equal(file.size, body.length, file.path);
        assert.equal(file.version, md5(body), `${file.path}: the version is the ETag`);
        assert.ok(Math.abs(file.mtimeMs - Date.now()) < 10 * 60_000, `${file.path}: mtime from LastModified`);
      }
    });

    it('walks one folder with `under`', async () => {
      const walk = await libOrigin({ listPageSize: 2 }).walk({ under: 'Artist A' });
      assert.deepEqual(walk.errors, []);
      assert.deepEqual(walk.files.map((f) => f.path).sort(), [
        'Artist A/Album 1/01 One.flac',
        'Artist A/Album 1/02 Two.mp3',
        'Artist A/Album 1/03 Three.flac',
        'Artist A/Album 2/CD1/01 Disc.flac',
      ]);
      assert.deepEqual(walk.directories, ['Artist A', 'Artist A/Album 1', 'Artist A/Album 2', 'Artist A/Album 2/CD1']);
      const none = await libOrigin().walk({ under: 'No Such Artist' });
      assert.deepEqual(none, { files: [], skipped: [], errors: [], directories: [] });
    });

    it('walks a whole bucket when the prefix is empty', async () => {
      const walk = await makeOrigin(server.locationUrl(BUCKET)).walk();
      assert.deepEqual(walk.errors, []);
      const paths = walk.files.map((f) => f.path);
      assert.ok(paths.includes('libx/sibling.flac') && paths.includes('elsewhere/other.flac') && paths.includes(`lib/${BIG_PATH}`));
      assert.ok(!paths.some((p) => p.includes('/.')), 'hidden entries stay out');
    });
  });

  describe('harness', () => {
    it('uploads a local folder into a new bucket', async () => {
      const folder = join(scratch, 'upload');
      await mkdir(join(folder, 'Band', 'Album'), { recursive: true });
      await writeFile(join(folder, 'Band', 'Album', '01 Song.flac'), small('song'));
      await writeFile(join(folder, 'Band', 'notes.txt'), 'notes');
      await server.createBucket('uploads');
      const keys = await server.uploadFolder(folder, 'uploads', 'from/disk/');
      assert.deepEqual(keys, ['from/disk/Band/Album/01 Song.flac', 'from/disk/Band/notes.txt']);
      const walk = await makeOrigin(server.locationUrl('uploads', 'from/disk')).walk();
      assert.deepEqual(walk.files.map((f) => [f.path, f.size]), [['Band/Album/01 Song.flac', small('song').length]]);
    });
  });

  describe('stat', () => {
    it('knows files, folders (with or without a marker) and what is missing', async () => {
      const origin = libOrigin();
      const file = await origin.stat(BIG_PATH);
      assert.equal(file?.isDirectory, false);
      assert.equal(file?.size, BIG.length);
      assert.equal(file?.version, md5(BIG));
      const walked = (await origin.walk({ under: 'Artist A' })).files.find((f) => f.path === BIG_PATH);
      assert.equal(file?.mtimeMs, walked?.mtimeMs, 'stat and walk agree on the mtime');
      assert.equal((await origin.stat('Artist A'))?.isDirectory, true);
      assert.equal((await origin.stat('Artist A/Album 2'))?.isDirectory, true);
      assert.equal((await origin.stat('Empty Folder'))?.isDirectory, true);
      assert.equal((await origin.stat(''))?.isDirectory, true);
      assert.equal(await origin.stat('Artist A/missing.flac'), undefined);
      assert.equal(await origin.stat('Artist'), undefined, 'a key prefix is not a folder');
    });
  });

  describe('reads', () => {
    it('reads a file sequentially, byte for byte, receiving each byte once', async () => {
      const origin = libOrigin();
      const handle = await origin.open(BIG_PATH);
      const before = origin.bytesRead;
      server.requests.length = 0;
      const started = Date.now();
      const out = Buffer.alloc(BIG.length);
      for (let pos = 0; pos < BIG.length; pos += 128 * KiB) {
        const n = await handle.read(out, pos, 128 * KiB, pos);
        assert.equal(n, Math.min(128 * KiB, BIG.length - pos), `read at ${pos}`);
      }
      console.log(`sequential 128 KiB reads: ${(BIG.length / 1e6 / ((Date.now() - started) / 1000)).toFixed(1)} MB/s`);
      assert.ok(out.equals(BIG), 'bytes differ');
      assert.equal(origin.bytesRead - before, BIG.length, 'every byte received exactly once');
      // A first window, then one GET streaming the rest.
      assert.equal(server.requests.filter((r) => r.method === 'GET').length, 2, JSON.stringify(server.requests));
      await handle.close();
    });

    it('serves random reads, reads across the end and past it', async () => {
      const origin = libOrigin();
      const handle = await origin.open(BIG_PATH);
      for (let i = 0; i < 40; i++) {
        const length = 1 + Math.floor(Math.random() * 300 * KiB);
        const position = Math.floor(Math.random() * BIG.length);
        await assertReads(handle, position, length);
      }
      await assertReads(handle, 100, 1024 * KiB); // one read larger than a first window
      await assertReads(handle, BIG.length - 40, 100); // clamped: 40 bytes
      const buf = Buffer.alloc(10);
      assert.equal(await handle.read(buf, 0, 10, BIG.length), 0, 'at the end');
      assert.equal(await handle.read(buf, 0, 10, BIG.length + 5000), 0, 'past the end');
      assert.equal(await handle.read(buf, 0, 0, 0), 0, 'zero bytes');
      await handle.close();
    });

    it('serves reads issued together, in order', async () => {
      const handle = await libOrigin().open(BIG_PATH);
      const positions = [0, 64 * KiB, 2000 * KiB, 128 * KiB, 3000 * KiB];
      const buffers = positions.map(() => Buffer.alloc(64 * KiB));
      const counts = await Promise.all(positions.map((p, i) => handle.read(buffers[i]!, 0, 64 * KiB, p)));
      positions.forEach((p, i) => assert.ok(buffers[i]!.subarray(0, counts[i]).equals(BIG.subarray(p, p + counts[i]!)), `read at ${p}`));
      await handle.close();
    });

    it('fails opening a missing file with not_found', async () => {
      await assertOriginError(libOrigin().open('Artist A/missing.flac'), 'not_found', /missing\.flac/);
    });

    it('a dropped connection fails the read with reset; the next read starts afresh', async () => {
      const origin = makeOrigin(proxiedUrl('lib'));
      const handle = await origin.open(BIG_PATH);
      const out = Buffer.alloc(BIG.length);
      proxy.cutAfterBytes(400 * KiB);
      let pos = 0;
      let failure: unknown;
      for (; pos < BIG.length; pos += 128 * KiB) {
        try {
          await handle.read(out, pos, 128 * KiB, pos);
        } catch (err) {
          failure = err;
          break;
        }
      }
      assert.ok(isOriginError(failure), `a read fails (${String(failure)})`);
      assert.equal(failure.failure, 'reset', failure.message);
      assert.match(failure.message, new RegExp(escape(proxyEndpoint())));
      clearFaults();
      for (; pos < BIG.length; pos += 128 * KiB) await handle.read(out, pos, 128 * KiB, pos);
      assert.ok(out.equals(BIG), 'bytes differ after the retry');
      await handle.close();
      await origin.dispose();
    });

    it('closes an idle stream, and every socket at dispose', async () => {
      await waitFor(() => proxy.liveConnections === 0, 'earlier tests to let go of the proxy');
      const origin = makeOrigin(proxiedUrl('lib'), { streamIdleMs: 200 });
      const handle = await origin.open(BIG_PATH);
      await assertReads(handle, 0, 1000);
      assert.ok(proxy.liveConnections >= 1);
      await waitFor(() => proxy.liveConnections === 0, 'the idle stream to close');
      await assertReads(handle, 5000, 1000);
      await origin.dispose();
      await waitFor(() => proxy.liveConnections === 0, 'dispose to close every socket');
      await assert.rejects(handle.read(Buffer.alloc(10), 0, 10, 0), 'reads after dispose fail');
    });
  });

  describe('versions', () => {
    it('the ETag is the version and changes with the content; an open handle refuses the new bytes', async () => {
      const origin = libOrigin();
      const v1 = (await origin.stat('change.flac'))?.version;
      const handle = await origin.open('change.flac');
      await server.putObject(BUCKET, 'lib/change.flac', small('version two, longer'));
      const v2 = (await origin.stat('change.flac'))?.version;
      assert.ok(v1 !== undefined && v2 !== undefined && v1 !== v2, `${v1} then ${v2}`);
      const walked = (await origin.walk()).files.find((f) => f.path === 'change.flac');
      assert.equal(walked?.version, v2);
      await assertOriginError(handle.read(Buffer.alloc(100), 0, 100, 0), 'not_found', /changed since it was opened/);
      await handle.close();
    });
  });

  describe('health and failures', () => {
    it('is healthy when the bucket answers', async () => {
      await libOrigin().checkHealth();
    });

    it('bucket missing: bucket_missing, naming the bucket', async () => {
      const origin = makeOrigin(server.locationUrl('no-such-bucket', 'lib'));
      await assertOriginError(origin.checkHealth(), 'bucket_missing', /"no-such-bucket" does not exist/);
      const walk = await origin.walk();
      assert.equal(walk.errors.length, 1);
      assert.equal(walk.errors[0]!.path, '');
      assert.match(walk.errors[0]!.reason, /no-such-bucket/);
      await assertOriginError(origin.stat('x.flac'), 'bucket_missing', /no-such-bucket/);
    });

    it('wrong secret key: auth, and the secret is never shown', async () => {
      const restore = setEnv({ AWS_SECRET_ACCESS_KEY: WRONG_SECRET });
      try {
        const origin = libOrigin();
        const err = await assertOriginError(origin.checkHealth(), 'auth', /secret access key is wrong/);
        assert.ok(!err.message.includes(WRONG_SECRET));
        const walk = await origin.walk();
        assert.match(walk.errors[0]?.reason ?? '', /SignatureDoesNotMatch/);
        await assertOriginError(origin.open(BIG_PATH), 'auth', /SignatureDoesNotMatch/);
      } finally {
        restore();
      }
    });

    it('unknown access key id: auth', async () => {
      const restore = setEnv({ AWS_ACCESS_KEY_ID: 'NOT-A-KNOWN-KEY' });
      try {
        await assertOriginError(libOrigin().checkHealth(), 'auth', /access key id.*InvalidAccessKeyId/);
      } finally {
        restore();
      }
    });

    it('no credentials anywhere: auth, saying where they are looked for', async () => {
      const restore = setEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_EC2_METADATA_DISABLED: 'true' });
      try {
        await assertOriginError(libOrigin().checkHealth(), 'auth', /AWS_ACCESS_KEY_ID/);
      } finally {
        restore();
      }
    });

    it('nothing listening: refused', async () => {
      const port = await closedPort();
      const origin = makeOrigin(`s3://${BUCKET}/lib?endpoint=http://127.0.0.1:${port}&path_style=1`);
      await assertOriginError(origin.checkHealth(), 'refused', new RegExp(`127\\.0\\.0\\.1:${port}`));
      const walk = await origin.walk();
      assert.match(walk.errors[0]?.reason ?? '', /connection refused/);
    });

    it('unknown host: dns', async () => {
      const origin = makeOrigin(`s3://${BUCKET}/lib?endpoint=http://nonexistent.invalid:9000&path_style=1`);
      await assertOriginError(origin.checkHealth(), 'dns', /nonexistent\.invalid/);
    });

    it('an abort stops every call promptly', async () => {
      const aborted = AbortSignal.abort();
      const origin = makeOrigin(proxiedUrl('lib'));
      await assertOriginError(origin.walk({ signal: aborted }), 'aborted');
      await assertOriginError(origin.stat(BIG_PATH, aborted), 'aborted');
      await assertOriginError(origin.checkHealth(aborted), 'aborted');

      // The server stops answering: the signal alone ends the wait.
      const handle = await origin.open(BIG_PATH);
      proxy.setBlackhole(true);
      try {
        await assertAbortsPromptly((signal) => origin.checkHealth(signal));
        await assertAbortsPromptly((signal) => origin.walk({ signal }));
        await assertAbortsPromptly((signal) => handle.read(Buffer.alloc(1000), 0, 1000, 0, signal));
        // A read queued behind a stalled one.
        const stuck = handle.read(Buffer.alloc(1000), 0, 1000, 0);
        stuck.catch(() => undefined);
        await assertAbortsPromptly((signal) => handle.read(Buffer.alloc(1000), 0, 1000, 5000, signal));
        // Mid-answer: part of the body comes, the rest crawls.
        clearFaults();
        const reader = await origin.open(BIG_PATH);
        proxy.setBandwidth(16 * KiB);
        await assertAbortsPromptly((signal) => reader.read(Buffer.alloc(1024 * KiB), 0, 1024 * KiB, 0, signal));
        clearFaults();
        await assertReads(reader, 0, 1024 * KiB);
        await reader.close();
      } finally {
        clearFaults();
        await handle.close();
        await origin.dispose();
      }
    });
  });

  function proxiedUrl(prefix: string): string {
    return `s3://${BUCKET}/${prefix}?endpoint=${proxyEndpoint()}&path_style=1`;
  }
});

async function assertReads(handle: OriginFileHandle, position: number, length: number): Promise<void> {
  const buf = Buffer.alloc(length);
  const n = await handle.read(buf, 0, length, position);
  const expected = BIG.subarray(position, position + length);
  assert.equal(n, expected.length, `read of ${length} at ${position}`);
  assert.ok(buf.subarray(0, n).equals(expected), `bytes of the read of ${length} at ${position}`);
}

async function assertOriginError(promise: Promise<unknown>, failure: OriginFailure, message?: RegExp): Promise<Error & { failure: OriginFailure }> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isOriginError(err), `an OriginError, got ${String(err)}`);
    assert.equal(err.failure, failure, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected a ${failure} failure, but it succeeded`);
}

async function assertAbortsPromptly(call: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const controller = new AbortController();
  const promise = call(controller.signal);
  await new Promise((r) => setTimeout(r, 150));
  const started = Date.now();
  controller.abort();
  await assertOriginError(promise, 'aborted');
  assert.ok(Date.now() - started < 1000, `rejected ${Date.now() - started} ms after the abort`);
}

/** Sets (or with undefined, removes) environment variables; returns what puts them back. */
function setEnv(vars: Record<string, string | undefined>): () => void {
  const saved = Object.keys(vars).map((k) => [k, process.env[k]] as const);
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
