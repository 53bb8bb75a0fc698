import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { SftpLocation } from '../../../../src-shared/origin-location.js';
import { clearSecretsForTesting, redactSecrets } from '../../base/secrets.js';
import { CredentialsError, describeLoginMethods, expandHome, loadSftpCredentials, type KeyChecker } from './sftp-credentials.js';

const base: SftpLocation = { type: 'sftp', host: 'h', port: 22, path: '', agent: true, connections: 4 };
const anyKey: KeyChecker = () => undefined;
const encrypted: KeyChecker = () => 'is protected by a passphrase';

describe('loadSftpCredentials', () => {
  let dir: string;
  let home: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'musicfs-creds-'));
    home = join(dir, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(join(dir, 'key'), 'PRIVATE KEY');
    await writeFile(join(dir, 'password'), 'hunter2-secret\nsecond line ignored\n');
    await writeFile(join(dir, 'empty-password'), '\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(() => clearSecretsForTesting());

  test('identity file, agent and password file, in that order; user defaults to the local one', async () => {
    const c = await loadSftpCredentials(
      { ...base, identity: join(dir, 'key'), passwordFile: join(dir, 'password') },
      { env: { SSH_AUTH_SOCK: '/run/agent.sock' }, checkKey: anyKey, home },
    );
    assert.equal(c.username, userInfo().username);
    assert.deepEqual(
      c.identities.map((i) => i.file),
      [join(dir, 'key')],
    );
    assert.equal(c.agent, '/run/agent.sock');
    assert.equal(c.password, 'hunter2-secret', 'first line only');
    assert.equal(describeLoginMethods(c), `key ${join(dir, 'key')}, ssh-agent, password from file ${join(dir, 'password')}`);
  });

  test('a password read is scrubbed from log lines', async () => {
    await loadSftpCredentials({ ...base, passwordEnv: 'MUSIC_PW' }, { env: { MUSIC_PW: 'sw0rdfish!' }, checkKey: anyKey, home });
    assert.equal(redactSecrets('login with sw0rdfish! failed'), 'login with *** failed');
  });

  test('agent=0 ignores $SSH_AUTH_SOCK; an explicit user wins', async () => {
    const c = await loadSftpCredentials({ ...base, user: 'music', agent: false, passwordEnv: 'PW' }, { env: { SSH_AUTH_SOCK: '/a', PW: 'longpassword' }, checkKey: anyKey, home });
    assert.equal(c.agent, undefined);
    assert.equal(c.username, 'music');
  });

  test('default keys in ~/.ssh when no identity is given; passphrase-protected ones left to the agent', async () => {
    await writeFile(join(home, '.ssh', 'id_ed25519'), 'KEY');
    const c = await loadSftpCredentials(base, { env: {}, checkKey: anyKey, home });
    assert.deepEqual(
      c.identities.map((i) => i.file),
      [join(home, '.ssh', 'id_ed25519')],
    );
    await assert.rejects(loadSftpCredentials(base, { env: {}, checkKey: encrypted, home }), CredentialsError);
  });

  test('problems are CredentialsErrors that say what to fix, never the password', async () => {
    await assert.rejects(loadSftpCredentials({ ...base, identity: join(dir, 'missing') }, { env: {}, checkKey: anyKey, home }), /identity file .*missing cannot be read \(ENOENT\)/);
    await assert.rejects(loadSftpCredentials({ ...base, passwordFile: join(dir, 'nope') }, { env: {}, checkKey: anyKey, home }), /password file .*nope cannot be read/);
    await assert.rejects(loadSftpCredentials({ ...base, passwordFile: join(dir, 'empty-password') }, { env: {}, checkKey: anyKey, home }), /is empty/);
    await assert.rejects(loadSftpCredentials({ ...base, passwordEnv: 'UNSET_PW' }, { env: {}, checkKey: anyKey, home }), /UNSET_PW .* is not set/);
    await assert.rejects(loadSftpCredentials({ ...base, identity: join(dir, 'key') }, { env: {}, checkKey: encrypted, home }), /key is protected by a passphrase.*no identity file, ssh-agent/);
    await assert.rejects(loadSftpCredentials(base, { env: {}, checkKey: anyKey, home: join(dir, 'nohome') }), /no way to log in/);
  });

  test('a passphrase-protected key with an agent: the agent is tried, the key noted as unusable', async () => {
    const c = await loadSftpCredentials({ ...base, identity: join(dir, 'key') }, { env: { SSH_AUTH_SOCK: '/a' }, checkKey: encrypted, home });
    assert.deepEqual(c.identities, []);
    assert.equal(c.agent, '/a');
    assert.match(c.unusable[0]!, /protected by a passphrase/);
  });

  test('~ expands to the home folder', () => {
    assert.equal(expandHome('~/.ssh/known_hosts', '/home/me'), '/home/me/.ssh/known_hosts');
    assert.equal(expandHome('/abs/~/x', '/home/me'), '/abs/~/x');
  });
});
