import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../base/logger.js';
import { LocalOrigin } from '../origins/local-origin.js';
import type { Origin } from '../origins/origin.js';
import { FileReader } from './file-reader.js';
import type { FileNode, Replica } from './library-tree.js';
import { VfsError, type VfsErrorCode } from './vfs-error.js';

const SIZE = 200_000;
const content = Buffer.alloc(SIZE);
for (let i = 0, s = 7; i < SIZE; i++) {
  s = (s * 1_103_515_245 + 12_345) >>> 0;
  content[i] = s >>> 16;
}

const isVfsError = (code: VfsErrorCode) => (err: unknown): boolean => {
  assert.ok(err instanceof VfsError, `expected a VfsError, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  return true;
};

let tmp: string;
let n = 0;
const origins = new Map<number, Origin>();
const lookup = { origin: (id: number): Origin | undefined => origins.get(id) };
const readers: FileReader[] = [];

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'musicfs-'));
});

after(async () => {
  for (const r of readers) await r.closeAll();
  for (const o of origins.values()) await o.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** Two origins, each a real folder holding `song.flac` with the same bytes. */
async function twoReplicas(): Promise<{ node: FileNode; dirs: [string, string]; reader: FileReader; warnings: string[] }> {
  const dirs: string[] = [];
  const replicas: Replica[] = [];
  for (let i = 0; i < 2; i++) {
    const id = ++n;
    const dir = join(tmp, `origin-${id}`);
    await mkdir(dir);
    await writeFile(join(dir, 'song.flac'), content);
    origins.set(id, new LocalOrigin(id, `o${id}`, dir, silentLogger));
    dirs.push(dir);
    replicas.push({ originId: id, path: 'song.flac', trackId: id });
  }
  const node: FileNode = { kind: 'file', ino: 0x8000_0001, size: SIZE, mtimeMs: 0, fingerprint: 'fp', replicas };
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => void warnings.push(m), child: () => logger };
  const reader = new FileReader(lookup, logger);
  readers.push(reader);
  return { node, dirs: dirs as [string, string], reader, warnings };
}

/** Makes a replica unreadable but still openable: a folder where the file was (read gives EISDIR). */
async function replaceWithFolder(dir: string): Promise<void> {
  await unlink(join(dir, 'song.flac'));
  await mkdir(join(dir, 'song.flac'));
}

describe('FileReader', () => {
  test('reads the first replica by offset', async () => {
    const { node, reader } = await twoReplicas();
    const fh = await reader.open(node, '/song.flac');
    assert.deepEqual(await reader.read(fh, 12_345, 10_000), content.subarray(12_345, 22_345));
    assert.deepEqual(await reader.read(fh, SIZE - 3, 10), content.subarray(SIZE - 3));
    assert.equal((await reader.read(fh, SIZE + 1, 10)).length, 0);
    await reader.release(fh);
  });

  test('a replica deleted after open still reads identical bytes', async () => {
    const { node, dirs, reader } = await twoReplicas();
    const fh = await reader.open(node, '/song.flac');
    assert.deepEqual(await reader.read(fh, 0, 100), content.subarray(0, 100));
    await unlink(join(dirs[0], 'song.flac'));
    assert.deepEqual(await reader.read(fh, 150_000, 20_000), content.subarray(150_000, 170_000));
    await reader.release(fh);
    // A new open goes to the second replica.
    const again = await reader.open(node, '/song.flac');
    assert.deepEqual(await reader.read(again, 150_000, 20_000), content.subarray(150_000, 170_000));
    await reader.release(again);
  });

  test('a read that fails on the first replica continues on the second at the same offset', async () => {
    const { node, dirs, reader, warnings } = await twoReplicas();
    await replaceWithFolder(dirs[0]);
    const fh = await reader.open(node, '/song.flac');
    assert.deepEqual(await reader.read(fh, 123_457, 30_000), content.subarray(123_457, 153_457));
    assert.equal(warnings.length, 1, 'the failover is logged');
    // Later reads stay on the replica that works.
    assert.deepEqual(await reader.read(fh, 0, 50), content.subarray(0, 50));
    assert.deepEqual(await reader.read(fh, SIZE - 50, 100), content.subarray(SIZE - 50));
    assert.equal(warnings.length, 1);
    await reader.release(fh);
  });

  test('a missing first replica is passed over at open', async () => {
    const { node, dirs, reader } = await twoReplicas();
    await unlink(join(dirs[0], 'song.flac'));
    const fh = await reader.open(node, '/song.flac');
    assert.deepEqual(await reader.read(fh, 1, 1000), content.subarray(1, 1001));
    await reader.release(fh);
  });

  test('open when every replica is gone is NOT_FOUND', async () => {
    const { node, dirs, reader } = await twoReplicas();
    await unlink(join(dirs[0], 'song.flac'));
    await unlink(join(dirs[1], 'song.flac'));
    await assert.rejects(reader.open(node, '/song.flac'), isVfsError('NOT_FOUND'));
    assert.equal(reader.openCount, 0);
  });

  test('open when no origin of the file is known is IO', async () => {
    const { node, reader } = await twoReplicas();
    const orphan: FileNode = { ...node, replicas: [{ originId: 9999, path: 'song.flac', trackId: 1 }] };
    await assert.rejects(reader.open(orphan, '/song.flac'), isVfsError('IO'));
  });

  test('a read that fails on every replica is IO, and the handle stays valid to release', async () => {
    const { node, dirs, reader } = await twoReplicas();
    await replaceWithFolder(dirs[0]);
    await replaceWithFolder(dirs[1]);
    const fh = await reader.open(node, '/song.flac');
    await assert.rejects(reader.read(fh, 0, 100), isVfsError('IO'));
    await reader.release(fh);
    assert.equal(reader.openCount, 0);
  });

  test('release then read is BAD_HANDLE', async () => {
    const { node, reader } = await twoReplicas();
    const fh = await reader.open(node, '/song.flac');
    await reader.release(fh);
    await assert.rejects(reader.read(fh, 0, 1), isVfsError('BAD_HANDLE'));
  });

  test('closeAll releases every handle', async () => {
    const { node, reader } = await twoReplicas();
    const handles = [await reader.open(node, '/song.flac'), await reader.open(node, '/song.flac'), await reader.open(node, '/song.flac')];
    assert.equal(new Set(handles).size, 3);
    assert.equal(reader.openCount, 3);
    await reader.closeAll();
    assert.equal(reader.openCount, 0);
    for (const fh of handles) await assert.rejects(reader.read(fh, 0, 1), isVfsError('BAD_HANDLE'));
  });
});
