/**
 * The real `musicfs` CLI against a real daemon: every command a user types,
 * human output and --json, exit codes, Ctrl-C, and no daemon at all.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeFlac } from './support/audio.js';
import { isMounted, listFiles, MUSICFS_BIN, Sandbox, sleep, waitUntil, type DaemonProcess } from './support/sandbox.js';

describe('musicfs CLI against a running daemon', () => {
  let sandbox: Sandbox;
  let daemon: DaemonProcess;
  let mnt: string;
  const run = (...args: string[]) => sandbox.run(args);

  before(async () => {
    sandbox = await Sandbox.create();
    await makeFlac(sandbox.path('jazz', '1.flac'), { artist: 'Miles Davis', album: 'Kind of Blue', title: 'So What', track: 1 }, 300);
    await makeFlac(sandbox.path('jazz', '2.flac'), { artist: 'Miles Davis', album: 'Kind of Blue', title: 'Blue in Green', track: 3 }, 330);
    await makeFlac(sandbox.path('more', 'x.flac'), { artist: 'Sigur Rós', album: 'Takk', title: 'Hoppípolla', track: 2 }, 360);
    mnt = await sandbox.mkdir('mnt');
    daemon = sandbox.startMount(mnt, [sandbox.path('jazz')]);
    await daemon.ready();
    await daemon.scansComplete(1);
  });

  after(async () => {
    if (daemon && !daemon.hasExited) await daemon.stop();
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('status: a readable summary, and --json', async () => {
    const human = await run('status');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(mnt.replace(/[/.]/g, '\\$&')));
    assert.match(human.stdout, /2 tracks|tracks\s+2/);
    const json = await run('status', '--json');
    const s = JSON.parse(json.stdout) as { pid: number; tracks: number; mount: { mounted: boolean } };
    assert.equal(s.pid, daemon.pid);
    assert.equal(s.tracks, 2);
    assert.equal(s.mount.mounted, true);
  });

  it('search: table by default, JSON with --json, field filters', async () => {
    const table = await run('search', 'miles');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /So What/);
    assert.match(table.stdout, /2 of 2 matches/);
    const json = JSON.parse((await run('search', 'title:blue', '--json')).stdout) as { tracks: { path: string }[] };
    assert.deepEqual(json.tracks.map((t) => t.path), ['Miles Davis/Kind of Blue/03 - Blue in Green.flac']);
    const bad = await run('search', 'colour:blue');
    assert.equal(bad.code, 64);
    assert.match(bad.stderr, /^musicfs: .*colour/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  it('origin add / list / rescan / health / disable / enable / remove', async () => {
    const add = await run('origin', 'add', sandbox.path('more'));
    assert.equal(add.code, 0, add.stderr);
    await waitUntil(async () => (await listFiles(mnt)).some((p) => p.startsWith('Sigur Rós/')), 20_000, 'the new origin in the mount');
    const list = await run('origin', 'list');
    assert.match(list.stdout, /jazz/);
    assert.match(list.stdout, /more/);
    const listed = JSON.parse((await run('origin', 'list', '--json')).stdout) as { origins: { name: string; tracks: number }[] };
    assert.deepEqual(listed.origins.map((o) => [o.name, o.tracks]), [['jazz', 2], ['more', 1]]);

    const rescan = await run('origin', 'rescan', 'jazz');
    assert.equal(rescan.code, 0, rescan.stderr);
    assert.match(rescan.stdout + rescan.stderr, /2 scanned.*2 unchanged/s);
    const ndjson = (await run('origin', 'rescan', 'jazz', '--json')).stdout.trim().split('\n').map((l) => JSON.parse(l) as { origin: string; report?: { unchanged: number } });
    assert.equal(ndjson[ndjson.length - 1]!.report?.unchanged, 2);

    const health = await run('origin', 'health', '--check');
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stdout, /healthy/i);

    assert.equal((await run('origin', 'disable', 'more')).code, 0);
    await waitUntil(async () => !(await listFiles(mnt)).some((p) => p.startsWith('Sigur Rós/')), 20_000, 'the disabled origin to leave');
    assert.equal((await run('origin', 'enable', 'more')).code, 0);
    await waitUntil(async () => (await listFiles(mnt)).some((p) => p.startsWith('Sigur Rós/')), 20_000, 'the enabled origin to come back');
    assert.equal((await run('origin', 'remove', 'more')).code, 0);
    const missing = await run('origin', 'remove', 'more');
    assert.equal(missing.code, 66);
    assert.match(missing.stderr, /no origin named "more"/);
  });

  it('events: NDJSON while reading through the mount; Ctrl-C ends it cleanly', async () => {
    const child = spawn(MUSICFS_BIN, ['events', '--type', 'track_opened', '--json'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await sleep(700);
    await readFile(`${mnt}/Miles Davis/Kind of Blue/01 - So What.flac`);
    await waitUntil(() => out.includes('\n'), 15_000, 'an event line');
    child.kill('SIGINT');
    assert.equal(await exited, 0);
    const event = JSON.parse(out.trim().split('\n')[0]!) as { type: string; origin: string; trackOpened: { path: string } };
    assert.equal(event.type, 'TRACK_OPENED');
    assert.equal(event.origin, 'jazz');
    assert.equal(event.trackOpened.path, '/Miles Davis/Kind of Blue/01 - So What.flac');
  });

  it('config get / set (persisted) and an unknown key', async () => {
    const set = await run('config', 'set', 'log_level', 'debug');
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await run('config', 'get', 'log_level')).stdout.trim(), 'debug');
    assert.match(await readFile(sandbox.path('state', 'config', 'musicfs', 'config.toml'), 'utf8'), /^log_level = "debug"$/m);
    const all = await run('config', 'get');
    assert.match(all.stdout, /mount\.read_timeout_ms/);
    const bad = await run('config', 'set', 'no.such.key', '1');
    assert.equal(bad.code, 78);
    assert.match(bad.stderr, /unknown key "no\.such\.key"/);
    await run('config', 'set', 'log_level', 'info');
  });

  it('unmount, then `musicfs mount` asks the running daemon to mount again', async () => {
    const off = await run('unmount');
    assert.equal(off.code, 0, off.stderr);
    assert.equal(await isMounted(mnt), false);
    const on = await run('mount', mnt);
    assert.equal(on.code, 0, on.stderr);
    assert.match(on.stdout, /mounted/);
    assert.ok(await isMounted(mnt));
    assert.equal((await listFiles(mnt)).length, 2);
  });

  it('completion scripts name the commands', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = await run('completion', shell);
      assert.equal(r.code, 0, r.stderr);
      for (const word of ['mount', 'search', 'origin', 'rescan', 'events', 'config', 'shutdown']) assert.match(r.stdout, new RegExp(word), `${shell}: ${word}`);
    }
  });

  it('shutdown --wait stops the daemon, which unmounts and exits 0', async () => {
    const r = await run('shutdown', '--wait');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await daemon.wait()).code, 0);
    assert.equal(await isMounted(mnt), false);
  });

  it('with no daemon: a clear message and exit 69', async () => {
    for (const cmd of [['status'], ['search', 'x'], ['origin', 'list'], ['shutdown']]) {
      const r = await run(...cmd);
      assert.equal(r.code, 69, `${cmd.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^musicfs: no MusicFS daemon is running/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });
});
