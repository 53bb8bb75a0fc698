import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import type { SftpLocation } from '../../../../src-shared/origin-location.js';
import { registerSecret } from '../../base/secrets.js';

/**
 * What a connection logs in with, read from the location's settings at each
 * connect (so a rotated password file or a new key is picked up without a
 * restart). Tried in this order, each only if configured: the identity file,
 * the ssh-agent ($SSH_AUTH_SOCK), the password (password auth, then
 * keyboard-interactive answered with it). Without an identity file the
 * default keys ssh uses (~/.ssh/id_ed25519, id_ecdsa, id_rsa) are tried when
 * they exist and are not passphrase-protected.
 *
 * A password read here is registered as a secret at once, so no log line can
 * carry it; messages name the file or variable it came from, never the value.
 */

export interface SftpIdentity {
  /** Where the key came from, for messages. */
  file: string;
  privateKey: Buffer;
}

export interface SftpCredentials {
  username: string;
  identities: SftpIdentity[];
  /** ssh-agent socket. */
  agent?: string;
  password?: string;
  /** Where the password came from ("file /x", "variable X"), for messages. */
  passwordSource?: string;
  /** Configured means of login that cannot be used, with why (for the auth failure message). */
  unusable: string[];
}

/** A credentials problem the user must fix (unreadable file, unset variable, no method at all). */
export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

/** Parses a private key: undefined if usable, else why not (in words). Injected so this file needs no ssh2. */
export type KeyChecker = (key: Buffer) => string | undefined;

const DEFAULT_IDENTITIES = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface LoadCredentialsOptions {
  env?: NodeJS.ProcessEnv;
  checkKey: KeyChecker;
  /** Home folder for `~` and the default keys; os.homedir() by default. */
  home?: string;
}

export async function loadSftpCredentials(location: SftpLocation, options: LoadCredentialsOptions): Promise<SftpCredentials> {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const creds: SftpCredentials = { username: location.user ?? userInfo().username, identities: [], unusable: [] };

  if (location.identity !== undefined) {
    const file = expandHome(location.identity, home);
    let privateKey: Buffer;
    try {
      privateKey = await readFile(file);
    } catch (err) {
      throw new CredentialsError(`identity file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const problem = options.checkKey(privateKey);
    if (problem === undefined) creds.identities.push({ file, privateKey });
    else creds.unusable.push(`identity file ${file} ${problem}`);
  } else {
    for (const name of DEFAULT_IDENTITIES) {
      const file = `${home}/.ssh/${name}`;
      const privateKey = await readFile(file).catch(() => undefined);
      if (privateKey !== undefined && options.checkKey(privateKey) === undefined) creds.identities.push({ file, privateKey });
    }
  }

  const agent = env['SSH_AUTH_SOCK'];
  if (location.agent && agent !== undefined && agent !== '') creds.agent = agent;

  if (location.passwordFile !== undefined) {
    const file = expandHome(location.passwordFile, home);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CredentialsError(`password file ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const password = text.split(/\r?\n/, 1)[0] ?? '';
    if (password === '') throw new CredentialsError(`password file ${file} is empty (the password is its first line)`);
    registerSecret(password);
    creds.password = password;
    creds.passwordSource = `file ${file}`;
  } else if (location.passwordEnv !== undefined) {
    const password = env[location.passwordEnv];
    if (password === undefined || password === '') throw new CredentialsError(`environment variable ${location.passwordEnv} (password_env) is not set`);
    registerSecret(password);
    creds.password = password;
    creds.passwordSource = `variable ${location.passwordEnv}`;
  }

  if (creds.identities.length === 0 && creds.agent === undefined && creds.password === undefined) {
    const why = creds.unusable.length > 0 ? `${creds.unusable.join('; ')}, and ` : '';
    throw new CredentialsError(
      `no way to log in: ${why}no identity file, ssh-agent ($SSH_AUTH_SOCK) or password is configured (use ?identity=KEYFILE, ?password_file=FILE or ?password_env=VARIABLE)`,
    );
  }
  return creds;
}

/** "key /x, ssh-agent, password from file /y": what a login attempt tried. */
export function describeLoginMethods(creds: SftpCredentials): string {
  const parts = creds.identities.map((i) => `key ${i.file}`);
  if (creds.agent !== undefined) parts.push('ssh-agent');
  if (creds.passwordSource !== undefined) parts.push(`password from ${creds.passwordSource}`);
  return parts.join(', ');
}

/** `~/x` → HOME/x: a path in a URL or config.toml never went through a shell. */
export function expandHome(path: string, home: string = homedir()): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}/${path.slice(2)}` : path;
}
