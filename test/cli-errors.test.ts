/**
 * Every way `musicfs mount` can be misused ends in one clear line on stderr,
 * a specific exit code, no stack trace, and no mount left behind.
 */
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { makeFlac } from './support/audio.js';
import { isMounted, Sandbox, type RunResult } from './support/sandbox.js';

function assertOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\s+at .+:\d+:\d+/, 'no stack trace');
}

describe('mount errors', () => {
  let sandbox: Sandbox;
  let origin: string;

  before(async () => {
    sandbox = await Sandbox.create();
    origin = sandbox.path('music');
    await makeFlac(sandbox.path('music', 'a.flac'), { artist: 'A', album: 'B', title: 'C', track: 1 });
  });

  after(async () => {
    const leaks = await sandbox.cleanup();
    assert.deepEqual(leaks, []);
  });

  it('missing mountpoint', async () => {
    const r = await sandbox.run(['mount', sandbox.path('nope'), '--origin', origin]);
    assertOneLineError(r, 66, /^musicfs: mountpoint .*nope does not exist/);
  });

  it('mountpoint that is a file', async () => {
    await writeFile(sandbox.path('file'), 'x');
    const r = await sandbox.run(['mount', sandbox.path('file'), '--origin', origin]);
    assertOneLineError(r, 66, /is not a folder/);
  });

  it('non-empty mountpoint', async () => {
    await mkdir(sandbox.path('full'));
    await writeFile(sandbox.path('full', 'x'), 'x');
    const r = await sandbox.run(['mount', sandbox.path('full'), '--origin', origin]);
    assertOneLineError(r, 73, /is not empty .*--allow-non-empty/);
  });

  it('--allow-non-empty mounts over a non-empty folder', async () => {
    await mkdir(sandbox.path('full2'));
    await writeFile(sandbox.path('full2', 'x'), 'x');
    const d = sandbox.startMount(sandbox.path('full2'), [origin], ['--allow-non-empty']);
    await d.ready();
    assert.equal((await d.stop()).code, 0);
  });

  it('mountpoint not writable by the user', async () => {
    // Root bypasses permissions: run as nobody, over folders nobody can traverse.
    await chmod(sandbox.dir, 0o755);
    await chmod(sandbox.path('music'), 0o755);
    await mkdir(sandbox.path('locked'), { mode: 0o755 });
    const home = await sandbox.mkdir('nobody-home');
    await chown(home, 65534, 65534);
    const r = await sandbox.run(['mount', sandbox.path('locked'), '--origin', origin], {
      wrapper: ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'],
      env: { HOME: home, XDG_CONFIG_HOME: `${home}/config`, XDG_DATA_HOME: `${home}/data`, XDG_CACHE_HOME: `${home}/cache`, XDG_RUNTIME_DIR: `${home}/run` },
    });
    assertOneLineError(r, 73, /not writable by this user/);
  });

  it('missing origin', async () => {
    const r = await sandbox.run(['mount', await sandbox.mkdir('m1'), '--origin', sandbox.path('no-music')]);
    assertOneLineError(r, 66, /origin folder .*no-music does not exist/);
  });

  it('origin that is a file', async () => {
    await writeFile(sandbox.path('notdir'), 'x');
    const r = await sandbox.run(['mount', await sandbox.mkdir('m2'), '--origin', sandbox.path('notdir')]);
    assertOneLineError(r, 66, /is not a folder/);
  });

  it('no origin at all', async () => {
    const r = await sandbox.run(['mount', await sandbox.mkdir('m3')]);
    assertOneLineError(r, 64, /--origin/);
  });

  it('FUSE unavailable (no /dev/fuse)', async () => {
    // A private mount namespace with a /dev that has no fuse device.
    const script = 'set -e; d=$(mktemp -d); mount -t tmpfs tmpfs "$d"; for n in null zero urandom random; do touch "$d/$n"; mount --bind /dev/$n "$d/$n"; done; mount --move "$d" /dev; exec "$@"';
    const mp = await sandbox.mkdir('m4');
    const r = await sandbox.run(['mount', mp, '--origin', origin], { wrapper: ['unshare', '--mount', 'sh', '-c', script, 'sh'] });
    assertOneLineError(r, 69, /FUSE is not available: \/dev\/fuse does not exist/);
    assert.equal(await isMounted(mp), false);
  });

  it('invalid layout template', async () => {
    const r = await sandbox.run(['mount', await sandbox.mkdir('m5'), '--origin', origin, '--layout', '{albumartist}/{albun}/{title}']);
    assertOneLineError(r, 64, /unknown field "albun"/);
  });

  it('invalid config file: unknown key and wrong type name the key and line', async () => {
    const configDir = await sandbox.mkdir('cfg', 'musicfs');
    await writeFile(`${configDir}/config.toml`, '# MusicFS\nlog_level = "info"\n\n[mount]\nread_timout_ms = 5000\n');
    let r = await sandbox.run(['mount', await sandbox.mkdir('m6'), '--origin', origin], { env: { XDG_CONFIG_HOME: sandbox.path('cfg') } });
    assertOneLineError(r, 78, /config\.toml:5: unknown key "mount\.read_timout_ms"/);
    await writeFile(`${configDir}/config.toml`, 'log_level = "loud"\n');
    r = await sandbox.run(['mount', sandbox.path('m6'), '--origin', origin], { env: { XDG_CONFIG_HOME: sandbox.path('cfg') } });
    assertOneLineError(r, 78, /config\.toml:1: log_level must be one of debug, info, warn, error/);
    await writeFile(`${configDir}/config.toml`, 'layout = \n');
    r = await sandbox.run(['mount', sandbox.path('m6'), '--origin', origin], { env: { XDG_CONFIG_HOME: sandbox.path('cfg') } });
    assertOneLineError(r, 78, /config\.toml:1:\d+: /);
  });

  it('unknown command and unknown option are usage errors', async () => {
    let r = await sandbox.run(['frobnicate']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown command/);
    r = await sandbox.run(['mount', sandbox.path('m1'), '--origin', origin, '--bogus']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown option/);
  });

  it('--help and --version exit 0', async () => {
    const help = await sandbox.run(['mount', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--origin <location>/);
    const version = await sandbox.run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
