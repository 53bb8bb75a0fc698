import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../base/logger.js';
import { CacheDiskError } from './cache-errors.js';
import { ChunkStore, isChunkHash } from './chunk-store.js';

let tmp: string;
let n = 0;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-chunks-'));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const newStore = (): Promise<ChunkStore> => ChunkStore.open(join(tmp, `store-${++n}`, 'chunks'), silentLogger);

function chunk(size = 64 * 1024): { hash: string; data: Buffer } {
  const data = randomBytes(size);
  return { hash: createHash('sha256').update(data).digest('hex'), data };
}

async function collect(store: ChunkStore): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for await (const { hash, size } of store.list()) found.set(hash, size);
  return found;
}

describe('ChunkStore', () => {
  test('open creates the folder (0700); put/get round-trip under dir/ab/<hash> (0600)', async () => {
    const store = await newStore();
    assert.equal((await stat(store.dir)).mode & 0o777, 0o700);
    const { hash, data } = chunk();
    await store.put(hash, data);
    assert.equal(store.pathOf(hash), join(store.dir, hash.slice(0, 2), hash));
    const st = await stat(store.pathOf(hash));
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal((await stat(join(store.dir, hash.slice(0, 2)))).mode & 0o777, 0o700);
    assert.deepEqual(await store.get(hash), data);
    assert.deepEqual(await store.get(hash, data.length), data);
    assert.equal(await store.has(hash), true);
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), [], 'no temp file is left behind');
  });

  test('put is idempotent, and concurrent puts of one chunk share one write', async () => {
    const store = await newStore();
    const { hash, data } = chunk(200 * 1024);
    await Promise.all([store.put(hash, data), store.put(hash, data), store.put(hash, data)]);
    const before = await stat(store.pathOf(hash));
    await store.put(hash, data);
    const again = await stat(store.pathOf(hash));
    assert.equal(again.ino, before.ino, 'an existing chunk is not rewritten');
    assert.deepEqual(await store.get(hash), data);
  });

  test('refuses hashes that are not 64 lowercase hex digits (no path tricks)', async () => {
    const store = await newStore();
    const { hash, data } = chunk(10);
    for (const bad of ['', '../../etc/passwd', hash.toUpperCase(), hash.slice(1), `${hash}0`, `ab/${hash.slice(3)}`, `..${hash.slice(2)}`]) {
      await assert.rejects(store.put(bad, data), RangeError, bad);
      await assert.rejects(store.get(bad), RangeError, bad);
      await assert.rejects(store.delete(bad), RangeError, bad);
      assert.throws(() => store.pathOf(bad), RangeError, bad);
    }
    assert.equal(isChunkHash(hash), true);
  });

  test('a missing chunk is undefined; delete of a missing chunk is fine', async () => {
    const store = await newStore();
    const { hash } = chunk(10);
    assert.equal(await store.get(hash), undefined);
    assert.equal(await store.has(hash), false);
    await store.delete(hash);
    assert.deepEqual(store.stats, { corrupt: 0, readErrors: 0 });
  });

  test('a chunk whose bytes do not match its hash is deleted and reported as missing', async () => {
    const store = await newStore();
    const { hash, data } = chunk();
    await store.put(hash, data);
    const flipped = Buffer.from(data);
    flipped[1000] = flipped[1000]! ^ 0xff;
    await writeFile(store.pathOf(hash), flipped);
    assert.equal(await store.get(hash), undefined);
    assert.equal(store.stats.corrupt, 1);
    assert.equal(await store.has(hash), false, 'the corrupt file is gone');
    // The caller fetches it again and puts it back.
    await store.put(hash, data);
    assert.deepEqual(await store.get(hash), data);
  });

  test('a short chunk (torn by a power loss) or one of an unexpected length is corrupt', async () => {
    const store = await newStore();
    const a = chunk();
    await store.put(a.hash, a.data);
    await truncate(store.pathOf(a.hash), 1000);
    assert.equal(await store.get(a.hash), undefined);
    assert.equal(await store.has(a.hash), false);

    const b = chunk();
    await store.put(b.hash, b.data);
    assert.equal(await store.get(b.hash, b.data.length + 1), undefined, 'expected length differs');
    assert.equal(await store.has(b.hash), false);
    assert.equal(store.stats.corrupt, 2);
  });

  test('put rewrites a file of the wrong size that is already there', async () => {
    const store = await newStore();
    const { hash, data } = chunk();
    await store.put(hash, data);
    await truncate(store.pathOf(hash), 10);
    await store.put(hash, data);
    assert.deepEqual(await store.get(hash), data);
  });

  test('a read error is a miss, counted, never wrong bytes', async () => {
    const store = await newStore();
    const { hash } = chunk(10);
    // A folder where the chunk should be: open succeeds, read fails with EISDIR.
    await mkdir(store.pathOf(hash), { recursive: true });
    assert.equal(await store.get(hash), undefined);
    assert.equal(store.stats.readErrors, 1);
    assert.equal(store.stats.corrupt, 0);
  });

  test('list yields every chunk with its size, removes stale temp files, skips foreign files', async () => {
    const store = await newStore();
    const chunks = [chunk(100), chunk(2000), chunk(70_000)];
    for (const c of chunks) await store.put(c.hash, c.data);
    await writeFile(join(store.dir, 'tmp', `${chunks[0]!.hash}.999.1`), 'half a chunk from a crash');
    await writeFile(join(store.dir, chunks[1]!.hash.slice(0, 2), 'notes.txt'), 'not a chunk');
    await writeFile(join(store.dir, 'README'), 'not a chunk either');
    const found = await collect(store);
    assert.deepEqual(found, new Map(chunks.map((c) => [c.hash, c.data.length])));
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
    assert.ok((await readdir(join(store.dir, chunks[1]!.hash.slice(0, 2)))).includes('notes.txt'), 'foreign files are left alone');
  });

  test('a disk error on put is a CacheDiskError with path, operation and cause; no temp file is left', async () => {
    const store = await newStore();
    const { hash, data } = chunk(10);
    await writeFile(join(store.dir, hash.slice(0, 2)), 'a file where the fan-out folder should be');
    const err = await store.put(hash, data).then(
      () => assert.fail('put should fail'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof CacheDiskError);
    assert.equal(err.problem, 'io');
    assert.equal(err.op, 'create chunk folder');
    assert.equal(err.path, join(store.dir, hash.slice(0, 2)));
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'EEXIST');
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
  });

  test('probe says the disk is fine', async () => {
    const store = await newStore();
    assert.equal(await store.probe(), undefined);
    assert.deepEqual(await readdir(join(store.dir, 'tmp')), []);
  });

  // Needs root and a kernel that lets us mount a tmpfs (skipped elsewhere).
  const canMount = process.getuid?.() === 0 && tryMountTmpfs();
  test('a full or read-only disk: put throws the kind, probe reports it and recovers', { skip: !canMount && 'needs root to mount a small tmpfs' }, async () => {
    const mnt = join(tmp, `tmpfs-${++n}`);
    await mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]);
    try {
      const store = await ChunkStore.open(join(mnt, 'chunks'), silentLogger);
      const small = chunk(1000);
      await store.put(small.hash, small.data);
      const big = chunk(1024 * 1024);
      const err = await store.put(big.hash, big.data).then(
        () => assert.fail('put should fail'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof CacheDiskError);
      assert.equal(err.problem, 'full');
      assert.equal(err.op, 'write chunk');
      assert.deepEqual(await readdir(join(store.dir, 'tmp')), [], 'the partial temp file is removed');
      assert.equal(await store.has(big.hash), false);

      // Fill what is left, then probe.
      const filler = join(mnt, 'filler');
      await writeFile(filler, Buffer.alloc(512 * 1024)).catch(() => undefined);
      assert.equal(await store.probe(), 'full');
      await rm(filler);
      assert.equal(await store.probe(), undefined);

      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      assert.equal(await store.probe(), 'read-only');
      const err2 = await store.put(big.hash, big.data).then(
        () => assert.fail('put should fail'),
        (e: unknown) => e,
      );
      assert.ok(err2 instanceof CacheDiskError && err2.problem === 'read-only');
      assert.deepEqual(await store.get(small.hash), small.data, 'reads still work');
      execFileSync('mount', ['-o', 'remount,rw', mnt]);
      assert.equal(await store.probe(), undefined);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });
});

function tryMountTmpfs(): boolean {
  const probeDir = join(tmpdir(), `musicfs-mount-probe-${process.pid}`);
  try {
    execFileSync('mkdir', ['-p', probeDir]);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probeDir], { stdio: 'ignore' });
    execFileSync('umount', [probeDir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    try {
      execFileSync('rmdir', [probeDir], { stdio: 'ignore' });
    } catch {
      // best effort
    }
  }
}
