import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  checkHostKey,
  describeHostKeyRefusal,
  fingerprintOf,
  hostFieldMatches,
  keyTypeOf,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  readKnownHosts,
} from './known-hosts.js';

const execFileAsync = promisify(execFile);

// Fixed public keys (ssh-keygen -t ed25519 / ecdsa), fingerprints from `ssh-keygen -l`.
const ED_A = 'AAAAC3NzaC1lZDI1NTE5AAAAIAWDgDxEKwd+lSPdQTCB4EsaELmIFJeJn6KsUwRFTQIs';
const ED_B = 'AAAAC3NzaC1lZDI1NTE5AAAAIHcmo8yXjW3ymZ1e7Yh8CGn0pxvR7A9j2Yx+8QJ1h4sS';
const keyA = Buffer.from(ED_A, 'base64');
const keyB = Buffer.from(ED_B, 'base64');

function hashed(name: string, salt = Buffer.from('0123456789abcdefghij')): string {
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts parsing', () => {
  test('reads plain, bracketed, listed and hashed hosts; skips comments, blanks and junk', () => {
    const lines = parseKnownHosts(
      [
        '# a comment',
        '',
        `example.org,192.0.2.1 ssh-ed25519 ${ED_A} me@laptop`,
        `[example.org]:2222 ssh-ed25519 ${ED_B}`,
        `${hashed('hashed.example')} ssh-ed25519 ${ED_A}`,
        'broken line',
        `bad.example ssh-ed25519 not*base64`,
        `mismatch.example ssh-rsa ${ED_A}`,
        `@revoked * ssh-ed25519 ${ED_B}`,
        `@cert-authority *.example ssh-ed25519 ${ED_A}`,
        `@unknown-marker x ssh-ed25519 ${ED_A}`,
      ].join('\n'),
    );
    assert.deepEqual(
      lines.map((l) => [l.line, l.marker ?? '', l.hosts, l.keyType]),
      [
        [3, '', 'example.org,192.0.2.1', 'ssh-ed25519'],
        [4, '', '[example.org]:2222', 'ssh-ed25519'],
        [5, '', hashed('hashed.example'), 'ssh-ed25519'],
        [9, 'revoked', '*', 'ssh-ed25519'],
        [10, 'cert-authority', '*.example', 'ssh-ed25519'],
      ],
    );
    assert.ok(lines[0]!.key.equals(keyA));
  });

  test('a missing file has no lines', async () => {
    assert.deepEqual(await readKnownHosts('/nonexistent/known_hosts'), []);
  });
});

describe('host matching', () => {
  test('port 22 is the bare name, other ports [host]:port, lower-case', () => {
    assert.equal(knownHostsName('Example.ORG', 22), 'example.org');
    assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  test('patterns: lists, wildcards, negation, hashes', () => {
    assert.equal(hostFieldMatches('a.example,b.example', 'b.example'), true);
    assert.equal(hostFieldMatches('A.Example', 'a.example'), true);
    assert.equal(hostFieldMatches('*.example', 'music.example'), true);
    assert.equal(hostFieldMatches('*.example', 'example'), false);
    assert.equal(hostFieldMatches('host?', 'host1'), true);
    assert.equal(hostFieldMatches('*.example,!secret.example', 'secret.example'), false);
    assert.equal(hostFieldMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222'), true);
    assert.equal(hostFieldMatches('10.0.0.1', '[10.0.0.1]:2222'), false, 'a bare entry is for port 22 only');
    assert.equal(hostFieldMatches('a.b', 'aXb'), false, 'dots are literal');
    assert.equal(hostFieldMatches(hashed('[10.0.0.1]:2222'), '[10.0.0.1]:2222'), true);
    assert.equal(hostFieldMatches(hashed('[10.0.0.1]:2222'), '[10.0.0.1]:2223'), false);
  });
});

describe('host key verdicts', () => {
  const file = parseKnownHosts(
    [
      `server.example ssh-ed25519 ${ED_A}`,
      `[server.example]:2222 ssh-ed25519 ${ED_A}`,
      `${hashed('hashed.example')} ssh-ed25519 ${ED_A}`,
      `@revoked revoked.example ssh-ed25519 ${ED_A}`,
      `revoked.example ssh-ed25519 ${ED_A}`,
      `@cert-authority ca.example ssh-ed25519 ${ED_A}`,
      `rsa-only.example ssh-rsa ${rsaBlobBase64()}`,
    ].join('\n'),
  );

  test('trusted: the same key on file for the host', () => {
    assert.deepEqual(checkHostKey(file, 'server.example', 22, keyA), { kind: 'trusted', line: 1 });
    assert.deepEqual(checkHostKey(file, 'SERVER.example', 2222, keyA), { kind: 'trusted', line: 2 });
    assert.deepEqual(checkHostKey(file, 'hashed.example', 22, keyA), { kind: 'trusted', line: 3 });
  });

  test('changed: another key of the same type for the host', () => {
    const v = checkHostKey(file, 'server.example', 22, keyB);
    assert.equal(v.kind, 'changed');
    assert.equal(v.kind === 'changed' && v.expected.line, 1);
  });

  test('unknown: no line for the host (port matters), or only keys of other types', () => {
    assert.deepEqual(checkHostKey(file, 'other.example', 22, keyA), { kind: 'unknown', otherTypes: [] });
    assert.deepEqual(checkHostKey(file, 'server.example', 2200, keyA), { kind: 'unknown', otherTypes: [] });
    assert.deepEqual(checkHostKey(file, 'rsa-only.example', 22, keyA), { kind: 'unknown', otherTypes: ['ssh-rsa'] });
    assert.deepEqual(checkHostKey(file, 'ca.example', 22, keyA), { kind: 'unknown', otherTypes: [] }, 'CA lines do not trust plain keys');
  });

  test('revoked wins over a plain line', () => {
    assert.deepEqual(checkHostKey(file, 'revoked.example', 22, keyA), { kind: 'revoked', line: 4 });
  });

  test('known key types, for the host key algorithm order', () => {
    assert.deepEqual(knownKeyTypes(file, 'server.example', 22), ['ssh-ed25519']);
    assert.deepEqual(knownKeyTypes(file, 'rsa-only.example', 22), ['ssh-rsa']);
    assert.deepEqual(knownKeyTypes(file, 'nobody.example', 22), []);
  });
});

describe('refusal messages', () => {
  test('unknown: names host:port, type and fingerprint, and how to add the key', () => {
    const message = describeHostKeyRefusal({ kind: 'unknown', otherTypes: [] }, { host: '127.0.0.1', port: 2222, key: keyA, knownHostsFile: '/kh' })!;
    assert.ok(message.startsWith(`host key of 127.0.0.1:2222 is not known (ED25519 ${fingerprintOf(keyA)}); add it to /kh`), message);
    assert.ok(message.includes('ssh-keyscan -p 2222 127.0.0.1 >> /kh'), message);
    const port22 = describeHostKeyRefusal({ kind: 'unknown', otherTypes: ['ssh-rsa'] }, { host: 'h', port: 22, key: keyA, knownHostsFile: '/kh' })!;
    assert.ok(port22.includes('ssh-keyscan h >> /kh'), port22);
    assert.ok(port22.includes('only RSA keys'), port22);
  });

  test('changed: both fingerprints, the line, and how to remove it', () => {
    const [expected] = parseKnownHosts(`[h]:2222 ssh-ed25519 ${ED_A}`);
    const message = describeHostKeyRefusal({ kind: 'changed', expected: expected! }, { host: 'h', port: 2222, key: keyB, knownHostsFile: '/kh' })!;
    assert.ok(message.startsWith(`HOST KEY CHANGED for h:2222: expected ED25519 ${fingerprintOf(keyA)} (/kh line 1), got ED25519 ${fingerprintOf(keyB)}`), message);
    assert.ok(message.includes("remove the old line from /kh (ssh-keygen -R '[h]:2222' -f /kh)"), message);
  });

  test('trusted has no message; IPv6 hosts are bracketed', () => {
    assert.equal(describeHostKeyRefusal({ kind: 'trusted', line: 1 }, { host: 'h', port: 22, key: keyA, knownHostsFile: '/kh' }), undefined);
    const v6 = describeHostKeyRefusal({ kind: 'revoked', line: 3 }, { host: '::1', port: 22, key: keyA, knownHostsFile: '/kh' })!;
    assert.match(v6, /^host key of \[::1\]:22 .* @revoked in \/kh line 3/);
  });
});

describe('fingerprints (checked against ssh-keygen)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'musicfs-kh-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const type of ['ed25519', 'ecdsa', 'rsa']) {
    test(`${type}: SHA256 like ssh-keygen -l`, async () => {
      const file = join(dir, `key-${type}`);
      await execFileAsync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
      const [keyType, base64] = (await readFile(`${file}.pub`, 'utf8')).split(' ');
      const { stdout } = await execFileAsync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`]);
      const blob = Buffer.from(base64!, 'base64');
      assert.equal(fingerprintOf(blob), stdout.split(' ')[1]);
      assert.equal(keyTypeOf(blob), keyType);
    });
  }
});

/** A syntactically valid ssh-rsa blob (type + e + n), enough for parsing. */
function rsaBlobBase64(): string {
  const part = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([part(Buffer.from('ssh-rsa')), part(Buffer.from([1, 0, 1])), part(Buffer.alloc(64, 7))]).toString('base64');
}
