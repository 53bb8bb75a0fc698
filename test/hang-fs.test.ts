/**
 * The hanging FUSE folder: serves its source byte for byte, holds every op
 * while hung (an async stat does not settle), serves the held ops once
 * resumed, and stop() leaves no mount and no process even while ops hang or
 * after its server was killed.
 *
 * The mount is only ever touched with async fs calls raced against timers: a
 * sync call on a hung mount would block this whole process.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, stat, statfs, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHangFs, isListedInMountinfo, type HangFs } from './support/hang-fs.js';
import { listFiles, Sandbox, waitUntil } from './support/sandbox.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

type Outcome<T> = { value: T } | { error: unknown };

/** `p` as an outcome that never rejects: a call stuck on the mount must not end as an unhandled rejection. */
function outcomeOf<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** The outcome, or 'pending' if it has not come within `ms` (the call keeps running). */
async function within<T>(outcome: Promise<Outcome<T>>, ms: number): Promise<Outcome<T> | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([outcome, new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)))]);
  clearTimeout(timer);
  return result;
}

const describeOutcome = (o: Outcome<unknown> | 'pending'): string => (o === 'pending' ? 'pending' : 'error' in o ? String(o.error) : 'a value');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of processes whose command line names `path` (a FUSE server or fusermount helper left behind). */
async function processesNaming(path: string): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const found: number[] = [];
  for (const pid of pids) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(path)) found.push(Number(pid));
  }
  return found;
}

describe('hang-fs', () => {
  let sandbox: Sandbox;
  let source: string;
  const started: HangFs[] = [];

  async function start(name: string): Promise<HangFs> {
    const fs = await startHangFs({ source, mountPoint: sandbox.path(name) });
    started.push(fs);
    return fs;
  }

  before(async () => {
    sandbox = await Sandbox.create('musicfs-hangfs-');
    source = await sandbox.mkdir('source');
    await mkdir(join(source, 'album', 'disc 2'), { recursive: true });
    await writeFile(join(source, 'track.flac'), randomBytes(3 * 1024 * 1024 + 17));
    await writeFile(join(source, 'album', 'cover.jpg'), randomBytes(200_000));
    await writeFile(join(source, 'album', 'disc 2', 'notes.txt'), 'liner notes\n');
  });

  after(async () => {
    // stop() first: it is what frees pool threads stuck on a hung mount.
    await Promise.all(started.map((fs) => fs.stop()));
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, [], 'the test left processes or mounts behind');
  });

  it('serves the source folder byte for byte, read-only', async () => {
    const fs = await start('mnt-serve');
    assert.ok(await isListedInMountinfo(fs.mountPoint));
    const files = await listFiles(source);
    assert.deepEqual(await listFiles(fs.mountPoint), files);
    for (const f of files) {
      assert.equal(sha(await readFile(join(fs.mountPoint, f))), sha(await readFile(join(source, f))), f);
    }
    assert.equal((await stat(join(fs.mountPoint, 'track.flac'))).size, 3 * 1024 * 1024 + 17);
    assert.ok((await statfs(fs.mountPoint)).blocks > 0);
    await assert.rejects(writeFile(join(fs.mountPoint, 'new.txt'), 'x'), { code: 'EROFS' });
    await fs.stop();
    assert.equal(await isListedInMountinfo(fs.mountPoint), false);
  });

  it('hang() holds every op; resume() serves the held ones and later ones', async () => {
    const fs = await start('mnt-hang');
    const path = join(fs.mountPoint, 'album', 'cover.jpg');
    assert.equal((await stat(path)).size, 200_000);

    await fs.hang();
    const held = outcomeOf(stat(path));
    assert.equal(await within(held, 500), 'pending', 'a stat on the hung mount answered');
    await waitUntil(async () => (await fs.heldOps()) >= 1, 5000, 'the stat to be held by the server');

    await fs.resume();
    const outcome = await within(held, 5000);
    assert.ok(outcome !== 'pending' && 'value' in outcome, `the held stat did not succeed after resume: ${describeOutcome(outcome)}`);
    assert.equal(outcome.value.size, 200_000);
    assert.equal(sha(await readFile(path)), sha(await readFile(join(source, 'album', 'cover.jpg'))));
    assert.equal(await fs.heldOps(), 0);
    await fs.stop();
  });

  it('stop() while ops hang leaves no mount and no process, and releases the stuck calls', async () => {
    const fs = await start('mnt-stop');
    await fs.hang();
    const stuck: Promise<Outcome<unknown>>[] = [outcomeOf(stat(join(fs.mountPoint, 'track.flac'))), outcomeOf(readFile(join(fs.mountPoint, 'album', 'disc 2', 'notes.txt')))];
    // libfuse 2 has no parallel lookups: the second call waits in the kernel behind the first, held one.
    await waitUntil(async () => (await fs.heldOps()) >= 1, 5000, 'a call to be held');
    for (const call of stuck) assert.equal(await within(call, 300), 'pending', 'a call on the hung mount answered');

    await Promise.all([fs.stop(), fs.stop()]);
    assert.equal(await isListedInMountinfo(fs.mountPoint), false, 'still mounted');
    assert.equal(isAlive(fs.pid), false, `server ${fs.pid} still running`);
    for (const call of stuck) {
      const outcome = await within(call, 5000);
      assert.ok(outcome !== 'pending' && 'error' in outcome, `a hung call did not fail after stop: ${describeOutcome(outcome)}`);
    }
    await waitUntil(async () => (await processesNaming(fs.mountPoint)).length === 0, 5000, `no process naming ${fs.mountPoint}`);
  });

  it('stop() cleans up after a server that was killed mid-hang', async () => {
    const fs = await start('mnt-killed');
    await fs.hang();
    const stuck = outcomeOf(stat(join(fs.mountPoint, 'track.flac')));
    await waitUntil(async () => (await fs.heldOps()) >= 1, 5000, 'the stat to be held');
    process.kill(fs.pid, 'SIGKILL');
    // The kernel fails the requests of a dead FUSE server.
    const outcome = await within(stuck, 5000);
    assert.ok(outcome !== 'pending' && 'error' in outcome, `the hung stat did not fail after its server died: ${describeOutcome(outcome)}`);

    await fs.stop();
    assert.equal(await isListedInMountinfo(fs.mountPoint), false, 'still mounted');
    await waitUntil(async () => (await processesNaming(fs.mountPoint)).length === 0, 5000, `no process naming ${fs.mountPoint}`);
  });
});
