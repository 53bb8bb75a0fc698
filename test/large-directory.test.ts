/**
 * A folder of 10,000 tracks in the mount: listed completely, with unique
 * names, stat-able, readable; and a FUSE op is never blocked by the scan
 * (the mount answers while 10,000 files are being read).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { Sandbox, type DaemonProcess } from './support/sandbox.js';
import { flacWithTags, makeBaseAudio, vorbisComments } from './support/tagged-audio.js';

const execFileAsync = promisify(execFile);
const N = 10_000;
const ALBUM_DIR = 'Big Band/Ten Thousand';

describe('a folder of 10,000 tracks', () => {
  let sandbox: Sandbox;
  let mnt: string;
  let daemon: DaemonProcess;
  let base: Buffer;

  before(async () => {
    sandbox = await Sandbox.create();
    const scratch = await sandbox.mkdir('scratch');
    base = (await makeBaseAudio(scratch, { frequency: 330, sampleRate: 8000, durationSec: 1 })).flac;
    const origin = await sandbox.mkdir('music');
    // Flat batches, as a dump of downloads looks.
    for (let batch = 0; batch < N / 1000; batch++) {
      const dir = `${origin}/batch-${batch}`;
      await mkdir(dir);
      await Promise.all(
        Array.from({ length: 1000 }, (_, i) => {
          const n = batch * 1000 + i + 1;
          const tags = vorbisComments({ artist: 'Big Band', album: 'Ten Thousand', title: `Track ${String(n).padStart(5, '0')}`, track: n });
          return writeFile(`${dir}/t${n}.flac`, flacWithTags(base, tags));
        }),
      );
    }
    mnt = await sandbox.mkdir('mnt');
    daemon = sandbox.startMount(mnt, [origin]);
    await daemon.ready();
  });

  after(async () => {
    if (daemon && !daemon.hasExited) assert.equal((await daemon.stop()).code, 0);
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('keeps answering lookups while the scan runs', async () => {
    // The mount is usable before the scan ends: the root answers at once and
    // files appear progressively.
    let answered = 0;
    while (!/scan complete/.test(daemon.stdout)) {
      await readdir(mnt);
      answered++;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(answered > 0);
  });

  it('lists all 10,000 entries, unique and in one folder', async () => {
    await daemon.scansComplete(1, 120_000);
    const names = await readdir(`${mnt}/${ALBUM_DIR}`);
    assert.equal(names.length, N);
    assert.equal(new Set(names).size, N);
    assert.ok(names.includes('10000 - Track 10000.flac'));
    assert.ok(names.includes('01 - Track 00001.flac'));
  });

  it('ls -l stats every entry', async () => {
    const { stdout } = await execFileAsync('ls', ['-l', `${mnt}/${ALBUM_DIR}`], { maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout.trim().split('\n').filter((l) => l.startsWith('-r--r--r--'));
    assert.equal(lines.length, N);
  });

  it('find counts every file and folder', async () => {
    const { stdout } = await execFileAsync('find', [mnt], { maxBuffer: 64 * 1024 * 1024 });
    assert.equal(stdout.trim().split('\n').length, N + 3); // root, artist, album
  });

  it('reads the first and last tracks exactly', async () => {
    const names = (await readdir(`${mnt}/${ALBUM_DIR}`)).sort();
    for (const name of [names[0]!, names[names.length - 1]!]) {
      const st = await stat(`${mnt}/${ALBUM_DIR}/${name}`);
      const data = await readFile(`${mnt}/${ALBUM_DIR}/${name}`);
      assert.equal(data.length, st.size);
      assert.equal(data.subarray(0, 4).toString('latin1'), 'fLaC');
    }
  });
});
