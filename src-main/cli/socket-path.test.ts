import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveSocketPath, socketFromConfig } from './socket-path.js';

describe('socket path resolution', () => {
  let dir: string;
  let configHome: string;
  const writeConfig = (text: string): void => writeFileSync(join(configHome, 'musicfs', 'config.toml'), text);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'musicfs-socket-'));
    configHome = join(dir, 'config');
    mkdirSync(join(configHome, 'musicfs'), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--socket first, relative to the working directory', () => {
    writeConfig('[control]\nsocket = "/from/config.sock"\n');
    const env = { XDG_CONFIG_HOME: configHome, MUSICFS_CONTROL_SOCKET: '/from/env.sock' };
    assert.equal(resolveSocketPath('/given.sock', env, '/cwd'), '/given.sock');
    assert.equal(resolveSocketPath('rel/given.sock', env, '/cwd'), '/cwd/rel/given.sock');
  });

  it('then $MUSICFS_CONTROL_SOCKET (when not empty)', () => {
    writeConfig('[control]\nsocket = "/from/config.sock"\n');
    assert.equal(resolveSocketPath(undefined, { XDG_CONFIG_HOME: configHome, MUSICFS_CONTROL_SOCKET: '/from/env.sock' }, '/cwd'), '/from/env.sock');
    assert.equal(resolveSocketPath(undefined, { XDG_CONFIG_HOME: configHome, MUSICFS_CONTROL_SOCKET: '' }, '/cwd'), '/from/config.sock');
  });

  it('then control.socket of config.toml, when set and not empty', () => {
    writeConfig('log_level = "info"\n[control]\nsocket = "/from/config.sock"\n');
    assert.equal(resolveSocketPath(undefined, { XDG_CONFIG_HOME: configHome, XDG_RUNTIME_DIR: '/run/user/7' }, '/cwd'), '/from/config.sock');
    writeConfig('[control]\nsocket = ""\n');
    assert.equal(resolveSocketPath(undefined, { XDG_CONFIG_HOME: configHome, XDG_RUNTIME_DIR: '/run/user/7' }, '/cwd'), '/run/user/7/musicfs/control.sock');
  });

  it('a broken or odd config file is ignored', () => {
    for (const text of ['this is = = not toml', '[control]\nsocket = 5\n', 'control = "x"\n']) {
      writeConfig(text);
      assert.equal(socketFromConfig(join(configHome, 'musicfs', 'config.toml')), undefined, text);
      assert.equal(resolveSocketPath(undefined, { XDG_CONFIG_HOME: configHome, XDG_RUNTIME_DIR: '/run/user/7' }, '/cwd'), '/run/user/7/musicfs/control.sock');
    }
    assert.equal(socketFromConfig(join(dir, 'missing.toml')), undefined);
  });

  it('finally $XDG_RUNTIME_DIR/musicfs/control.sock', () => {
    assert.equal(resolveSocketPath(undefined, { XDG_CONFIG_HOME: join(dir, 'none'), XDG_RUNTIME_DIR: '/run/user/1000' }, '/cwd'), '/run/user/1000/musicfs/control.sock');
  });
});
