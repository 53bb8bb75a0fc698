import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { toServiceError } from '../common/api/status.js';
import { MusicFsError } from '../../src-shared/errors.js';
import { startFakeDaemon, type FakeDaemon } from './testing/fake-daemon.js';
import { runMusicfs, STATUS } from './testing/fixtures.js';

function assertOneLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\s+at .+:\d+:\d+/, 'no stack trace');
}

describe('runCli against a daemon', () => {
  let daemon: FakeDaemon;

  before(async () => {
    daemon = await startFakeDaemon({
      GetStatus: (_call, cb) => cb(null, STATUS),
      RemoveOrigin: (call, cb) =>
        cb(toServiceError(new MusicFsError('ORIGIN_NOT_FOUND', `no origin named "${call.request.name}"`, { origin: call.request.name })) as grpc.ServiceError, null),
      ListOrigins: (_call, cb) => cb(toServiceError(new Error('boom')) as grpc.ServiceError, null),
    });
  });
  after(() => daemon.close());

  it('status prints a readable summary', async () => {
    const r = await runMusicfs(['status'], { socket: daemon.socketPath });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trimEnd().split('\n');
    const row = (key: string): string => {
      const line = lines.find((l) => l.startsWith(`${key} `));
      assert.ok(line, `a "${key}" row in:\n${r.stdout}`);
      return line.slice(key.length).trim();
    };
    assert.equal(row('version'), '9.8.7');
    assert.equal(row('pid'), '4242');
    assert.equal(row('uptime'), '2h 3m');
    assert.equal(row('mounted'), '/mnt/music (2 open files)');
    assert.equal(row('library'), '1234 tracks, 150 folders, 1.5 GiB');
    assert.equal(row('origins'), '2 of 3 enabled');
    assert.equal(row('scanning'), 'no');
    assert.equal(row('catalog'), STATUS.catalogPath);
    assert.equal(row('config'), STATUS.configPath);
    assert.equal(row('socket'), STATUS.socketPath);
    assert.equal(row('metrics'), 'off');
    assert.doesNotMatch(r.stdout, /\u001b\[/, 'no colour when stdout is not a terminal');
  });

  it('status --json prints one JSON document, before or after the command', async () => {
    for (const args of [['status', '--json'], ['--json', 'status']]) {
      const r = await runMusicfs(args, { socket: daemon.socketPath });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as typeof STATUS;
      assert.equal(doc.version, '9.8.7');
      assert.equal(doc.libraryBytes, STATUS.libraryBytes);
      assert.deepEqual(doc.mount, STATUS.mount);
    }
  });

  it('--socket (before or after the command) wins over the environment', async () => {
    for (const args of [['--socket', daemon.socketPath, 'status', '--json'], ['status', '--json', '--socket', daemon.socketPath]]) {
      const r = await runMusicfs(args, { env: { MUSICFS_CONTROL_SOCKET: '/nonexistent/control.sock' } });
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it('an error with metadata is one line and its exit code', async () => {
    const r = await runMusicfs(['origin', 'remove', 'nope'], { socket: daemon.socketPath });
    assert.equal(r.code, 66);
    assert.equal(r.stdout, '');
    assertOneLine(r.stderr, /^musicfs: no origin named "nope"$/);
  });

  it('an internal error of the daemon is one line and exit 70', async () => {
    const r = await runMusicfs(['origin', 'list'], { socket: daemon.socketPath });
    assert.equal(r.code, 70);
    assertOneLine(r.stderr, /^musicfs: boom$/);
  });

  it('an RPC the daemon does not know is an internal error, not a crash', async () => {
    const r = await runMusicfs(['unmount'], { socket: daemon.socketPath });
    assert.equal(r.code, 70);
    assertOneLine(r.stderr, /^musicfs: /);
  });
});

describe('runCli without a daemon', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'musicfs-cli-nodaemon-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('exits 69 with a clear message when nothing listens', async () => {
    const socket = join(dir, 'none.sock');
    const r = await runMusicfs(['status'], { socket });
    assert.equal(r.code, 69);
    assertOneLine(r.stderr, new RegExp(`^musicfs: no MusicFS daemon is running \\(no answer on ${socket}\\); start one with`));
  });

  it('a stale socket file (nobody listening) fails fast', async () => {
    const socket = join(dir, 'stale.sock');
    // A socket left by a daemon that was killed: bound by a child that is then SIGKILLed.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    assert.ok(existsSync(socket));
    const started = Date.now();
    const r = await runMusicfs(['origin', 'list', '--json'], { socket });
    assert.equal(r.code, 69, r.stderr);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assertOneLine(r.stderr, /no MusicFS daemon is running/);
  });

  it('finds the socket in config.toml, then under $XDG_RUNTIME_DIR', async () => {
    const configHome = join(dir, 'config');
    await mkdir(join(configHome, 'musicfs'), { recursive: true });
    await writeFile(join(configHome, 'musicfs', 'config.toml'), '[control]\nsocket = "/from/config.sock"\n');
    let r = await runMusicfs(['status'], { env: { XDG_CONFIG_HOME: configHome } });
    assert.equal(r.code, 69);
    assert.match(r.stderr, /no answer on \/from\/config\.sock\)/);
    r = await runMusicfs(['status'], { env: { XDG_RUNTIME_DIR: join(dir, 'run') } });
    assert.match(r.stderr, new RegExp(`no answer on ${join(dir, 'run', 'musicfs', 'control.sock')}\\)`));
  });
});

describe('runCli usage', () => {
  it('unknown command and option: one line, exit 64', async () => {
    let r = await runMusicfs(['frobnicate']);
    assert.equal(r.code, 64);
    assertOneLine(r.stderr, /^musicfs: unknown command 'frobnicate'/);
    r = await runMusicfs(['status', '--bogus']);
    assert.equal(r.code, 64);
    assertOneLine(r.stderr, /unknown option '--bogus'/);
    r = await runMusicfs(['origin', 'update', 'music']);
    assert.equal(r.code, 64);
    assertOneLine(r.stderr, /^musicfs: nothing to update/);
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await runMusicfs(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['mount', 'daemon', 'status', 'unmount', 'shutdown', 'search', 'origin', 'events', 'config', 'completion']) {
      assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
    const version = await runMusicfs(['-V']);
    assert.equal(version.code, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  });
});
