/**
 * An S3 bucket (a real s3rver on loopback) as an origin of a real mount:
 * tags read by ranged GETs (a full scan fetches a few percent of the
 * library), tracks played byte-identical through FUSE and by ffprobe, the
 * origin added and removed at run time, tested in words, and what was
 * cached still playing when the server is gone while the rest fails with
 * EIO within the deadline.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { noiseFlac } from './support/cache-fixture.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';
import { listFiles, Sandbox, waitUntil, type DaemonProcess } from './support/sandbox.js';

const execFileAsync = promisify(execFile);
const DEADLINE_MS = 4000;
const WRONG_SECRET = 'NOT-THE-SECRET-1234';

interface OriginJson {
  name: string;
  kind: string;
  location: string;
  tracks: number;
  lastScan?: { errors: unknown[]; bytesFetched: string | number; scanned: number };
}

describe('an S3 bucket as an origin', () => {
  let sandbox: Sandbox;
  let s3: S3TestServer;
  let lib: string;
  let mnt: string;
  let daemon: DaemonProcess;
  let libraryBytes = 0;

  const originList = async (): Promise<OriginJson[]> => {
    const r = await sandbox.run(['origin', 'list', '--json']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { origins: OriginJson[] }).origins;
  };

  before(async () => {
    sandbox = await Sandbox.create('musicfs-s3-');
    s3 = await startS3Server({ buckets: ['music'] });
    lib = await sandbox.mkdir('lib');
    mnt = await sandbox.mkdir('mnt');
    // Realistically large tracks (~5 MB): the scan budget is a share of the library.
    await noiseFlac(join(lib, 'alpha', 'a.flac'), 90, { artist: 'Alpha', album: 'First', title: 'Song A', track: '1' }, 1);
    await noiseFlac(join(lib, 'alpha', 'b.flac'), 90, { artist: 'Alpha', album: 'First', title: 'Song B', track: '2' }, 2);
    await noiseFlac(join(lib, 'beta', 'c.flac'), 90, { artist: 'Beta', album: 'Second', title: 'Song C', track: '1' }, 3);
    await mkdir(join(lib, 'junk'), { recursive: true });
    await writeFile(join(lib, 'junk', 'broken.flac'), randomBytes(200_000));
    await writeFile(join(lib, 'junk', 'cover.jpg'), randomBytes(1000));
    for (const f of ['alpha/a.flac', 'alpha/b.flac', 'beta/c.flac', 'junk/broken.flac']) libraryBytes += (await stat(join(lib, f))).size;
    await s3.uploadFolder(lib, 'music', 'lib');
    // A profile with a wrong secret, for the bad-credentials test.
    const credentials = sandbox.path('aws-credentials');
    await writeFile(credentials, `[bad]\naws_access_key_id = S3RVER\naws_secret_access_key = ${WRONG_SECRET}\n`);
    daemon = sandbox.startMount(mnt, [s3.locationUrl('music', 'lib')], [], {
      ...s3.env,
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      MUSICFS_ORIGIN_DEADLINE_MS: String(DEADLINE_MS),
      MUSICFS_READ_TIMEOUT_MS: String(DEADLINE_MS),
    });
    await daemon.ready(60_000);
    await daemon.scansComplete(1, 120_000);
  });

  after(async () => {
    await daemon?.stopCleanly();
    const leaks = await sandbox.cleanup();
    await s3.stop();
    assert.deepEqual(leaks, []);
  });

  it('scans tags by ranged reads: the tracks appear, the broken file is counted, a few percent of the bytes fetched', async () => {
    const files = await listFiles(mnt);
    assert.deepEqual(files.sort(), ['Alpha/First/01 - Song A.flac', 'Alpha/First/02 - Song B.flac', 'Beta/Second/01 - Song C.flac']);
    const [origin] = await originList();
    assert.equal(origin!.kind, 's3');
    assert.match(origin!.location, /^s3:\/\/music\/lib\?endpoint=http:\/\/127\.0\.0\.1:\d+&path_style=1$/);
    assert.equal(origin!.lastScan!.errors.length, 1);
    const fetched = Number(origin!.lastScan!.bytesFetched);
    assert.ok(fetched > 0 && fetched < 0.05 * libraryBytes, `fetched ${fetched} of ${libraryBytes} bytes`);
  });

  it('plays byte-identical through the mount, and ffprobe reads it', async () => {
    const got = await readFile(join(mnt, 'Alpha', 'First', '01 - Song A.flac'));
    assert.ok(got.equals(await readFile(join(lib, 'alpha', 'a.flac'))));
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(mnt, 'Beta', 'Second', '01 - Song C.flac')]);
    assert.ok(Math.abs(Number(stdout.trim()) - 90) < 1, stdout);
  });

  it('musicfs origin test says what works and what does not', async () => {
    const ok = await sandbox.run(['origin', 'test', s3.locationUrl('music', 'lib')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /connect .*\n.*list +4 audio files.*\n.*read +read 65536 bytes/);
    const missing = await sandbox.run(['origin', 'test', s3.locationUrl('no-such-bucket', '')]);
    assert.equal(missing.code, 69);
    assert.match(missing.stdout, /FAIL connect .*no-such-bucket.*(does not exist|NoSuchBucket)/i);
    const refused = await sandbox.run(['origin', 'test', 's3://music/lib?endpoint=http://127.0.0.1:9&path_style=1']);
    assert.equal(refused.code, 69);
    assert.match(refused.stdout, /refused/i);
  });

  it('bad credentials are an auth error that never shows the secret', async () => {
    const r = await sandbox.run(['origin', 'test', `${s3.locationUrl('music', 'lib')}&profile=bad`]);
    assert.equal(r.code, 69, r.stdout + r.stderr);
    assert.match(r.stdout, /auth|credentials|signature/i);
    assert.ok(!r.stdout.includes(WRONG_SECRET) && !r.stderr.includes(WRONG_SECRET));
    assert.ok(!daemon.stderr.includes(WRONG_SECRET));
  });

  it('an S3 origin added at run time shows its tracks; removed, they leave the mount', async () => {
    await s3.uploadFolder(join(lib, 'beta'), 'music', 'more/beta');
    const add = await sandbox.run(['origin', 'add', s3.locationUrl('music', 'more'), '--name', 'more', '--priority', '200']);
    assert.equal(add.code, 0, add.stderr);
    await waitUntil(async () => (await originList()).find((o) => o.name === 'more')?.lastScan !== undefined, 60_000, 'the new origin to be scanned');
    const more = (await originList()).find((o) => o.name === 'more')!;
    assert.equal(more.tracks, 1);
    const rm = await sandbox.run(['origin', 'remove', 'more']);
    assert.equal(rm.code, 0, rm.stderr);
    // Song C is still held by the first origin: it stays.
    assert.ok((await listFiles(mnt)).includes('Beta/Second/01 - Song C.flac'));
    assert.equal((await originList()).length, 1);
  });

  it('with the server gone, cached tracks play and uncached ones fail with EIO within the deadline', async () => {
    const a = join(mnt, 'Alpha', 'First', '01 - Song A.flac');
    const expected = await readFile(join(lib, 'alpha', 'a.flac'));
    assert.ok((await readFile(a)).equals(expected)); // read once more: surely cached now
    await s3.stop();
    assert.ok((await readFile(a)).equals(expected), 'a cached track plays without its origin');
    const started = performance.now();
    await assert.rejects(readFile(join(mnt, 'Alpha', 'First', '02 - Song B.flac')), (err: NodeJS.ErrnoException) => err.code === 'EIO');
    const took = performance.now() - started;
    assert.ok(took < DEADLINE_MS + 3000, `EIO after ${Math.round(took)} ms`);
  });
});
