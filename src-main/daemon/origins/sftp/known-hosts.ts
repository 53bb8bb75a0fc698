import { createHash, createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/**
 * OpenSSH known_hosts: parsing, and the verdict on a host key a server
 * presents. Pure logic apart from `readKnownHosts`.
 *
 * Matched like OpenSSH does (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"):
 * - a server on port 22 is looked up as `host`, any other port as
 *   `[host]:port`; names are compared lower-case;
 * - a host field is a comma list of patterns (`*`, `?` wildcards, `!` negates:
 *   a line whose negated pattern matches does not apply), or one hashed entry
 *   `|1|base64(salt)|base64(HMAC-SHA1(salt, name))` (HashKnownHosts yes);
 * - `@revoked` lines refuse their key for the hosts they match;
 *   `@cert-authority` lines are ignored: ssh2 does not verify host
 *   certificates, so such a host shows as unknown (the message says how to
 *   add its plain key);
 * - malformed lines are skipped, as ssh does.
 *
 * "Changed" means a line for this host holds a different key of the same type
 * as the one presented; a host known only by keys of other types is unknown
 * (OpenSSH says the same, with a warning about the other types).
 */

export interface KnownHostLine {
  /** 1-based line number in the file, for messages. */
  line: number;
  marker?: 'revoked' | 'cert-authority';
  /** The host field as written: patterns or a hashed entry. */
  hosts: string;
  /** Key type from the key blob (`ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`...). */
  keyType: string;
  /** The public key blob (SSH wire format), as the server sends it. */
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'trusted'; line: number }
  | { kind: 'unknown'; otherTypes: string[] }
  | { kind: 'changed'; expected: KnownHostLine }
  | { kind: 'revoked'; line: number };

export const DEFAULT_SSH_PORT = 22;

export function parseKnownHosts(text: string): KnownHostLine[] {
  const out: KnownHostLine[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const fields = lines[i]!.trim().split(/\s+/);
    if (fields[0] === undefined || fields[0] === '' || fields[0].startsWith('#')) continue;
    let marker: KnownHostLine['marker'];
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!;
      if (m === '@revoked') marker = 'revoked';
      else if (m === '@cert-authority') marker = 'cert-authority';
      else continue;
    }
    const [hosts, declaredType, base64] = fields;
    if (hosts === undefined || declaredType === undefined || base64 === undefined) continue;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) continue;
    const key = Buffer.from(base64, 'base64');
    const keyType = keyTypeOf(key);
    // The type written on the line must agree with the blob (as ssh checks).
    if (keyType === undefined || keyType !== declaredType) continue;
    out.push(marker === undefined ? { line: i + 1, hosts, keyType, key } : { line: i + 1, marker, hosts, keyType, key });
  }
  return out;
}

/** The known_hosts lines of a file; none if the file does not exist yet. */
export async function readKnownHosts(file: string): Promise<KnownHostLine[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return parseKnownHosts(text);
}

/** The name a host is looked up by: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === DEFAULT_SSH_PORT ? h : `[${h}]:${port}`;
}

/** `host:port` for messages (`[::1]:22` for IPv6 addresses). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Whether a known_hosts host field (patterns or a hashed entry) applies to `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) return hashedEntryMatches(field, name);
  let matched = false;
  for (const raw of field.split(',')) {
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (pattern === '' || !wildcardMatches(pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function hashedEntryMatches(field: string, name: string): boolean {
  const [, , salt, hash] = field.split('|');
  if (salt === undefined || hash === undefined) return false;
  const expected = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return expected === hash;
}

function wildcardMatches(pattern: string, name: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === name;
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(name);
}

/** The verdict on the key a server presented for host:port. */
export function checkHostKey(lines: readonly KnownHostLine[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const keyType = keyTypeOf(key);
  const forHost = lines.filter((l) => hostFieldMatches(l.hosts, name));
  const revoked = forHost.find((l) => l.marker === 'revoked' && l.key.equals(key));
  if (revoked) return { kind: 'revoked', line: revoked.line };
  const plain = forHost.filter((l) => l.marker === undefined);
  const match = plain.find((l) => l.key.equals(key));
  if (match) return { kind: 'trusted', line: match.line };
  const sameType = plain.find((l) => l.keyType === keyType);
  if (sameType) return { kind: 'changed', expected: sameType };
  return { kind: 'unknown', otherTypes: [...new Set(plain.map((l) => l.keyType))] };
}

/**
 * Key types known for host:port, in file order: the client offers matching
 * host key algorithms first (as ssh does), so a server with several host keys
 * presents the one on file.
 */
export function knownKeyTypes(lines: readonly KnownHostLine[], host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = lines.filter((l) => l.marker === undefined && hostFieldMatches(l.hosts, name)).map((l) => l.keyType);
  return [...new Set(types)];
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The type string at the start of a key blob, or undefined if it is not one. */
export function keyTypeOf(key: Buffer): string | undefined {
  if (key.length < 4) return undefined;
  const len = key.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > key.length) return undefined;
  const type = key.toString('latin1', 4, 4 + len);
  return /^[\x21-\x7e]+$/.test(type) ? type : undefined;
}

/** The short name ssh shows for a key type: ED25519, ECDSA, RSA, DSA. */
export function keyTypeLabel(keyType: string | undefined): string {
  if (keyType === undefined) return 'unknown key type';
  if (keyType === 'ssh-ed25519') return 'ED25519';
  if (keyType.startsWith('ecdsa-sha2-')) return 'ECDSA';
  if (keyType === 'ssh-rsa') return 'RSA';
  if (keyType === 'ssh-dss') return 'DSA';
  return keyType;
}

/** `ED25519 SHA256:...` for a key blob. */
export function describeKey(key: Buffer): string {
  return `${keyTypeLabel(keyTypeOf(key))} ${fingerprintOf(key)}`;
}

export interface HostKeyRefusalContext {
  host: string;
  port: number;
  /** The key the server presented. */
  key: Buffer;
  knownHostsFile: string;
}

/** Why a connection was refused, with what to do about it; undefined for a trusted key. */
export function describeHostKeyRefusal(verdict: HostKeyVerdict, c: HostKeyRefusalContext): string | undefined {
  const where = hostPort(c.host, c.port);
  switch (verdict.kind) {
    case 'trusted':
      return undefined;
    case 'unknown': {
      const portFlag = c.port === DEFAULT_SSH_PORT ? '' : `-p ${c.port} `;
      const others = verdict.otherTypes.length > 0 ? ` (${c.knownHostsFile} has only ${verdict.otherTypes.map(keyTypeLabel).join(', ')} keys for it)` : '';
      return (
        `host key of ${where} is not known (${describeKey(c.key)})${others}; ` +
        `add it to ${c.knownHostsFile}, e.g. with: ssh-keyscan ${portFlag}${c.host} >> ${c.knownHostsFile} ` +
        `(check the fingerprint with the server's administrator first)`
      );
    }
    case 'changed':
      return (
        `HOST KEY CHANGED for ${where}: expected ${describeKey(verdict.expected.key)} (${c.knownHostsFile} line ${verdict.expected.line}), ` +
        `got ${describeKey(c.key)} — if the server was reinstalled, remove the old line from ${c.knownHostsFile} ` +
        `(ssh-keygen -R '${knownHostsName(c.host, c.port)}' -f ${c.knownHostsFile}); otherwise someone may be intercepting the connection`
      );
    case 'revoked':
      return `host key of ${where} (${describeKey(c.key)}) is marked @revoked in ${c.knownHostsFile} line ${verdict.line}; refusing to connect`;
  }
}
